/**
 * Typed store errors. Every failure a caller can act on has a code; @cxr/services' classifyError
 * turns the code into a kind that faces map to their transport (no transport codes here), so a
 * client can tell "your request is wrong" from "the vector store is down". Modelled on qdrant-js
 * `errors.ts`: a cause, and for remote stores the HTTP status and a truncated body.
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
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

const MAX_BODY = 300;
export function truncateBody(body: unknown): string {
  const text = typeof body === "string" ? body : (JSON.stringify(body) ?? "");
  return text.length <= MAX_BODY ? text : `${text.slice(0, MAX_BODY)} …`;
}
