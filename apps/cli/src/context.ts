import { type Config, loadConfig } from "@cxr/config";
import { type Services, withServices as withOpenServices } from "@cxr/services";

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

/**
 * The product's services for one command (@cxr/services' composition root): the database and the
 * vector store open on first use and everything is closed once when the command ends, whatever happens.
 */
export function withServices<T>(run: (services: Services) => Promise<T>): Promise<T> {
  return withOpenServices(config(), run);
}
