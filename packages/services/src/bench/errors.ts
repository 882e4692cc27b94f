/**
 * Typed errors of the benchmark service. `isUserError` tells the CLI exit 2 (could not run: bad
 * arguments, unknown names, a dataset or model not usable) from exit 1 (the run ran and failed: it
 * stays resumable).
 */

export type BenchErrorCode =
  /** A bad argument: model list, levels, seed, grid, text field, views, protocol. */
  | "INVALID_ARGUMENT"
  /** No model with this id is registered. */
  | "UNKNOWN_MODEL"
  /** No dataset with this name is ingested. */
  | "UNKNOWN_DATASET"
  /** The dataset has no split of this name. */
  | "UNKNOWN_SPLIT"
  /** The dataset's ingest is unfinished or failed (no fingerprint yet). */
  | "DATASET_NOT_READY"
  /** Every study was excluded (no text for the text field) or filtered out (views). */
  | "NO_QUERIES"
  /** The model bundle cannot be loaded, or changed since it was added. */
  | "MODEL_UNAVAILABLE"
  /** No benchmark run with this id. */
  | "UNKNOWN_RUN"
  /** Another process is running the same benchmark (same protocol, dataset, split and models). */
  | "RUN_IN_PROGRESS"
  /**
   * An image of the split cannot be decoded and the protocol does not record its exclusion: the run
   * stops, naming it (run again with the exclusion recorded: `--exclude-undecodable`).
   */
  | "UNDECODABLE_IMAGE"
  /** The run ran and failed (an encoder or database error). */
  | "RUN_FAILED";

export type BenchGraphQLCode = "BAD_USER_INPUT" | "NOT_FOUND" | "UNAVAILABLE" | "INTERNAL_SERVER_ERROR";

const GRAPHQL: Record<BenchErrorCode, BenchGraphQLCode> = {
  INVALID_ARGUMENT: "BAD_USER_INPUT",
  UNKNOWN_MODEL: "NOT_FOUND",
  UNKNOWN_DATASET: "NOT_FOUND",
  UNKNOWN_SPLIT: "NOT_FOUND",
  DATASET_NOT_READY: "BAD_USER_INPUT",
  NO_QUERIES: "BAD_USER_INPUT",
  MODEL_UNAVAILABLE: "UNAVAILABLE",
  UNKNOWN_RUN: "NOT_FOUND",
  RUN_IN_PROGRESS: "BAD_USER_INPUT",
  UNDECODABLE_IMAGE: "INTERNAL_SERVER_ERROR",
  RUN_FAILED: "INTERNAL_SERVER_ERROR",
};

export class BenchError extends Error {
  override readonly name = "BenchError";
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    readonly details: { model?: string; dataset?: string; runId?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get graphqlCode(): BenchGraphQLCode {
    return GRAPHQL[this.code];
  }

  /** True when the request is at fault (exit 2), false when the run ran and failed (exit 1). */
  get isUserError(): boolean {
    return this.code !== "RUN_FAILED" && this.code !== "UNDECODABLE_IMAGE";
  }
}

export function isBenchError(error: unknown, code?: BenchErrorCode): error is BenchError {
  return error instanceof BenchError && (code === undefined || error.code === code);
}
