import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tsx = path.join(repoRoot, "node_modules/.bin/tsx");
const main = path.join(repoRoot, "apps/cli/src/main.ts");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cxr ...args` as a user would, in a clean environment plus `env`. */
export function cxr(args: string[], env: Record<string, string | undefined> = {}, cwd = repoRoot): CliResult {
  const result = spawnSync(tsx, [main, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: process.env.CI, ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A `cxr` process being followed: its output so far, and its result once it exits. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<CliResult>;
}

/** Starts `cxr ...args` (same environment as `cxr`) and lets a test watch its output as it runs. */
export function startCxr(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = repoRoot,
): RunningCli {
  const child = spawn(tsx, [main, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: process.env.CI, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<CliResult>((resolve) =>
    child.on("close", (status) => resolve({ status, stdout, stderr })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Same as `cxr`, without blocking the event loop (for tests that serve HTTP in-process). */
export function cxrAsync(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = repoRoot,
): Promise<CliResult> {
  return startCxr(args, env, cwd).exited;
}
