/**
 * Exit codes of `cxr`, one meaning each:
 *   0 success
 *   1 the job ran and failed, or a check it performed did not pass (e.g. a parity goal missed)
 *   2 it could not run here: bad configuration, bad arguments, or an environment problem
 *     (database unreachable, data folder not writable, missing input)
 *   130 interrupted (Ctrl-C)
 */
export const EXIT = { ok: 0, failed: 1, environment: 2, interrupted: 130 } as const;

import { ConfigError } from "@cxr/config";
import { DatasetError, EmptyIngestError } from "@cxr/datasets";
import { DatabaseError } from "@cxr/db";
import { ParityReferenceError } from "@cxr/encoders";
import { BenchError, IndexSearchError, ModelError, type ModelErrorCode } from "@cxr/services";
import { StoreError } from "@cxr/store";

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

const MODEL_EXIT: Record<ModelErrorCode, number> = {
  NOT_FOUND: EXIT.environment,
  ALREADY_EXISTS: EXIT.environment,
  INVALID_BUNDLE: EXIT.environment,
  UNKNOWN_MODEL: EXIT.environment,
  NOT_PULLABLE: EXIT.environment,
  VERIFY_FAILED: EXIT.failed,
  DOWNLOAD_FAILED: EXIT.failed,
  MODELS_DIR_UNWRITABLE: EXIT.environment,
};

/**
 * The one place where the packages' typed errors become a one-line message and an exit code.
 * `expected` is false for anything else: a bug, shown with a hint to rerun with --verbose.
 */
export function describeFailure(error: unknown): { code: number; message: string; expected: boolean } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CliError) return { code: error.exitCode, message, expected: true };
  if (error instanceof ConfigError)
    return { code: EXIT.environment, message: `configuration error: ${message}`, expected: true };
  if (error instanceof DatabaseError)
    return { code: EXIT.environment, message: `database error: ${message}`, expected: true };
  if (error instanceof ModelError) return { code: MODEL_EXIT[error.code], message, expected: true };
  if (error instanceof IndexSearchError || error instanceof BenchError) {
    return { code: error.isUserError ? EXIT.environment : EXIT.failed, message, expected: true };
  }
  if (error instanceof ParityReferenceError) return { code: EXIT.environment, message, expected: true };
  // An ingest that ran and took nothing failed as a job; any other dataset problem is bad input.
  if (error instanceof EmptyIngestError) return { code: EXIT.failed, message, expected: true };
  if (error instanceof DatasetError) return { code: EXIT.environment, message, expected: true };
  if (error instanceof StoreError) {
    return {
      code: error.code === "UNAVAILABLE" ? EXIT.environment : EXIT.failed,
      message: `vector store: ${message}`,
      expected: true,
    };
  }
  // Anything else is shown as one line: a Prisma message, for one, starts with a newline and goes on
  // with the query's arguments (report text among them). --verbose prints the whole error.
  const line = message.split("\n").find((l) => l.trim() !== "") ?? "";
  return { code: EXIT.failed, message: line.trim() || "unexpected error", expected: false };
}
