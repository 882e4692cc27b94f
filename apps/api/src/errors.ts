import type { GraphQLFormattedError } from "graphql/index.js";
import { GraphQLError } from "graphql/index.js";

/**
 * The API's one error mapping (style: one core error, mapped once per face). Every service error
 * becomes a GraphQL code (and, for the plain HTTP routes, a status); anything unrecognised is an
 * INTERNAL_SERVER_ERROR whose message never leaves the server.
 *
 * Today's services have one error class per domain, each with a `code`. `kindOf` turns them into
 * the five kinds the services are converging on (invalid, not-found, conflict, unavailable,
 * failed); when @cxr/services exports `classifyError`, `kindOf` becomes a call to it.
 */

export type ErrorKind = "invalid" | "not-found" | "conflict" | "unavailable" | "failed";

export type ApiErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "UNAVAILABLE"
  | "PAYLOAD_TOO_LARGE"
  | "INTERNAL_SERVER_ERROR";

const SERVICE_ERRORS = new Set([
  "IndexSearchError",
  "BenchError",
  "ModelError",
  "CatalogError",
  "UploadError",
  "StoreError",
  "DatabaseError",
]);

const KIND_OF_CODE: Record<string, ErrorKind> = {
  // IndexSearchError
  UNKNOWN_MODEL: "not-found",
  UNKNOWN_DATASET: "not-found",
  UNKNOWN_IMAGE: "not-found",
  NOT_INDEXED: "not-found",
  DATASET_NOT_READY: "invalid",
  JOB_CONFLICT: "conflict",
  INVALID_ARGUMENT: "invalid",
  INVALID_K: "invalid",
  EMPTY_TEXT: "invalid",
  INVALID_IMAGE: "invalid",
  MODEL_UNAVAILABLE: "unavailable",
  JOB_FAILED: "failed",
  // BenchError
  UNKNOWN_SPLIT: "not-found",
  UNKNOWN_RUN: "not-found",
  NO_QUERIES: "invalid",
  RUN_FAILED: "failed",
  // ModelError
  NOT_FOUND: "not-found",
  ALREADY_EXISTS: "conflict",
  INVALID_BUNDLE: "invalid",
  VERIFY_FAILED: "unavailable",
  NOT_PULLABLE: "invalid",
  DOWNLOAD_FAILED: "unavailable",
  MODELS_DIR_UNWRITABLE: "failed",
  // CatalogError
  UNKNOWN_STUDY: "not-found",
  IMAGE_UNREADABLE: "unavailable",
  // UploadError
  EMPTY: "invalid",
  TOO_LARGE: "invalid",
  UNSUPPORTED_FORMAT: "invalid",
  TRUNCATED: "invalid",
  CORRUPT: "invalid",
  UNKNOWN_UPLOAD: "not-found",
  // StoreError
  UNKNOWN_COLLECTION: "not-found",
  DIMENSION_MISMATCH: "invalid",
  NAN_VALUE: "invalid",
  UNKNOWN_FILTER_FIELD: "invalid",
  INVALID_ID: "invalid",
  COLLECTION_CONFLICT: "conflict",
  UNAVAILABLE: "unavailable",
  UNEXPECTED_RESPONSE: "failed",
};

/** The kind of a service error, or null for anything else (a bug, a crash: never shown). */
export function kindOf(error: unknown): { kind: ErrorKind; code: string } | null {
  if (!(error instanceof Error) || !SERVICE_ERRORS.has(error.name)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return null;
  if (error.name === "DatabaseError") return { kind: "unavailable", code };
  return { kind: KIND_OF_CODE[code] ?? "failed", code };
}

const GRAPHQL_CODE: Record<ErrorKind, ApiErrorCode> = {
  invalid: "BAD_USER_INPUT",
  "not-found": "NOT_FOUND",
  conflict: "CONFLICT",
  unavailable: "UNAVAILABLE",
  failed: "INTERNAL_SERVER_ERROR",
};

const HTTP_STATUS: Record<ApiErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL_SERVER_ERROR: 500,
};

export const INTERNAL_MESSAGE = "internal error (see the server log for this request id)";

/**
 * A message safe to send: absolute paths replaced (service messages name files for the CLI's user,
 * who owns them; an API client must not learn the server's layout).
 */
export function publicMessage(message: string): string {
  return message
    .split("\n")[0]!
    .replace(/(?:[A-Za-z]:)?(?:\/[^\s/:"'`()]+){2,}\/?/g, "<path>")
    .slice(0, 500);
}

/** Any thrown value as the error a client sees: code, service code and a safe message. */
export function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const classified = kindOf(error);
  if (classified === null || classified.kind === "failed") {
    return new GraphQLError(INTERNAL_MESSAGE, {
      extensions: { code: "INTERNAL_SERVER_ERROR" },
      originalError: error instanceof Error ? error : undefined,
    });
  }
  return new GraphQLError(publicMessage((error as Error).message), {
    extensions: { code: GRAPHQL_CODE[classified.kind], reason: classified.code },
    originalError: error as Error,
  });
}

/** The status and body of a failed plain-HTTP request (uploads, images). */
export function toHttpError(error: unknown): {
  status: number;
  body: { code: ApiErrorCode; reason?: string; message: string };
} {
  const graphql = toGraphQLError(error);
  const code = graphql.extensions.code as ApiErrorCode;
  const reason = graphql.extensions.reason as string | undefined;
  return {
    status: HTTP_STATUS[code],
    body: { code, ...(reason === undefined ? {} : { reason }), message: graphql.message },
  };
}

/** Codes whose messages are the server's own and safe to show (Apollo's and graphql-armor's included). */
const SHOWN = new Set([
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "UNAVAILABLE",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

/**
 * Apollo's formatError: whatever escaped a resolver unmapped (a bug) is reduced to a code and a
 * fixed message; no stack, path, SQL or report text is ever in a response.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = String(formatted.extensions?.code ?? "INTERNAL_SERVER_ERROR");
  const original = (error as { originalError?: unknown } | undefined)?.originalError;
  let mapped = formatted;
  if (original !== undefined && !(original instanceof GraphQLError) && code === "INTERNAL_SERVER_ERROR") {
    // thrown by a resolver without going through toGraphQLError: map it now
    const again = toGraphQLError(original);
    mapped = { ...formatted, message: again.message, extensions: { ...again.extensions } };
  }
  const finalCode = String(mapped.extensions?.code ?? "INTERNAL_SERVER_ERROR");
  const {
    stacktrace: _stack,
    exception: _exception,
    ...extensions
  } = (mapped.extensions ?? {}) as Record<string, unknown>;
  return {
    message: SHOWN.has(finalCode) ? mapped.message : INTERNAL_MESSAGE,
    ...(mapped.locations ? { locations: mapped.locations } : {}),
    ...(mapped.path ? { path: mapped.path } : {}),
    extensions: { ...extensions, code: finalCode },
  };
}
