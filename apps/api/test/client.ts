import { type ApiClient, ApiError, createClient } from "@cxr/api-client";
import { expect } from "vitest";

/**
 * The typed client (@cxr/api-client, documents from @cxr/api-client/testing) as the API's
 * end-to-end tests use it: every answer's text is checked for what must never reach a client (a
 * server path), and the HTTP status and headers of every answer are kept for the tests that assert
 * them (Retry-After, 401/403/503).
 */
export interface TestClient extends ApiClient {
  /** Status and headers of every answer, in the order they arrived. */
  readonly answers: { status: number; headers: Headers }[];
}

export function testClient(
  url: string,
  options: { token?: string; forbidden?: string[]; headers?: Record<string, string> } = {},
): TestClient {
  const answers: { status: number; headers: Headers }[] = [];
  const client = createClient({
    endpoint: url,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.text();
      for (const word of options.forbidden ?? []) expect(text).not.toContain(word);
      answers.push({ status: res.status, headers: res.headers });
      return new Response(text, { status: res.status, headers: res.headers });
    },
  });
  return { ...client, answers };
}

/** "ok" when the request succeeded, else its error code (GraphQL extensions.code or the route's code). */
export async function outcome(request: Promise<unknown>): Promise<string> {
  try {
    await request;
    return "ok";
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return error.code ?? `HTTP ${error.status}`;
  }
}

/** The ApiError a request fails with (the test fails when it succeeds). */
export async function failure(request: Promise<unknown>): Promise<ApiError> {
  try {
    await request;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected the request to fail");
}
