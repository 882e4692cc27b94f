import { type ErrorKind, ServiceError } from "../errors/service-error.ts";

/**
 * Typed errors of the index and search services: a ServiceError whose kind follows from the code
 * (faces map the kind: ../errors/service-error.ts).
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

const KIND: Record<IndexErrorCode, ErrorKind> = {
  UNKNOWN_MODEL: "not-found",
  UNKNOWN_DATASET: "not-found",
  DATASET_NOT_READY: "conflict",
  NOT_INDEXED: "not-found",
  JOB_CONFLICT: "conflict",
  INVALID_ARGUMENT: "invalid",
  INVALID_K: "invalid",
  EMPTY_TEXT: "invalid",
  INVALID_IMAGE: "invalid",
  UNKNOWN_IMAGE: "not-found",
  MODEL_UNAVAILABLE: "unavailable",
  JOB_FAILED: "failed",
};

/** One error type for both services (indexing and search share the model and collection checks). */
export class IndexSearchError extends ServiceError {
  override readonly name = "IndexSearchError";
  declare readonly code: IndexErrorCode;
  constructor(
    code: IndexErrorCode,
    message: string,
    readonly details: { model?: string; dataset?: string; modality?: string; jobId?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(KIND[code], code, message, options);
  }
}

export function isIndexSearchError(error: unknown, code?: IndexErrorCode): error is IndexSearchError {
  return error instanceof IndexSearchError && (code === undefined || error.code === code);
}
