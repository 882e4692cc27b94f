/**
 * Exit codes of `cxr`, one meaning each:
 *   0 success
 *   1 the job ran and failed, or a check it performed did not pass (e.g. a parity goal missed)
 *   2 it could not run here: bad configuration, bad arguments, or an environment problem
 *     (database unreachable, data folder not writable, missing input)
 *   130 interrupted (Ctrl-C)
 */
export const EXIT = { ok: 0, failed: 1, environment: 2, interrupted: 130 } as const;

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
