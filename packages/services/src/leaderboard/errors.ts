import { type ErrorKind, ServiceError } from "../errors/service-error.ts";

/**
 * Typed refusals of the leaderboard. Every refusal of a submission names the first field that is
 * wrong (`field`, a JSON path into the record file such as `results[3].metrics.recall@1`), and a
 * refused submission writes nothing.
 */
export type LeaderboardErrorCode =
  /** The payload is over the size limit (checked before it is parsed). */
  | "PAYLOAD_TOO_LARGE"
  /** The payload is not JSON. */
  | "MALFORMED_JSON"
  /** A format version this server does not read (`format`, `run.format`, `results[i].format`). */
  | "WRONG_FORMAT"
  /** A field is missing or of the wrong type. */
  | "INVALID_SHAPE"
  /** The protocol key is not sha256 of the canonical protocol, or a record's parameters differ from the run's. */
  | "PROTOCOL_MISMATCH"
  /** Ranks of the wrong length, or out of 1..candidates. */
  | "INVALID_RANKS"
  /** A claimed number differs from the one recomputed from the ranks. */
  | "CLAIM_MISMATCH"
  /** The query list differs from the server's own for this split and protocol. */
  | "QUERY_LIST_MISMATCH"
  /** A result is missing or repeated (every model needs every level in both directions, once). */
  | "INCOMPLETE"
  /** A name carries markup or a spreadsheet formula. */
  | "UNSAFE_TEXT"
  | "UNKNOWN_BOARD"
  | "UNKNOWN_ENTRY"
  | "UNKNOWN_SUBMISSION"
  | "INVALID_ARGUMENT"
  /** The run to publish is not finished, or its record file is missing or differs from the database. */
  | "RUN_NOT_PUBLISHABLE"
  /** Nothing to re-run (a reported number), or the re-run's protocol key differs from the board's. */
  | "NOT_VERIFIABLE"
  /** The server holds no model bundle with the entry's fingerprint (or its files are missing). */
  | "NO_BUNDLE"
  /** The server holds no split of the board's dataset name and split. */
  | "NO_DATASET"
  /** The server holds the entry's model name or the board's split, with another fingerprint (field says which). */
  | "FINGERPRINT_MISMATCH";

const KIND: Record<LeaderboardErrorCode, ErrorKind> = {
  PAYLOAD_TOO_LARGE: "invalid",
  MALFORMED_JSON: "invalid",
  WRONG_FORMAT: "invalid",
  INVALID_SHAPE: "invalid",
  PROTOCOL_MISMATCH: "invalid",
  INVALID_RANKS: "invalid",
  CLAIM_MISMATCH: "invalid",
  QUERY_LIST_MISMATCH: "invalid",
  INCOMPLETE: "invalid",
  UNSAFE_TEXT: "invalid",
  UNKNOWN_BOARD: "not-found",
  UNKNOWN_ENTRY: "not-found",
  UNKNOWN_SUBMISSION: "not-found",
  INVALID_ARGUMENT: "invalid",
  RUN_NOT_PUBLISHABLE: "conflict",
  NOT_VERIFIABLE: "unavailable",
  NO_BUNDLE: "unavailable",
  NO_DATASET: "unavailable",
  FINGERPRINT_MISMATCH: "conflict",
};

export class LeaderboardError extends ServiceError {
  override readonly name = "LeaderboardError";
  declare readonly code: LeaderboardErrorCode;
  constructor(
    code: LeaderboardErrorCode,
    message: string,
    /** The first offending field (a JSON path into the record file), when there is one. */
    readonly field: string | null = null,
  ) {
    super(KIND[code], code, message);
  }
}

export function isLeaderboardError(error: unknown, code?: LeaderboardErrorCode): error is LeaderboardError {
  return error instanceof LeaderboardError && (code === undefined || error.code === code);
}
