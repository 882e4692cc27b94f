/**
 * Typed errors of the index and search services. The CLI maps `exitCode`-less codes to exit 2
 * (could not run: bad arguments, unknown names) or 1 (ran and failed); the API maps `graphqlCode`.
 */

export type IndexErrorCode =
  /** No model with this id is registered. */
  | "UNKNOWN_MODEL"
  /** No dataset with this name is ingested. */
  | "UNKNOWN_DATASET"
  /** The dataset is still being ingested (or its ingest failed): indexing it now would miss items. */
  | "DATASET_NOT_READY"
  /** The model has no collection for the asked modality yet (`cxr index` first). */
  | "NOT_INDEXED"
  /** Another process is running the same index job (its cursor moved under this one). */
  | "JOB_CONFLICT"
  /** A bad argument: modality, batch size, k, minScore, filter. */
  | "INVALID_ARGUMENT"
  /** k outside 1..MAX_K. */
  | "INVALID_K"
  /** The text query is empty (or only whitespace). */
  | "EMPTY_TEXT"
  /** The query image cannot be decoded or preprocessed. */
  | "INVALID_IMAGE"
  /** The query image id names no image. */
  | "UNKNOWN_IMAGE"
  /** The model bundle cannot be loaded (files moved, changed, not usable by ONNX Runtime). */
  | "MODEL_UNAVAILABLE"
  /** The job ran and failed (store down, database error): it can be resumed. */
  | "JOB_FAILED";

export type GraphQLCode = "BAD_USER_INPUT" | "NOT_FOUND" | "UNAVAILABLE" | "INTERNAL_SERVER_ERROR";

const GRAPHQL: Record<IndexErrorCode, GraphQLCode> = {
  UNKNOWN_MODEL: "NOT_FOUND",
  UNKNOWN_DATASET: "NOT_FOUND",
  DATASET_NOT_READY: "BAD_USER_INPUT",
  NOT_INDEXED: "NOT_FOUND",
  JOB_CONFLICT: "BAD_USER_INPUT",
  INVALID_ARGUMENT: "BAD_USER_INPUT",
  INVALID_K: "BAD_USER_INPUT",
  EMPTY_TEXT: "BAD_USER_INPUT",
  INVALID_IMAGE: "BAD_USER_INPUT",
  UNKNOWN_IMAGE: "NOT_FOUND",
  MODEL_UNAVAILABLE: "UNAVAILABLE",
  JOB_FAILED: "INTERNAL_SERVER_ERROR",
};

/** One error type for both services (indexing and search share the model and collection checks). */
export class IndexSearchError extends Error {
  override readonly name = "IndexSearchError";
  constructor(
    readonly code: IndexErrorCode,
    message: string,
    readonly details: { model?: string; dataset?: string; modality?: string; jobId?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get graphqlCode(): GraphQLCode {
    return GRAPHQL[this.code];
  }

  /** True when the caller's request is at fault (exit 2 in the CLI), false when the job ran and failed. */
  get isUserError(): boolean {
    return this.code !== "JOB_FAILED";
  }
}

export function isIndexSearchError(error: unknown, code?: IndexErrorCode): error is IndexSearchError {
  return error instanceof IndexSearchError && (code === undefined || error.code === code);
}
