import { type Config, loadConfig } from "@cxr/config";

let cached: Config | undefined;

/** The configuration, read and validated once per process (a bad value throws ConfigError). */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Prints either JSON (for machines, on stdout, nothing else there) or human text. */
export function output(asJson: boolean | undefined, data: unknown, human: () => string): void {
  if (asJson) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}
