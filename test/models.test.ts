import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { postgresAvailable, tempPostgres } from "@cxr/db/testing";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { type HubFixture, startHubFixture } from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cxr, cxrAsync, repoRoot } from "./support/cli.ts";

/** `cxr models ...` as a user runs it: a temp data folder each, CPU execution (no GPU probing noise). */

const work = mkdtempSync(path.join(tmpdir(), "cxr-models-e2e-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const envFor = (name: string) => ({
  CXR_DATA_DIR: path.join(work, `${name}-${++n}`),
  CXR_EXECUTION_PROVIDERS: "cpu",
});

/** The `cxr:` line(s) of stderr (ONNX Runtime may print its own warnings around them). */
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("cxr: "));

function listIds(env: Record<string, string>): string[] {
  const list = cxr(["models", "list", "--json"], env);
  expect(list.status, list.stderr).toBe(0);
  return (JSON.parse(list.stdout) as Array<{ id: string }>).map((m) => m.id);
}

describe("cxr models add | list | show | verify | remove", () => {
  it("has --help", () => {
    for (const args of [
      ["models", "--help"],
      ["models", "pull", "--help"],
    ]) {
      const result = cxr(args);
      expect(result.status, args.join(" ")).toBe(0);
      expect(result.stdout).toContain("Usage: cxr models");
      if (args.length === 2) {
        for (const sub of [
          "add [options] <dir>",
          "list [options]",
          "show [options] <id>",
          "verify [options] <id>",
          "remove [options] <id>",
          "pull [options] <id>",
        ]) {
          expect(result.stdout).toContain(sub);
        }
      }
    }
  });

  it("adds a tiny bundle, lists it, shows its card, verifies it and removes it", async () => {
    const env = envFor("tiny");
    const dir = path.join(work, "tiny-bundle");
    await writeTinyBundle(dir, { id: "tiny-e2e" });

    const added = cxr(["models", "add", dir], env);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toContain("added tiny-e2e 0.0.1");
    expect(added.stdout).toMatch(/self-test\s+9\/9 checks passed/);

    const list = cxr(["models", "list", "--json"], env);
    expect(list.status).toBe(0);
    const [model] = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(model).toMatchObject({ id: "tiny-e2e", dimension: 8, license: "CC0-1.0" });
    expect(model!.bundlePath).toBe(path.join(env.CXR_DATA_DIR, "models", "tiny-e2e"));
    expect(model!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(cxr(["models", "list"], env).stdout).toMatch(
      /^ID\s+VERSION\s+DIM\s+LICENSE.*\ntiny-e2e\s+0\.0\.1\s+8\s+CC0-1\.0/,
    );

    const show = cxr(["models", "show", "tiny-e2e"], env);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain("# Tiny test model");
    expect(show.stdout).toContain("pixel_values [batch, 1, 8, 8] -> image_embeds");

    const verify = cxr(["models", "verify", "tiny-e2e", "--json"], env);
    expect(verify.status, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).check.selfTest.ok).toBe(true);

    // A registered file changed behind our back: verify fails (exit 1) naming it.
    const copy = path.join(env.CXR_DATA_DIR, "models", "tiny-e2e", "card.md");
    await writeFile(copy, "# edited\n");
    const drift = cxr(["models", "verify", "tiny-e2e"], env);
    expect(drift.status).toBe(1);
    expect(errorLines(drift.stderr)).toEqual([
      expect.stringMatching(/card\.md: files\.card\.md: sha256 mismatch/),
    ]);

    const again = cxr(["models", "add", dir], env);
    expect(again.status).toBe(2);
    expect(errorLines(again.stderr)[0]).toContain('model "tiny-e2e" is already registered');

    const removed = cxr(["models", "remove", "tiny-e2e"], env);
    expect(removed.status).toBe(0);
    expect(listIds(env)).toEqual([]);
    expect(existsSync(path.join(env.CXR_DATA_DIR, "models", "tiny-e2e"))).toBe(false);
    expect(cxr(["models", "show", "tiny-e2e"], env).status).toBe(2);
  });

  it("refuses bad bundles with exit 2 and one line naming the file and field; nothing is recorded", async () => {
    const env = envFor("bad");
    const html =
      "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in to download</body></html>\n";
    const cases: Array<{ name: string; make: (dir: string) => Promise<void>; line: RegExp }> = [
      {
        name: "missing-file",
        make: async (dir) => {
          await writeTinyBundle(dir);
          await rm(path.join(dir, "tokenizer.json"));
        },
        line: /missing-file\/tokenizer\.json: files\.tokenizer\.json: missing from the bundle/,
      },
      {
        name: "wrong-checksum",
        make: async (dir) => {
          await writeTinyBundle(dir);
          await writeFile(path.join(dir, "LICENSE"), "changed after the manifest was written\n");
        },
        line: /wrong-checksum\/LICENSE: files\.LICENSE: sha256 mismatch: the manifest lists [0-9a-f]{64}, the file has [0-9a-f]{64}/,
      },
      {
        name: "html-as-onnx",
        make: async (dir) => {
          await writeTinyBundle(dir, {
            editManifest: (m) => {
              (m.files as Record<string, string>)["image.onnx"] = createHash("sha256")
                .update(html)
                .digest("hex");
            },
          });
          await writeFile(path.join(dir, "image.onnx"), html);
        },
        line: /html-as-onnx\/image\.onnx: files\.image\.onnx: is an HTML page, not ONNX weights/,
      },
      {
        name: "input-the-graph-lacks",
        make: async (dir) => {
          await writeTinyBundle(dir, {
            editManifest: (m) => {
              (m.text as { inputs: Record<string, string> }).inputs.tokenTypeIds = "token_type_ids";
            },
          });
        },
        line: /input-the-graph-lacks\/text\.onnx: text\.inputs\.tokenTypeIds: the graph has no input "token_type_ids"/,
      },
      {
        name: "dimension-disagrees",
        make: async (dir) => {
          await writeTinyBundle(dir, { editManifest: (m) => (m.dimension = 16) });
        },
        line: /dimension-disagrees\/image\.onnx: dimension: the graph output "image_embeds" has width 8, the manifest says 16/,
      },
    ];
    for (const c of cases) {
      const dir = path.join(work, c.name);
      await c.make(dir);
      const result = cxr(["models", "add", dir], env);
      expect(result.status, `${c.name}: ${result.stderr}`).toBe(2);
      const lines = errorLines(result.stderr);
      expect(lines, c.name).toHaveLength(1);
      expect(lines[0], c.name).toMatch(c.line);
      expect(result.stdout, c.name).toBe("");
    }
    expect(listIds(env)).toEqual([]);
    // A models folder that cannot be written is the environment's fault: exit 2, said so.
    const blocker = path.join(work, "a-file");
    await writeFile(blocker, "not a folder");
    const valid = path.join(work, "valid-for-unwritable");
    await writeTinyBundle(valid);
    const unwritable = cxr(["models", "add", valid], {
      ...env,
      CXR_MODELS_DIR: path.join(blocker, "models"),
    });
    expect(unwritable.status).toBe(2);
    expect(errorLines(unwritable.stderr)[0]).toContain("is not writable");
    const modelsDir = path.join(env.CXR_DATA_DIR, "models");
    expect(readdirSync(modelsDir).filter((f) => !f.startsWith("."))).toEqual([]);
    expect(readdirSync(path.join(modelsDir, ".staging"))).toEqual([]);
  });

  it("records models in PostgreSQL when DATABASE_URL points at it", async () => {
    if (!(await postgresAvailable())) return;
    const db = await tempPostgres();
    try {
      const url = db.config.database.kind === "postgresql" ? db.config.database.url : "";
      const env = { ...envFor("pg"), DATABASE_URL: url };
      const dir = path.join(work, "pg-bundle");
      await writeTinyBundle(dir, { id: "tiny-pg" });
      const added = cxr(["models", "add", dir], env);
      expect(added.status, added.stderr).toBe(0);
      expect(listIds(env)).toEqual(["tiny-pg"]);
      const bad = cxr(["models", "add", path.join(work, "nowhere")], env);
      expect(bad.status).toBe(2);
      expect(errorLines(bad.stderr)[0]).toContain("nowhere/manifest.json: not found");
      expect(listIds(env)).toEqual(["tiny-pg"]);
    } finally {
      await db.drop();
    }
  });

  const demo = path.join(repoRoot, "packages/encoders/models/demo-cxr");
  it.runIf(existsSync(path.join(demo, "manifest.json")))(
    "accepts the demo bundle packages/encoders/models/demo-cxr",
    () => {
      const env = envFor("demo");
      const added = cxr(["models", "add", "packages/encoders/models/demo-cxr"], env);
      expect(added.status, added.stderr).toBe(0);
      const [id] = listIds(env);
      const verify = cxr(["models", "verify", id!], env);
      expect(verify.status, verify.stderr).toBe(0);
      expect(cxr(["models", "show", id!], env).stdout.length).toBeGreaterThan(0);
    },
  );
});

describe("cxr models pull", () => {
  let hub: HubFixture;
  beforeAll(async () => {
    hub = await startHubFixture();
  });
  afterAll(() => hub.close());

  it("pulls clip-vit-b32 from the hub layout (resuming a cut transfer) into a bundle that verify accepts", async () => {
    const env = { ...envFor("pull"), CXR_HF_ENDPOINT: hub.url };
    hub.faults.cutOnce.add("onnx/vision_model.onnx");
    const pulled = await cxrAsync(["models", "pull", "clip-vit-b32"], env);
    expect(pulled.status, pulled.stderr).toBe(0);
    expect(pulled.stdout).toContain("pulled clip-vit-b32");
    expect(pulled.stdout).toMatch(
      /image\.onnx\s+\d+ bytes\s+sha256 [0-9a-f]{12} \(matches the hub's\) \(resumed at byte \d+\)/,
    );
    expect(pulled.stderr).toMatch(/pull image\.onnx \(1\/6\)/);
    const ranged = hub.requests.filter(
      (r) => r.path.startsWith("/cdn/onnx%2Fvision_model") && r.range !== undefined,
    );
    expect(ranged).toHaveLength(1);

    const verify = cxr(["models", "verify", "clip-vit-b32"], env);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toContain("verified clip-vit-b32");
    const show = cxr(["models", "show", "clip-vit-b32"], env);
    expect(show.stdout).toContain("# CLIP ViT-B/32");
    expect(show.stdout).toContain("maxLength 77, truncation end-token, padding max_length");
    const manifest = JSON.parse(
      await readFile(path.join(env.CXR_DATA_DIR, "models", "clip-vit-b32", "manifest.json"), "utf8"),
    );
    expect(manifest.image.preprocess[0]).toEqual({
      op: "resize",
      size: 224,
      by: "shorter",
      kernel: "bicubic",
    });
  });

  it("exits 1 with the URL on HTTP 404, and 2 with instructions for a model it cannot download", async () => {
    const env = envFor("pull-bad");
    hub.faults.missing.add("tokenizer.json");
    const missing = await cxrAsync(["models", "pull", "clip-vit-b32", "--endpoint", hub.url], env);
    hub.faults.missing.clear();
    expect(missing.status).toBe(1);
    expect(errorLines(missing.stderr)[0]).toMatch(
      /tokenizer\.json: HTTP 404 .*\/Xenova\/clip-vit-base-patch32\/resolve\/main\/tokenizer\.json/,
    );

    const other = cxr(["models", "pull", "cxr-clip-swin"], env);
    expect(other.status).toBe(2);
    expect(other.stdout).toContain("https://twg.kakaocdn.net/brainrepo/models/cxr-clip/");
    expect(other.stdout).toContain("python3 packages/encoders/python/cxr_export.py cxr-clip --checkpoint");

    // The model card of a known model is there before its weights are.
    const card = cxr(["models", "show", "cxr-clip-swin", "--json"], env);
    expect(card.status, card.stderr).toBe(0);
    const shown = JSON.parse(card.stdout);
    expect(shown).toMatchObject({ registered: false, id: "cxr-clip-swin" });
    expect(shown.card).toContain("CC BY-NC-SA 4.0");
    expect(cxr(["models", "show", "clip-vit-b32"], env).stdout).toContain("deployed use");
    expect(listIds(env)).toEqual([]);
  });
});
