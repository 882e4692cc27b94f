import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { ingest, manifest, synthesize } from "@cxr/datasets";
import { openDatabase } from "@cxr/db";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cxr, repoRoot } from "../support/cli.ts";

/**
 * A long report pasted as `cxr search --text` must not reach onnxruntime-node, which crashes
 * (SIGSEGV, exit 139, no message) on command lines of about 29 KB: it is refused with one line and
 * exit 2, and the same text goes through `--text-file FILE` or `--text-file -` (standard input).
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-long-args-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { CXR_DATA_DIR: path.join(work, "data"), CXR_EXECUTION_PROVIDERS: "cpu", CXR_CPU_THREADS: "1" };

// About 60 KB of report text.
const sentence = "Small left pleural effusion with adjacent atelectasis; no pneumothorax. ";
const longText = sentence.repeat(Math.ceil(60_000 / sentence.length));

beforeAll(async () => {
  const bundle = path.join(work, "tiny");
  await writeTinyBundle(bundle, { id: "tiny" });
  const added = cxr(["models", "add", bundle], env);
  expect(added.status, added.stderr).toBe(0);
  const db = await openDatabase(loadConfig(env));
  try {
    const synth = await synthesize({ out: path.join(work, "synth"), studies: 4, seed: "long-args" });
    await ingest(db.prisma, manifest(synth.out), { name: "synth" });
  } finally {
    await db.close();
  }
  const indexed = cxr(["index", "--model", "tiny", "--dataset", "synth"], env);
  expect(indexed.status, indexed.stderr).toBe(0);
}, 300_000);

interface SearchJson {
  results: Array<{ hits: unknown[] }>;
}

describe("cxr search with a long query text", () => {
  it("--text of 60 KB exits 2 with one line naming the limit and the file/stdin way", () => {
    expect(longText.length).toBeGreaterThanOrEqual(60_000);
    const result = cxr(["search", "--model", "tiny", "--text", longText], env);
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cxr: .*limit of 16384 bytes/);
    expect(lines[0]).toContain("--text-file FILE");
    expect(lines[0]).toContain("standard input with --text-file -");
    expect(result.stdout).toBe("");
  });

  it("the same text through --text-file FILE runs and finds images", () => {
    const file = path.join(work, "query.txt");
    writeFileSync(file, longText);
    const result = cxr(["search", "--model", "tiny", "--text-file", file, "--k", "3", "--json"], env);
    expect(result.status, result.stderr).toBe(0);
    const parsed = JSON.parse(result.stdout) as SearchJson;
    expect(parsed.results[0]!.hits).toHaveLength(3);
  });

  it("the same text through --text-file - (standard input) gives the same hits as the file", () => {
    const file = path.join(work, "query.txt");
    writeFileSync(file, longText);
    const fromFile = cxr(["search", "--model", "tiny", "--text-file", file, "--k", "3", "--json"], env);
    const fromStdin = spawnSync(
      path.join(repoRoot, "node_modules/.bin/tsx"),
      [
        path.join(repoRoot, "apps/cli/src/main.ts"),
        "search",
        "--model",
        "tiny",
        "--text-file",
        "-",
        "--k",
        "3",
        "--json",
      ],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        input: longText,
        encoding: "utf8",
        timeout: 300_000,
      },
    );
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toEqual(JSON.parse(fromFile.stdout));
  });

  it("a missing --text-file is one line and exit 2", () => {
    const result = cxr(["search", "--model", "tiny", "--text-file", path.join(work, "absent.txt")], env);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/^cxr: cannot read .*absent\.txt: no such file$/);
  });
});
