import type { DocumentTypeDecoration } from "@graphql-typed-document-node/core";

/**
 * A tiny typed GraphQL-over-HTTP client for the cxr API: one POST per operation with
 * content-type application/json (which also satisfies Apollo's CSRF prevention), an optional
 * bearer token, the result typed by the generated document, and failures as ApiError.
 */

export type ApiErrorKind =
  /** The server could not be reached, or answered with something that is not GraphQL. */
  | "NETWORK"
  /** The server answered with GraphQL errors (extensions.code says which). */
  | "GRAPHQL"
  /** HTTP status outside 2xx without a GraphQL body (rate limit, payload too large, ...). */
  | "HTTP";

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  /** GraphQL extensions.code (BAD_USER_INPUT, NOT_FOUND, ...) or the HTTP body's code. */
  readonly code: string | null;
  /** The service's own reason (extensions.reason), when given. */
  readonly reason: string | null;
  readonly status: number | null;
  constructor(
    kind: ApiErrorKind,
    message: string,
    details: { code?: string | null; reason?: string | null; status?: number | null } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.code = details.code ?? null;
    this.reason = details.reason ?? null;
    this.status = details.status ?? null;
  }
}

export interface ClientOptions {
  /** The API's origin (e.g. http://127.0.0.1:4000) or a path prefix on this origin ("" or "/api"). */
  endpoint: string;
  token?: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

export interface ApiClient {
  request<TResult, TVariables>(
    /** A generated document (the web's, or the API tests' from @cxr/api-client/testing). */
    document: DocumentTypeDecoration<TResult, TVariables> & { toString(): string },
    variables: TVariables,
    init?: { signal?: AbortSignal },
  ): Promise<TResult>;
  /** POST /uploads: the raw image bytes; the id to search with. */
  upload(bytes: Blob | Uint8Array, init?: { signal?: AbortSignal }): Promise<UploadResult>;
  /** The absolute URL of a path the API serves (image previews). */
  url(path: string): string;
}

export interface UploadResult {
  id: string;
  width: number;
  height: number;
  format: string;
  expiresAt: string;
}

export function createClient(options: ClientOptions): ApiClient {
  const base = options.endpoint.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const auth: Record<string, string> =
    options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {};

  async function send(path: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, init);
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new ApiError("NETWORK", `the API at ${base || "this site"} cannot be reached`);
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      throw new ApiError("HTTP", `the API answered ${res.status} with no readable body`, {
        status: res.status,
      });
    }
  }

  return {
    async request(document, variables, init = {}) {
      const { status, body } = await send("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...auth, ...options.headers },
        body: JSON.stringify({ query: document.toString(), variables }),
        ...(init.signal ? { signal: init.signal } : {}),
      });
      const answer = body as GraphQLResponse<never> & { code?: string; message?: string };
      const first = answer.errors?.[0];
      if (first !== undefined) {
        throw new ApiError("GRAPHQL", first.message, {
          code: first.extensions?.code ?? null,
          reason: first.extensions?.reason ?? null,
          status,
        });
      }
      if (status < 200 || status >= 300 || answer.data == null) {
        throw new ApiError("HTTP", answer.message ?? `the API answered ${status}`, {
          code: answer.code ?? null,
          status,
        });
      }
      return answer.data;
    },
    async upload(bytes, init = {}) {
      const { status, body } = await send("/uploads", {
        method: "POST",
        headers: { "content-type": "application/octet-stream", ...auth, ...options.headers },
        body: bytes as RequestInit["body"],
        ...(init.signal ? { signal: init.signal } : {}),
      });
      const answer = body as Partial<UploadResult> & { code?: string; reason?: string; message?: string };
      if (status !== 201 && status !== 200) {
        throw new ApiError("HTTP", answer.message ?? `the upload was refused (${status})`, {
          code: answer.code ?? null,
          reason: answer.reason ?? null,
          status,
        });
      }
      return answer as UploadResult;
    },
    url: (path) => `${base}${path}`,
  };
}
