import { ApiError, createClient } from "@cxr/api-client";

/** Where the API listens, for the web server (server components, the proxy route). */
export const API_URL = (process.env.CXR_API_URL ?? "http://127.0.0.1:4000").replace(/\/+$/, "");

/** For server components: straight to the API. */
export const serverApi = () => createClient({ endpoint: API_URL, ...tokenOption() });

/** For the browser: through this site's /api proxy (same origin, so no CORS and no CSRF trouble). */
export const browserApi = () => createClient({ endpoint: "/api" });

function tokenOption(): { token?: string } {
  const token = process.env.CXR_API_TOKEN;
  return token ? { token } : {};
}

/** An image the API serves (previewUrl, originalUrl), as the browser reaches it. */
export const imageSrc = (apiPath: string) => `/api${apiPath.startsWith("/") ? "" : "/"}${apiPath}`;

/** Any failure as a sentence a person understands. */
export function sentence(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.kind) {
      case "NETWORK":
        return "The search service cannot be reached. Is the API running (pnpm cxr serve)?";
      case "HTTP": {
        const why = error.reason ?? error.code;
        const message = error.message.replace(/^[A-Z_]+: /, "");
        if (error.status === 429) return "Too many requests in a minute: wait a moment and try again.";
        if (error.status === 413) return `This file is too large to upload: ${message}`;
        if (why === "UNSUPPORTED_FORMAT" || why === "CORRUPT" || why === "TRUNCATED")
          return `This file is not an image we can read: ${message}`;
        if (why === "EMPTY") return "This file is empty.";
        if (why === "TOO_LARGE") return `This image is too large: ${message}`;
        return `The service refused the request: ${message}`;
      }
      case "GRAPHQL":
        if (error.code === "NOT_FOUND") return `Not found: ${error.message}`;
        if (error.code === "BAD_USER_INPUT") return `That request cannot be answered: ${error.message}`;
        if (error.code === "UNAVAILABLE") return `The service is unavailable right now: ${error.message}`;
        return `Something went wrong on the server (${error.code ?? "error"}): ${error.message}`;
    }
  }
  if (error instanceof Error) return `Something went wrong: ${error.message}`;
  return "Something went wrong.";
}

export const fmt = (value: number | null | undefined, digits = 3) =>
  value == null || Number.isNaN(value) ? "–" : value.toFixed(digits);

export const short = (hash: string | null | undefined) => (hash ? `${hash.slice(0, 12)}…` : "–");

/** A refusal for want of a token or scope, as a sentence; null for any other failure. */
export function scopeSentence(error: unknown, scope: string, hadToken: boolean): string | null {
  if (!(error instanceof ApiError)) return null;
  if (error.code === "UNAUTHENTICATED" || error.status === 401)
    return hadToken
      ? "The token was refused (wrong, malformed or revoked): check it and paste it again."
      : `A token with the ${scope} scope is needed: paste one above.`;
  if (error.code === "FORBIDDEN" || error.status === 403)
    return hadToken
      ? `This token cannot do that: it needs the ${scope} scope.`
      : `A token with the ${scope} scope is needed: paste one above.`;
  return null;
}
