import { ConfigError, firstLine } from "@cxr/config";
import { DatasetError, type DatasetErrorCode } from "@cxr/datasets";
import { DatabaseError, type DatabaseErrorCode } from "@cxr/db";
import { ParityReferenceError } from "@cxr/encoders";
import { StoreError, type StoreErrorCode } from "@cxr/store";
import { type ErrorKind, ServiceError } from "./service-error.ts";

/** What every face shows for a failure: one line, a kind to map to its transport, and a code. */
export interface ClassifiedError {
  kind: ErrorKind;
  /** The package's own code (`UNKNOWN_MODEL`, `UNAVAILABLE`, ...); `INTERNAL` for anything unforeseen. */
  code: string;
  /** One line, never report text (a Prisma message is cut to its first line). */
  message: string;
  /** False for an error nobody threw on purpose (a bug): faces may suggest more detail (--verbose). */
  expected: boolean;
}

// Every database problem means the product cannot run here until someone fixes the environment.
const DATABASE_KIND: Record<DatabaseErrorCode, ErrorKind> = {
  UNREACHABLE: "unavailable",
  NOT_WRITABLE: "unavailable",
  AUTH_FAILED: "unavailable",
  DATABASE_MISSING: "unavailable",
  MIGRATION_FAILED: "unavailable",
  MIGRATION_MODIFIED: "conflict",
  MIGRATION_UNKNOWN: "conflict",
  NOT_MIGRATED: "conflict",
};

const DATASET_KIND: Record<DatasetErrorCode, ErrorKind> = {
  SOURCE_NOT_FOUND: "not-found",
  SOURCE_INVALID: "invalid",
  INVALID_ARGUMENT: "invalid",
  NAME_CONFLICT: "conflict",
  UNKNOWN_ADAPTER: "not-found",
  UNKNOWN_DATASET: "not-found",
  DOWNLOAD_FAILED: "failed",
  CHECKSUM_MISMATCH: "failed",
  UNPACK_FAILED: "failed",
  EMPTY_INGEST: "failed",
};

// A store error that reaches a face unwrapped is a failure of the use case (the services check
// dimensions, ids and collections before they call the store), except a store that is down.
const STORE_KIND: Record<StoreErrorCode, ErrorKind> = {
  DIMENSION_MISMATCH: "failed",
  NAN_VALUE: "failed",
  UNKNOWN_COLLECTION: "failed",
  UNKNOWN_FILTER_FIELD: "failed",
  INVALID_K: "failed",
  INVALID_ID: "failed",
  INVALID_ARGUMENT: "failed",
  COLLECTION_CONFLICT: "failed",
  UNAVAILABLE: "unavailable",
  UNEXPECTED_RESPONSE: "failed",
};

/**
 * The one classifier every face uses: the product's typed errors (services' ServiceErrors and the
 * packages' own) become a kind, a code and one line. Anything else is `failed`/`INTERNAL` with the
 * first line of its message only (a Prisma message echoes the query's arguments, report text among
 * them, after its first line).
 */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof ServiceError) {
    return { kind: error.kind, code: error.code, message: firstLine(error), expected: true };
  }
  if (error instanceof ConfigError) {
    return {
      kind: "invalid",
      code: "CONFIG_INVALID",
      message: `configuration error: ${firstLine(error)}`,
      expected: true,
    };
  }
  if (error instanceof DatabaseError) {
    return {
      kind: DATABASE_KIND[error.code],
      code: error.code,
      message: `database error: ${firstLine(error)}`,
      expected: true,
    };
  }
  if (error instanceof DatasetError) {
    return { kind: DATASET_KIND[error.code], code: error.code, message: firstLine(error), expected: true };
  }
  if (error instanceof StoreError) {
    return {
      kind: STORE_KIND[error.code],
      code: error.code,
      message: `vector store: ${firstLine(error)}`,
      expected: true,
    };
  }
  if (error instanceof ParityReferenceError) {
    return { kind: "invalid", code: "PARITY_REFERENCE_MISSING", message: firstLine(error), expected: true };
  }
  const line = firstLine(error);
  const code = (error as { code?: unknown } | null)?.code;
  return {
    kind: "failed",
    code: typeof code === "string" && /^[A-Z_]+$/.test(code) ? code : "INTERNAL",
    message: line || "unexpected error",
    expected: false,
  };
}
