/**
 * Exit codes of `cxr`, one meaning each:
 *   0 success
 *   1 the job ran and failed, or a check it performed did not pass (e.g. a parity goal missed)
 *   2 it could not run here: bad configuration, bad arguments, or an environment problem
 *     (database unreachable, data folder not writable, missing input)
 *   130 interrupted (Ctrl-C)
 */
export const EXIT = { ok: 0, failed: 1, environment: 2, interrupted: 130 } as const;

import { classifyError, type ErrorKind } from "@cxr/services";

/** An expected failure with a one-line message for the user and no stack trace. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.environment,
  ) {
    super(message);
  }
}

/** The CLI's transport mapping: every kind but `failed` means the command could not run here. */
const KIND_EXIT: Record<ErrorKind, number> = {
  invalid: EXIT.environment,
  "not-found": EXIT.environment,
  conflict: EXIT.environment,
  unavailable: EXIT.environment,
  overloaded: EXIT.environment,
  unauthenticated: EXIT.environment,
  forbidden: EXIT.environment,
  failed: EXIT.failed,
};

/**
 * A failure as one line and an exit code. The classification (kind, code, the one safe line) is
 * @cxr/services' classifyError, shared by every face; only the kind -> exit code mapping is the CLI's.
 * `expected` is false for anything else: a bug, shown with a hint to rerun with --verbose.
 */
export function describeFailure(error: unknown): { code: number; message: string; expected: boolean } {
  if (error instanceof CliError) return { code: error.exitCode, message: error.message, expected: true };
  const { kind, message, expected } = classifyError(error);
  return { code: KIND_EXIT[kind], message, expected };
}

/**
 * What `cxr` writes to stderr for a failure. With --verbose it adds the stack's frames, never the
 * message lines a stack starts with (a Prisma message there echoes report text).
 */
export function failureText(error: unknown, verbose: boolean): { code: number; text: string } {
  const { code, message, expected } = describeFailure(error);
  const lines = [`cxr: ${message}`];
  if (verbose && error instanceof Error && error.stack) {
    lines.push(...error.stack.split("\n").filter((line) => /^\s+at /.test(line)));
  } else if (!expected) {
    lines.push("(run with --verbose for details)");
  }
  return { code, text: `${lines.join("\n")}\n` };
}
