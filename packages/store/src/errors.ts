/**
 * Typed store errors. Every failure a caller can act on has a code; the GraphQL layer maps the code
 * to BAD_USER_INPUT / NOT_FOUND / UNAVAILABLE so a client can tell "your request is wrong" from
 * "the vector store is down". Modelled on qdrant-js `errors.ts`: a cause, and for remote stores the
 * HTTP status and a truncated body.
 */

export const STORE_ERROR_CODES = [
  "DIMENSION_MISMATCH",
  "NAN_VALUE",
  "UNKNOWN_COLLECTION",
  "UNKNOWN_FILTER_FIELD",
  "INVALID_K",
  "INVALID_ID",
  "INVALID_ARGUMENT",
  "COLLECTION_CONFLICT",
  "UNAVAILABLE",
  "UNEXPECTED_RESPONSE",
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export type GraphQLErrorCode = "BAD_USER_INPUT" | "NOT_FOUND" | "UNAVAILABLE" | "INTERNAL_SERVER_ERROR";

const GRAPHQL_CODES: Record<StoreErrorCode, GraphQLErrorCode> = {
  DIMENSION_MISMATCH: "BAD_USER_INPUT",
  NAN_VALUE: "BAD_USER_INPUT",
  UNKNOWN_COLLECTION: "NOT_FOUND",
  UNKNOWN_FILTER_FIELD: "BAD_USER_INPUT",
  INVALID_K: "BAD_USER_INPUT",
  INVALID_ID: "BAD_USER_INPUT",
  INVALID_ARGUMENT: "BAD_USER_INPUT",
  COLLECTION_CONFLICT: "BAD_USER_INPUT",
  UNAVAILABLE: "UNAVAILABLE",
  UNEXPECTED_RESPONSE: "INTERNAL_SERVER_ERROR",
};

export interface StoreErrorDetails {
  /** The collection (or alias) the operation named, when there is one. */
  collection?: string;
  /** Where the store lives: a folder for the embedded store, a URL for Qdrant. */
  location?: string;
  /** HTTP status of a remote store's answer. */
  status?: number;
  /** A remote store's answer, truncated to a few hundred characters. */
  body?: string;
  /** Seconds a remote store asked us to wait (HTTP 429 Retry-After). */
  retryAfterSeconds?: number;
}

export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;
  readonly details: StoreErrorDetails;

  constructor(
    code: StoreErrorCode,
    message: string,
    details: StoreErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** The GraphQL `extensions.code` this error should surface as. */
  get graphqlCode(): GraphQLErrorCode {
    return GRAPHQL_CODES[this.code];
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

const MAX_BODY = 300;
export function truncateBody(body: unknown): string {
  const text = typeof body === "string" ? body : (JSON.stringify(body) ?? "");
  return text.length <= MAX_BODY ? text : `${text.slice(0, MAX_BODY)} …`;
}
