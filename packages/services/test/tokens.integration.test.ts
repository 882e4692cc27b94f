import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccessPolicy,
  classifyError,
  createToken,
  hasActiveTokens,
  isLoopback,
  listTokens,
  openServices,
  requireScope,
  revokeToken,
  type Services,
  verifyToken,
} from "../src/index.ts";

let dir: string;
let services: Services;
let db: Awaited<ReturnType<Services["database"]>>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "cxr-tokens-"));
  services = openServices(loadConfig({ CXR_DATA_DIR: dir }, dir));
  db = await services.database();
});
afterAll(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

const kindOf = async (work: Promise<unknown>) => {
  try {
    await work;
  } catch (error) {
    const c = classifyError(error);
    return `${c.kind}/${c.code}`;
  }
  return "ok";
};

describe("tokens", () => {
  it("stores only a hash, verifies the secret, and refuses it once revoked", async () => {
    const policy = new AccessPolicy(db, { network: false });
    expect(await policy.authenticate(undefined)).toEqual({ kind: "open" });

    const created = await createToken(db, { scopes: "run,read", name: "ci" });
    expect(created.token).toMatch(/^cxr_[A-Za-z0-9_-]{43}$/);
    expect(created.scopes).toEqual(["read", "run"]);
    const row = await db.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(JSON.stringify(await listTokens(db))).not.toContain(created.token);

    expect(await verifyToken(db, created.token)).toEqual({
      kind: "token",
      tokenId: created.id,
      scopes: ["read", "run"],
    });
    // one token exists: loopback is no longer open
    expect(await policy.authenticate(undefined)).toEqual({ kind: "anonymous" });
    expect(await kindOf(verifyToken(db, `${created.token.slice(0, -1)}x`))).toBe(
      "unauthenticated/INVALID_TOKEN",
    );
    expect(await kindOf(policy.authenticate(`Basic ${created.token}`))).toBe("unauthenticated/INVALID_TOKEN");

    const revoked = await revokeToken(db, created.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await kindOf(verifyToken(db, created.token))).toBe("unauthenticated/INVALID_TOKEN");
    expect((await revokeToken(db, created.id)).revokedAt).toEqual(revoked.revokedAt);
    expect(await hasActiveTokens(db)).toBe(false);
    expect(await kindOf(revokeToken(db, "nope"))).toBe("not-found/UNKNOWN_TOKEN");
  });

  it("refuses bad scopes and names, and writes nothing", async () => {
    const before = (await listTokens(db)).length;
    expect(await kindOf(createToken(db, { scopes: "read,root" }))).toBe("invalid/INVALID_SCOPES");
    expect(await kindOf(createToken(db, { scopes: "" }))).toBe("invalid/INVALID_SCOPES");
    expect(await kindOf(createToken(db, { scopes: "read", name: "x".repeat(101) }))).toBe(
      "invalid/INVALID_NAME",
    );
    expect((await listTokens(db)).length).toBe(before);
  });

  it("checks scopes: admin implies every scope, anonymous needs a token", () => {
    const read = { kind: "token" as const, tokenId: "t", scopes: ["read" as const] };
    expect(() => requireScope(read, "read")).not.toThrow();
    expect(classifyError(catchIt(() => requireScope(read, "run"))).kind).toBe("forbidden");
    expect(() => requireScope({ kind: "token", tokenId: "a", scopes: ["admin"] }, "submit")).not.toThrow();
    expect(classifyError(catchIt(() => requireScope({ kind: "anonymous" }, "read"))).kind).toBe(
      "unauthenticated",
    );
    expect(() => requireScope({ kind: "open" }, "admin")).not.toThrow();
  });

  it("refuses to serve the network open without tokens unless allowed", async () => {
    expect(await hasActiveTokens(db)).toBe(false);
    expect(await kindOf(new AccessPolicy(db, { network: true }).assertCanServe())).toBe(
      "conflict/OPEN_ON_NETWORK",
    );
    expect(await kindOf(new AccessPolicy(db, { network: true, allowOpen: true }).assertCanServe())).toBe(
      "ok",
    );
    expect(await new AccessPolicy(db, { network: true }).authenticate(undefined)).toEqual({
      kind: "anonymous",
    });
    const t = await createToken(db, { scopes: "read" });
    expect(await kindOf(new AccessPolicy(db, { network: true }).assertCanServe())).toBe("ok");
    await revokeToken(db, t.id);
    expect([
      isLoopback("127.0.0.1"),
      isLoopback("::1"),
      isLoopback("localhost"),
      isLoopback("0.0.0.0"),
    ]).toEqual([true, true, true, false]);
  });
});

function catchIt(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}
