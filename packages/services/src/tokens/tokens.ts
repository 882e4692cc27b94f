import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { Database } from "@cxr/db";
import { ServiceError } from "../errors/service-error.ts";

/**
 * API access tokens (`cxr tokens`, the API's Authorization: Bearer). A token is 32 random bytes
 * shown once at creation; only its sha256 is stored, so a copy of the database grants nothing.
 * Scopes: `read` (search, datasets, reports, images, uploads), `run` (start index and benchmark
 * jobs), `submit` (leaderboard submissions), `admin` (models, tokens, verification; implies every
 * other scope). Model cards, protocols, benchmark runs and the leaderboard need no token.
 */

export const TOKEN_SCOPES = ["read", "run", "submit", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const PREFIX = "cxr_";
const NAME_MAX = 100;

type Db = Pick<Database, "prisma">;

export interface TokenInfo {
  id: string;
  name: string | null;
  scopes: TokenScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The caller of one request: a token's scopes, everyone (an open server), or nobody. */
export type Principal =
  | { kind: "open" }
  | { kind: "token"; tokenId: string; scopes: TokenScope[] }
  | { kind: "anonymous" };

export class TokenError extends ServiceError {
  override readonly name = "TokenError";
}

export function parseScopes(value: string | readonly string[]): TokenScope[] {
  const items = (typeof value === "string" ? value.split(",") : [...value])
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) {
    throw new TokenError("invalid", "INVALID_SCOPES", `name at least one scope (${TOKEN_SCOPES.join(", ")})`);
  }
  const unknown = items.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new TokenError(
      "invalid",
      "INVALID_SCOPES",
      `unknown scope "${unknown[0]!.slice(0, 40)}" (scopes: ${TOKEN_SCOPES.join(", ")})`,
    );
  }
  return TOKEN_SCOPES.filter((s) => items.includes(s));
}

function hashOf(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function info(row: {
  id: string;
  name: string | null;
  scopes: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** Creates a token; `token` is the only copy of the secret (print it once, never log it). */
export async function createToken(
  db: Db,
  options: { scopes: string | readonly string[]; name?: string },
): Promise<TokenInfo & { token: string }> {
  const scopes = parseScopes(options.scopes);
  const name = options.name?.trim();
  if (name !== undefined && (name === "" || name.length > NAME_MAX || /\p{Cc}/u.test(name))) {
    throw new TokenError("invalid", "INVALID_NAME", `a token name is 1..${NAME_MAX} printable characters`);
  }
  const token = PREFIX + randomBytes(32).toString("base64url");
  const row = await db.prisma.apiToken.create({
    data: { name: name ?? null, hash: hashOf(token), scopes: scopes.join(",") },
  });
  tokensChanged++;
  return { ...info(row), token };
}

/** Every token, newest first (never the secret, which is not kept). */
export async function listTokens(db: Db): Promise<TokenInfo[]> {
  const rows = await db.prisma.apiToken.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map(info);
}

/** Revokes a token at once (the next request with it is refused); revoking twice changes nothing. */
export async function revokeToken(db: Db, id: string): Promise<TokenInfo> {
  const row = await db.prisma.apiToken.findUnique({ where: { id } });
  if (row === null)
    throw new TokenError("not-found", "UNKNOWN_TOKEN", `no token with id "${id.slice(0, 64)}"`);
  if (row.revokedAt !== null) return info(row);
  const revoked = await db.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  tokensChanged++;
  return info(revoked);
}

/** Bumped by createToken and revokeToken: an AccessPolicy in this process re-reads at once. */
let tokensChanged = 0;

/** Whether any token can still be used (then the server is never open). */
export async function hasActiveTokens(db: Db): Promise<boolean> {
  return (await db.prisma.apiToken.count({ where: { revokedAt: null } })) > 0;
}

/**
 * The principal of a presented secret. The lookup is by hash (indexed), and the stored hash is
 * compared again in constant time; unknown and revoked tokens get the same error.
 */
export async function verifyToken(db: Db, token: string): Promise<Principal & { kind: "token" }> {
  const refused = () => new TokenError("unauthenticated", "INVALID_TOKEN", "the token is not valid");
  if (token.length < PREFIX.length + 16 || token.length > 200) throw refused();
  const hash = hashOf(token);
  const row = await db.prisma.apiToken.findUnique({ where: { hash } });
  if (row === null || row.revokedAt !== null) throw refused();
  if (!timingSafeEqual(Buffer.from(row.hash, "hex"), Buffer.from(hash, "hex"))) throw refused();
  // best effort, at most once a minute per token: a failed write never refuses a valid token
  if (row.lastUsedAt === null || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    db.prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  return { kind: "token", tokenId: row.id, scopes: parseScopes(row.scopes) };
}

/** True for an address only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h === "::1") return true;
  return h.startsWith("::ffff:127.");
}

export interface AccessPolicyOptions {
  /** Bound to an address other machines can reach. */
  network: boolean;
  /** On the network with no tokens: serve everything anyway (`cxr serve --allow-open`). */
  allowOpen?: boolean;
  /**
   * How long whether any token exists is remembered (ms; default 1000, 0 reads it on every
   * request). Tokens created or revoked in this process take effect at once whatever this is;
   * by `cxr tokens` in another process, within this time. A presented token is always checked.
   */
  tokenCacheMs?: number;
}

/**
 * Who may do what. Open (everything allowed, no token needed) only while no token can be used
 * and the server is on loopback or was explicitly allowed open; otherwise every protected
 * operation needs a token with the scope. A presented token is checked on every request; whether
 * any token exists (open or not, for requests without one) is remembered for `tokenCacheMs` (1 s):
 * a token created or revoked by `cxr tokens` in another process takes effect within that, one
 * created or revoked in this process at once.
 */
export class AccessPolicy {
  private known: { active: boolean; at: number; generation: number } | undefined;

  constructor(
    private readonly db: Db,
    private readonly options: AccessPolicyOptions,
  ) {}

  private async activeTokens(): Promise<boolean> {
    const ttl = this.options.tokenCacheMs ?? 1000;
    const now = Date.now();
    const k = this.known;
    if (k !== undefined && k.generation === tokensChanged && now - k.at < ttl) return k.active;
    const generation = tokensChanged;
    const active = await hasActiveTokens(this.db);
    this.known = { active, at: now, generation };
    return active;
  }

  /** Refuses to serve the network open unless allowed: checked before listening. */
  async assertCanServe(): Promise<void> {
    if (!this.options.network || this.options.allowOpen) return;
    if (!(await hasActiveTokens(this.db))) {
      throw new TokenError(
        "conflict",
        "OPEN_ON_NETWORK",
        "refusing to serve reports and images to the network without access tokens: create one with `cxr tokens create --scopes read`, or pass --allow-open",
      );
    }
  }

  /** The principal of a request's Authorization header (undefined: none sent). */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization !== undefined && authorization !== "") {
      const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
      if (match === null) {
        throw new TokenError(
          "unauthenticated",
          "INVALID_TOKEN",
          "send the token as Authorization: Bearer <token>",
        );
      }
      return verifyToken(this.db, match[1]!);
    }
    const open = (!this.options.network || this.options.allowOpen === true) && !(await this.activeTokens());
    return open ? { kind: "open" } : { kind: "anonymous" };
  }
}

/** Throws unless the principal may act with `scope` (admin implies every scope). */
export function requireScope(principal: Principal, scope: TokenScope): void {
  if (principal.kind === "open") return;
  if (principal.kind === "anonymous") {
    throw new TokenError("unauthenticated", "TOKEN_REQUIRED", `this needs a token with the "${scope}" scope`);
  }
  if (!principal.scopes.includes(scope) && !principal.scopes.includes("admin")) {
    throw new TokenError("forbidden", "SCOPE_MISSING", `this token lacks the "${scope}" scope`);
  }
}
