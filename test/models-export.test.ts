import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cxrAsync, repoRoot } from "./support/cli.ts";
import { reference } from "./support/reference.ts";

/**
 * Issue 4's CI check: every family exported at --random-init by the Python exporter (Debian's
 * python3-torch), then `cxr models add` accepts it (manifest, checksums, sessions, self-test) and
 * `cxr models verify` re-checks it; the committed demo-cxr bundle too. The embedding equality with
 * PyTorch is packages/encoders/test/export.integration.test.ts. Skipped, saying why, without torch or the
 * reference tokenizers.
 */

const PYTHON = process.env.CXR_PYTHON ?? "/usr/bin/python3";
const EXPORT = path.join(repoRoot, "packages/encoders/python/cxr_export.py");
const torchOk = spawnSync(PYTHON, ["-c", "import torch, torchvision, onnx"]).status === 0;
const clipBpe = reference("tokenizers/openai_clip/bpe_simple_vocab_16e6.txt.gz");
const bert = reference("tokenizers/bio_clinicalbert/tokenizer.json");
const canExport = torchOk && clipBpe !== undefined && bert !== undefined;
if (!torchOk) console.warn(`[models-export skipped] ${PYTHON} cannot import torch, torchvision and onnx`);

const FAMILIES: Array<{ id: string; args: string[] }> = [
  { id: "clip-vit-b32-random-tiny", args: ["clip", "--tokenizer", clipBpe ?? ""] },
  { id: "cxr-repair-random-tiny", args: ["cxr-repair", "--tokenizer", clipBpe ?? ""] },
  { id: "medclip-swin-random-tiny", args: ["medclip", "--tokenizer", bert ?? ""] },
  { id: "cxr-clip-swin-random-tiny", args: ["cxr-clip", "--backbone", "swin", "--tokenizer", bert ?? ""] },
  { id: "cxr-clip-r50-random-tiny", args: ["cxr-clip", "--backbone", "resnet", "--tokenizer", bert ?? ""] },
];

const work = mkdtempSync(path.join(tmpdir(), "cxr-models-export-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { CXR_DATA_DIR: path.join(work, "data"), CXR_EXECUTION_PROVIDERS: "cpu" };

describe.skipIf(!canExport)("random-init exports are accepted by `cxr models add` and `verify`", () => {
  const exported = new Map<string, { status: number | null; output: string }>();

  beforeAll(() => {
    for (const f of FAMILIES) {
      const out = path.join(work, f.id);
      const run = spawnSync(PYTHON, [EXPORT, ...f.args, "--random-init", "--tiny", "--out", out], {
        encoding: "utf8",
      });
      exported.set(f.id, { status: run.status, output: `${run.stdout}\n${run.stderr}` });
    }
  }, 600_000);

  it.each(FAMILIES.map((f) => f.id))("%s", async (id) => {
    const run = exported.get(id)!;
    expect(run.status, run.output).toBe(0);
    const add = await cxrAsync(["models", "add", path.join(work, id)], env);
    expect(add.status, add.stderr).toBe(0);
    const verify = await cxrAsync(["models", "verify", id], env);
    expect(verify.status, verify.stderr).toBe(0);
  });
});

describe("the committed demo-cxr bundle", () => {
  it("is accepted by `cxr models add` and `cxr models verify`", async () => {
    const demoEnv = { CXR_DATA_DIR: path.join(work, "demo-data"), CXR_EXECUTION_PROVIDERS: "cpu" };
    const add = await cxrAsync(
      ["models", "add", path.join(repoRoot, "packages/encoders/models/demo-cxr")],
      demoEnv,
    );
    expect(add.status, add.stderr).toBe(0);
    const verify = await cxrAsync(["models", "verify", "demo-cxr"], demoEnv);
    expect(verify.status, verify.stderr).toBe(0);
  });
});
