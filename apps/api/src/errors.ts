import { classifyError, type ErrorKind } from "@cxr/services";
import type { GraphQLFormattedError } from "graphql/index.js";
import { GraphQLError } from "graphql/index.js";

/**
 * The API's one error mapping (style: one core error, mapped once per face). The services classify
 * every failure into a kind (`classifyError`); this file maps the kind to a GraphQL code (and, for
 * the plain HTTP routes, a status). Anything the services do not recognise is an
 * INTERNAL_SERVER_ERROR whose message never leaves the server.
 */

export type ApiErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "UNAVAILABLE"
  | "OVERLOADED"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "PAYLOAD_TOO_LARGE"
  | "INTERNAL_SERVER_ERROR";

/** The kind of a service error, or null for anything else (a bug, a crash: never shown). */
export function kindOf(error: unknown): { kind: ErrorKind; code: string } | null {
  const classified = classifyError(error);
  return classified.expected ? { kind: classified.kind, code: classified.code } : null;
}

const GRAPHQL_CODE: Record<ErrorKind, ApiErrorCode> = {
  invalid: "BAD_USER_INPUT",
  "not-found": "NOT_FOUND",
  conflict: "CONFLICT",
  unavailable: "UNAVAILABLE",
  failed: "INTERNAL_SERVER_ERROR",
  overloaded: "OVERLOADED",
  unauthenticated: "UNAUTHENTICATED",
  forbidden: "FORBIDDEN",
};

const HTTP_STATUS: Record<ApiErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  OVERLOADED: 503,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
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
  "OVERLOADED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
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
