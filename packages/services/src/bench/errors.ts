import { type ErrorKind, ServiceError } from "../errors/service-error.ts";

/**
 * Typed errors of the benchmark service: a ServiceError whose kind follows from the code. Only
 * RUN_FAILED and UNDECODABLE_IMAGE are `failed` (the run ran and failed: it stays resumable); every other code means the
 * run could not start (bad arguments, unknown names, a dataset or model not usable).
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

const KIND: Record<BenchErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: "invalid",
  UNKNOWN_MODEL: "not-found",
  UNKNOWN_DATASET: "not-found",
  UNKNOWN_SPLIT: "not-found",
  DATASET_NOT_READY: "conflict",
  NO_QUERIES: "invalid",
  MODEL_UNAVAILABLE: "unavailable",
  UNKNOWN_RUN: "not-found",
  RUN_IN_PROGRESS: "conflict",
  UNDECODABLE_IMAGE: "failed",
  RUN_FAILED: "failed",
};

export class BenchError extends ServiceError {
  override readonly name = "BenchError";
  declare readonly code: BenchErrorCode;
  constructor(
    code: BenchErrorCode,
    message: string,
    readonly details: { model?: string; dataset?: string; runId?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(KIND[code], code, message, options);
  }
}

export function isBenchError(error: unknown, code?: BenchErrorCode): error is BenchError {
  return error instanceof BenchError && (code === undefined || error.code === code);
}
