import { API_URL } from "../../lib/api";

/**
 * The browser's way to the API: same-origin requests under /api/* forwarded to the API at run time
 * (CXR_API_URL), so the page needs neither CORS nor a preflight header for Apollo's CSRF check.
 * Only the routes the UI uses are forwarded. A browser-supplied Authorization header (the token a
 * person types on the jobs or submission page, kept in sessionStorage) is forwarded as is and wins
 * over CXR_API_TOKEN, the web server's own token, which is sent only when the browser sends none.
 */
const ALLOWED = [/^graphql$/, /^uploads$/, /^images\/[^/]+$/, /^leaderboard\/export\.(csv|json)$/];

async function forward(request: Request, params: Promise<{ path: string[] }>) {
  const { path } = await params;
  const joined = path.join("/");
  if (!ALLOWED.some((re) => re.test(joined))) {
    return Response.json({ code: "NOT_FOUND", message: `no API route /${joined}` }, { status: 404 });
  }
  const url = new URL(request.url);
  const headers = new Headers();
  for (const name of ["content-type", "authorization", "accept", "x-request-id"]) {
    const value = request.headers.get(name);
    if (value) headers.set(name, value);
  }
  const token = process.env.CXR_API_TOKEN;
  if (token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
  const init: RequestInit & { duplex?: "half" } = { method: request.method, headers };
  if (request.method !== "GET" && request.method !== "HEAD") {
    init.body = request.body;
    init.duplex = "half";
  }
  let answer: Response;
  try {
    answer = await fetch(`${API_URL}/${joined}${url.search}`, init);
  } catch {
    return Response.json(
      { code: "API_UNREACHABLE", message: "the API cannot be reached from the web server" },
      { status: 502 },
    );
  }
  const out = new Headers();
  for (const name of [
    "content-type",
    "content-disposition",
    "cache-control",
    "retry-after",
    "x-request-id",
  ]) {
    const value = answer.headers.get(name);
    if (value) out.set(name, value);
  }
  return new Response(answer.body, { status: answer.status, headers: out });
}

type Context = { params: Promise<{ path: string[] }> };
export const GET = (request: Request, ctx: Context) => forward(request, ctx.params);
export const POST = (request: Request, ctx: Context) => forward(request, ctx.params);
export const dynamic = "force-dynamic";
