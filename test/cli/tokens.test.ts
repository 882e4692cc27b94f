import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { cxr } from "../support/cli.ts";

/**
 * `cxr tokens` and `cxr serve`'s refusal to serve the network open, as a user runs them: a token is
 * printed once and never listed, revoking marks it, and `serve --host 0.0.0.0` with no token exits
 * 2 with one line, before listening.
 */

const dir = mkdtempSync(path.join(tmpdir(), "cxr-cli-tokens-"));
const env = { CXR_DATA_DIR: path.join(dir, "data") };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("refuses to serve the network without tokens, creates, lists and revokes tokens", () => {
  const refused = cxr(["serve", "--host", "0.0.0.0", "--port", "4799"], env);
  expect(refused.status).toBe(2);
  expect(refused.stderr.trim().split("\n")).toHaveLength(1);
  expect(refused.stderr).toMatch(/refusing to serve .* without access tokens.*--allow-open/);

  const bad = cxr(["tokens", "create", "--scopes", "read,root"], env);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('unknown scope "root"');

  const created = cxr(["tokens", "create", "--scopes", "run,read", "--name", "ci", "--json"], env);
  expect(created.status).toBe(0);
  const token = JSON.parse(created.stdout) as { id: string; token: string; scopes: string[] };
  expect(token.token).toMatch(/^cxr_/);
  expect(token.scopes).toEqual(["read", "run"]);

  const list = cxr(["tokens", "list"], env);
  expect(list.status).toBe(0);
  expect(list.stdout).toContain(token.id);
  expect(list.stdout).not.toContain(token.token);

  expect(cxr(["tokens", "revoke", token.id], env).status).toBe(0);
  const listed = JSON.parse(cxr(["tokens", "list", "--json"], env).stdout) as {
    id: string;
    revokedAt: string;
  }[];
  expect(listed.find((t) => t.id === token.id)?.revokedAt).toBeTruthy();
  expect(cxr(["tokens", "revoke", "no-such-token"], env).status).toBe(2);
});
