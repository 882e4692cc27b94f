/**
 * The one error model every face relies on. Each failure has a `kind`, which says what a caller can
 * do about it, and a `code`, which says exactly what happened. Faces map the kind to their own
 * transport (the CLI to exit codes, the API to GraphQL `extensions.code`); no package below
 * @cxr/services knows about any transport.
 *
 *   invalid          the request is wrong (bad argument, unusable input)       CLI exit 2
 *   not-found        something the request names does not exist                CLI exit 2
 *   conflict         the request clashes with the current state                CLI exit 2
 *   unavailable      a resource it needs cannot be used now (store, database)  CLI exit 2
 *   failed           it ran and failed (resumable where the use case says so)  CLI exit 1
 *
 * For serving: overloaded (a model's query queue is full, retry later: search/batcher.ts),
 * unauthenticated (no, a wrong or a revoked token) and forbidden (a token without the scope):
 * tokens/tokens.ts.
 */
export const ERROR_KINDS = [
  "invalid",
  "not-found",
  "conflict",
  "unavailable",
  "failed",
  "overloaded",
  "unauthenticated",
  "forbidden",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Base class of every error a use case throws on purpose. Messages never carry report text. */
export class ServiceError extends Error {
  override readonly name: string = "ServiceError";
  readonly kind: ErrorKind;
  readonly code: string;

  constructor(kind: ErrorKind, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.code = code;
  }
}

export function isServiceError(error: unknown, kind?: ErrorKind): error is ServiceError {
  return error instanceof ServiceError && (kind === undefined || error.kind === kind);
}
