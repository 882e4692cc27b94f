/**
 * The CXR-CLIP-style text graph (BERT, [SEP]/eos pooling) is exported so that it computes no padding
 * position (cxrexport/archs.py, CxrClipText.skip_padding): faster on padded batches, and it must give
 * the old padded graph's outputs within 1e-5. Both graphs are exported here from the same random
 * weights by Debian's python3-torch and run by onnxruntime-node on batches with varied padding,
 * a full-length row, one row, and a mask with a hole (eos pooling then reads a padding position).
 *
 * Skipped, with the reason printed, when /usr/bin/python3 cannot import torch and onnx.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PYTHON = process.env.CXR_PYTHON ?? "/usr/bin/python3";
const PYTHON_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../python");
const VOCAB = 500;

const probe = spawnSync(PYTHON, ["-c", "import torch, onnx"], { encoding: "utf8" });
const skipReason =
  probe.status === 0
    ? undefined
    : `${PYTHON} cannot import torch and onnx: install python3-torch python3-onnx`;
if (skipReason !== undefined) console.warn(`[skip-padding test skipped] ${skipReason}`);

const EXPORT = `
import sys, torch
sys.path.insert(0, sys.argv[1])
from cxrexport import archs
from cxrexport.onnx_io import export_onnx
from pathlib import Path
torch.manual_seed(3)
model = archs.CxrClipText(${VOCAB}, archs.BERT_TINY).eval()
ids = torch.randint(5, ${VOCAB}, (2, 7)); mask = torch.ones(2, 7, dtype=torch.int64); mask[1, 4:] = 0
axes = {n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "token_type_ids")}
for skip, name in ((True, "skip.onnx"), (False, "padded.onnx")):
    model.skip_padding = skip
    export_onnx(model, {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)},
                "text_embeds", Path(sys.argv[2]) / name, axes)
`;

const work = mkdtempSync(path.join(tmpdir(), "cxr-skip-padding-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let skip: ort.InferenceSession;
let padded: ort.InferenceSession;

beforeAll(async () => {
  if (skipReason !== undefined) return;
  const r = spawnSync(PYTHON, ["-c", EXPORT, PYTHON_DIR, work], { encoding: "utf8", timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    intraOpNumThreads: 1,
  };
  skip = await ort.InferenceSession.create(path.join(work, "skip.onnx"), options);
  padded = await ort.InferenceSession.create(path.join(work, "padded.onnx"), options);
}, 300_000);

afterAll(async () => {
  await skip?.release();
  await padded?.release();
});

/** Rows of [ids..., mask...] as int64 feeds; `masks[i]` is row i's attention mask. */
function feeds(masks: number[][]): Record<string, ort.Tensor> {
  const rows = masks.length;
  const seq = masks[0]!.length;
  const ids = new BigInt64Array(rows * seq);
  const mask = new BigInt64Array(rows * seq);
  masks.forEach((m, i) => {
    m.forEach((on, j) => {
      ids[i * seq + j] = on ? BigInt(5 + ((i * 131 + j * 37) % (VOCAB - 5))) : 0n;
      mask[i * seq + j] = BigInt(on);
    });
  });
  return {
    input_ids: new ort.Tensor("int64", ids, [rows, seq]),
    attention_mask: new ort.Tensor("int64", mask, [rows, seq]),
    token_type_ids: new ort.Tensor("int64", new BigInt64Array(rows * seq), [rows, seq]),
  };
}

const prefix = (n: number, seq: number) => Array.from({ length: seq }, (_, j) => (j < n ? 1 : 0));

async function maxDifference(masks: number[][]): Promise<number> {
  const f = feeds(masks);
  const a = (await skip.run(f)).text_embeds!.data as Float32Array;
  const b = (await padded.run(f)).text_embeds!.data as Float32Array;
  expect(a.length).toBe(b.length);
  expect(a.length).toBeGreaterThan(0);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe.skipIf(skipReason !== undefined)("text graph that skips padding", () => {
  it("gives the padded graph's embeddings within 1e-5 on batches with varied padding", async () => {
    const seq = 77;
    const lengths = [20, 27, 34, 41, 48, 55, 62, 77];
    expect(await maxDifference(lengths.map((n) => prefix(n, seq)))).toBeLessThanOrEqual(1e-5);
  });

  it("and on one text, on a batch without padding, and on a mask with a hole", async () => {
    expect(await maxDifference([prefix(9, 16)])).toBeLessThanOrEqual(1e-5);
    expect(await maxDifference([prefix(12, 12), prefix(12, 12)])).toBeLessThanOrEqual(1e-5);
    const hole = prefix(10, 14);
    hole[3] = 0;
    expect(await maxDifference([hole, prefix(5, 14)])).toBeLessThanOrEqual(1e-5);
  });

  it("gives different embeddings for different texts (the comparison can fail)", async () => {
    const f = feeds([prefix(6, 8)]);
    const a = (await skip.run(f)).text_embeds!.data as Float32Array;
    const shifted = feeds([prefix(7, 8)]);
    const b = (await skip.run(shifted)).text_embeds!.data as Float32Array;
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(1e-3);
  });
});
