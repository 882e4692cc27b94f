/**
 * The Python export path and our TypeScript runtime, tested together: every model family is exported
 * at `--random-init --tiny` by packages/encoders/python/cxr_export.py (Debian's python3-torch), on
 * pixels preprocessed and texts tokenized HERE by our TypeScript code; the bundle must load
 * (manifest, checksums), agree with the committed templates and preprocessing constants, re-tokenize
 * the texts to the same ids, and its ONNX graphs run by onnxruntime-node must give PyTorch's
 * embeddings within 1e-4.
 *
 * Skipped, with the reason printed, when /usr/bin/python3 cannot import torch, torchvision and onnx
 * (CI installs: python3-torch python3-torchvision python3-onnx python3-numpy python3-pil).
 * Uses the reference data folder's tokenizers ($CXR_REFERENCE_DIR) when present, else tiny tokenizers generated here.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reference } from "../../../test/support/reference.ts";
import { type LoadedBundle, loadBundle, type Manifest } from "../src/bundle/index.ts";
import { decodeImage } from "../src/image/index.ts";
import { MODEL_PREPROCESS, runPreprocess } from "../src/preprocess/index.ts";
import type { PreprocessStep } from "../src/preprocess/steps.ts";
import { clipBpeGzToTokenizerJson } from "../src/tokenizer/clip-bpe.ts";
import { Tokenizer, type TokenizerSettings } from "../src/tokenizer/index.ts";
import { clipTokenizerJson, wordPieceTokenizerJson } from "../src/tokenizer/tokenizer-json.ts";

const PYTHON = process.env.CXR_PYTHON ?? "/usr/bin/python3";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXPORT_SCRIPT = path.resolve(HERE, "../python/cxr_export.py");
const MODELS = path.resolve(HERE, "../models");
const TOLERANCE = 1e-4;

function pythonTorchMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import torch, torchvision, onnx"], { encoding: "utf8" });
  if (probe.status === 0) return undefined;
  const why = (probe.error?.message ?? probe.stderr ?? "").trim().split("\n").pop();
  return `${PYTHON} cannot import torch, torchvision and onnx (${why}). Install Debian's python3-torch python3-torchvision python3-onnx python3-numpy python3-pil to run it.`;
}

const skipReason = pythonTorchMissing();
if (skipReason !== undefined) console.warn(`[export test skipped] ${skipReason}`);

interface Family {
  template: string;
  args: string[];
  tokenizer: "clip" | "bert";
  preprocess: readonly PreprocessStep[];
}

const FAMILIES: Family[] = [
  { template: "clip-vit-b32", args: ["clip"], tokenizer: "clip", preprocess: MODEL_PREPROCESS.clip },
  { template: "cxr-repair", args: ["cxr-repair"], tokenizer: "clip", preprocess: MODEL_PREPROCESS.cxrRepair },
  { template: "medclip-swin", args: ["medclip"], tokenizer: "bert", preprocess: MODEL_PREPROCESS.medclip },
  {
    template: "cxr-clip-swin",
    args: ["cxr-clip", "--backbone", "swin"],
    tokenizer: "bert",
    preprocess: MODEL_PREPROCESS.cxrClipSwin,
  },
  {
    template: "cxr-clip-r50",
    args: ["cxr-clip", "--backbone", "resnet"],
    tokenizer: "bert",
    preprocess: MODEL_PREPROCESS.cxrClipResnet,
  },
];

const TEXTS = [
  "No acute cardiopulmonary process.",
  "Moderate right pleural effusion with adjacent atelectasis. Heart size is normal. No pneumothorax.",
  // Longer than 77 tokens: exercises end-token (CLIP) and standard (BERT at 77) truncation.
  Array.from(
    { length: 12 },
    (_, i) => `Finding ${i}: the left lower lobe opacity is unchanged, likely atelectasis or scarring.`,
  ).join(" "),
];

// ------------------------------------------------------------------------------------------------
// Tokenizers: the shared reference files, or tiny ones built here when they are absent.
// ------------------------------------------------------------------------------------------------

interface TokenizerSource {
  /** What cxr_export.py receives (--tokenizer). */
  exportPath: string;
  /** The tokenizer.json our Tokenizer reads before export. */
  json: unknown;
  /** Exact bytes the bundle's tokenizer.json must have, when known. */
  expectedBytes?: Buffer;
  config?: unknown;
}

/** A byte-level BPE without merges: same pre-tokenizer and specials as CLIP, 514 tokens, EOT last. */
function tinyClipTokenizerJson(): unknown {
  return clipTokenizerJson([], { normalizer: { type: "Lowercase" } });
}

/** A lower-casing WordPiece over the test texts' words plus single characters. */
function tinyWordPieceJson(): unknown {
  const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  const words = new Set<string>();
  for (const text of TEXTS)
    for (const w of text.toLowerCase().match(/[a-z]+|[0-9]|[^\sa-z0-9]/g) ?? []) words.add(w);
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789".split("");
  return wordPieceTokenizerJson([...specials, ...words, ...chars, ...chars.map((c) => `##${c}`)], specials);
}

function tokenizerSources(work: string): Record<Family["tokenizer"], TokenizerSource> {
  const clipGz = reference("tokenizers/openai_clip/bpe_simple_vocab_16e6.txt.gz");
  const bertDir = reference("tokenizers/bio_clinicalbert");
  let clip: TokenizerSource;
  if (clipGz !== undefined) {
    const json = clipBpeGzToTokenizerJson(readFileSync(clipGz));
    // The Python converter must write the same bytes as ours (JSON.stringify).
    clip = { exportPath: clipGz, json, expectedBytes: Buffer.from(JSON.stringify(json)) };
  } else {
    const file = path.join(work, "tiny-clip-tokenizer.json");
    writeFileSync(file, JSON.stringify(tinyClipTokenizerJson()));
    clip = {
      exportPath: file,
      json: JSON.parse(readFileSync(file, "utf8")),
      expectedBytes: readFileSync(file),
    };
  }
  let bert: TokenizerSource;
  if (bertDir !== undefined) {
    const file = path.join(bertDir, "tokenizer.json");
    bert = {
      exportPath: file,
      json: JSON.parse(readFileSync(file, "utf8")),
      expectedBytes: readFileSync(file),
      config: JSON.parse(readFileSync(path.join(bertDir, "tokenizer_config.json"), "utf8")),
    };
  } else {
    const dir = path.join(work, "tiny-wordpiece");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "tokenizer.json");
    writeFileSync(file, JSON.stringify(tinyWordPieceJson()));
    bert = {
      exportPath: file,
      json: JSON.parse(readFileSync(file, "utf8")),
      expectedBytes: readFileSync(file),
    };
  }
  return { clip, bert };
}

// ------------------------------------------------------------------------------------------------
// Inputs prepared by our TypeScript code, handed to the exporter
// ------------------------------------------------------------------------------------------------

/** Two grey test images of different sizes and content (a gradient with a disc; stripes). */
async function testImages(): Promise<Uint8Array[]> {
  const make = async (width: number, height: number, f: (x: number, y: number) => number) => {
    const data = Buffer.alloc(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
    return new Uint8Array(
      await sharp(data, { raw: { width, height, channels: 1 } })
        .png()
        .toBuffer(),
    );
  };
  return [
    await make(300, 260, (x, y) =>
      (x - 150) ** 2 + (y - 120) ** 2 < 2500 ? 230 : Math.round((x * 180) / 300) + 20,
    ),
    await make(200, 320, (x, y) => (Math.floor(y / 16) % 2 === 0 ? 40 + (x % 50) : 200 - (y % 60))),
  ];
}

function settingsOf(manifest: Manifest | TemplateManifest): TokenizerSettings {
  const t = manifest.text.tokenizer;
  return {
    maxLength: t.maxLength,
    truncation: t.truncation,
    padding: t.padding,
    padId: t.padId,
    prep: t.prep ?? [],
  };
}

type TemplateManifest = Pick<Manifest, "text" | "image" | "id" | "family" | "dimension">;

function readTemplate(id: string): TemplateManifest {
  return JSON.parse(readFileSync(path.join(MODELS, id, "manifest.json"), "utf8")) as TemplateManifest;
}

interface Prepared {
  pixels: Float32Array;
  pixelShape: number[];
  ids: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] };
}

async function prepareInputs(
  template: TemplateManifest,
  tok: TokenizerSource,
  images: Uint8Array[],
): Promise<Prepared> {
  const tensors = [];
  for (const bytes of images)
    tensors.push(runPreprocess(await decodeImage(bytes), template.image.preprocess));
  const shape = tensors[0]!.shape;
  const pixels = new Float32Array(tensors.length * tensors[0]!.data.length);
  tensors.forEach((t, i) => {
    pixels.set(t.data, i * t.data.length);
  });
  const tokenizer = Tokenizer.fromJson(tok.json, settingsOf(template), tok.config ?? {});
  const batch = tokenizer.pad(TEXTS.map((t) => tokenizer.encode(t)));
  const rows = (flat: number[]) =>
    Array.from({ length: batch.rows }, (_, r) => flat.slice(r * batch.seqLength, (r + 1) * batch.seqLength));
  return {
    pixels,
    pixelShape: [tensors.length, ...shape],
    ids: {
      input_ids: rows(batch.inputIds),
      attention_mask: rows(batch.attentionMask),
      token_type_ids: rows(batch.tokenTypeIds),
    },
  };
}

function writeInputs(dir: string, prepared: Prepared): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "image_input.f32"), Buffer.from(prepared.pixels.buffer));
  const doc = { image: { file: "image_input.f32", shape: prepared.pixelShape }, text: prepared.ids };
  writeFileSync(path.join(dir, "inputs.json"), JSON.stringify(doc));
}

interface ExportRun {
  code: number | null;
  output: string;
}

function runExport(args: string[]): Promise<ExportRun> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [EXPORT_SCRIPT, ...args], { env: { ...process.env, OMP_NUM_THREADS: "1" } });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("close", (code) => resolve({ code, output }));
    child.on("error", (err) => resolve({ code: -1, output: String(err) }));
  });
}

async function inPairs<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Comparison helpers
// ------------------------------------------------------------------------------------------------

function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function normalizedRows(data: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length / dim; r++) {
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += data[r * dim + i]! ** 2;
    const norm = Math.sqrt(sum);
    for (let i = 0; i < dim; i++) out[r * dim + i] = data[r * dim + i]! / norm;
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function runGraph(
  file: string,
  feeds: Record<string, ort.Tensor>,
  output: string,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
  });
  try {
    const result = await session.run(feeds);
    return result[output]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function textFeeds(manifest: Manifest, ids: Prepared["ids"], rows?: number[]): Record<string, ort.Tensor> {
  const pick = (m: number[][]) => (rows === undefined ? m : rows.map((r) => m[r]!));
  const tensor = (m: number[][]) =>
    new ort.Tensor(
      "int64",
      BigInt64Array.from(pick(m).flat(), (v) => BigInt(v)),
      [pick(m).length, m[0]!.length],
    );
  const feeds: Record<string, ort.Tensor> = { [manifest.text.inputs.inputIds]: tensor(ids.input_ids) };
  if (manifest.text.inputs.attentionMask)
    feeds[manifest.text.inputs.attentionMask] = tensor(ids.attention_mask);
  if (manifest.text.inputs.tokenTypeIds)
    feeds[manifest.text.inputs.tokenTypeIds] = tensor(ids.token_type_ids);
  return feeds;
}

// ------------------------------------------------------------------------------------------------

interface Exported {
  family: Family;
  dir: string;
  ref: string;
  prepared: Prepared;
  tokenizer: TokenizerSource;
  args: string[];
  run: ExportRun;
}

describe.skipIf(skipReason !== undefined)("cxr_export.py --random-init --tiny, loaded by our runtime", () => {
  let work = "";
  const exported = new Map<string, Exported>();

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "cxr-export-test-"));
    const tokenizers = tokenizerSources(work);
    const images = await testImages();
    const jobs: Exported[] = [];
    for (const family of FAMILIES) {
      const tokenizer = tokenizers[family.tokenizer];
      const prepared = await prepareInputs(readTemplate(family.template), tokenizer, images);
      const inputs = path.join(work, `${family.template}-inputs`);
      writeInputs(inputs, prepared);
      const dir = path.join(work, family.template);
      const ref = path.join(work, `${family.template}-reference`);
      const args = [...family.args, "--random-init", "--tiny", "--tokenizer", tokenizer.exportPath];
      args.push("--out", dir, "--reference-out", ref, "--sample-inputs", inputs);
      jobs.push({ family, dir, ref, prepared, tokenizer, args, run: { code: null, output: "not run" } });
    }
    await inPairs(jobs, async (job) => {
      job.run = await runExport(job.args);
      exported.set(job.family.template, job);
    });
  }, 600_000); // five exports of about two seconds each, slower on a busy 2-core machine

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function get(template: string): Exported {
    const job = exported.get(template);
    if (job === undefined) throw new Error(`${template} was not exported`);
    expect(job.run.code, job.run.output).toBe(0);
    return job;
  }

  describe.each(FAMILIES.map((f) => [f.template, f] as const))("%s", (template, family) => {
    let bundle: LoadedBundle;

    beforeAll(async () => {
      bundle = await loadBundle(get(template).dir);
    });

    it("writes a bundle our loader accepts (manifest, sha256 of every file) with the template's contract", () => {
      const job = get(template);
      const m = bundle.manifest;
      const t = readTemplate(template);
      expect(m.id).toBe(`${template}-random-tiny`);
      expect(m.family).toBe(t.family);
      expect(m.dimension).toBe(512);
      expect(Object.keys(m.files).sort()).toEqual(
        [
          "LICENSE",
          "card.md",
          "image.onnx",
          "text.onnx",
          "tokenizer.json",
          ...(job.tokenizer.config ? ["tokenizer_config.json"] : []),
        ].sort(),
      );
      expect(m.image).toEqual(t.image);
      expect(m.image.preprocess).toEqual(family.preprocess);
      expect(m.text.inputs).toEqual(t.text.inputs);
      expect(settingsOf(m)).toEqual(settingsOf(t));
      if (job.tokenizer.expectedBytes) {
        expect(readFileSync(bundle.path("tokenizer.json")).equals(job.tokenizer.expectedBytes)).toBe(true);
      }
      const card = readFileSync(bundle.path("card.md"), "utf8");
      expect(card).toMatch(/RANDOM-INIT/);
      expect(card).toMatch(/Export verification/);
    });

    it("prints and records ONNX vs PyTorch differences within 1e-4", () => {
      const job = get(template);
      const report = JSON.parse(readFileSync(path.join(job.ref, "reference.json"), "utf8"));
      expect(job.run.output).toMatch(/image max abs diff/);
      expect(job.run.output).toMatch(/PASS/);
      expect(report.onnxVsTorch.imageMaxAbsDiff).toBeLessThanOrEqual(TOLERANCE);
      expect(report.onnxVsTorch.textMaxAbsDiff).toBeLessThanOrEqual(TOLERANCE);
    });

    it("re-tokenizes the texts from the bundle alone to the ids PyTorch encoded", async () => {
      const job = get(template);
      const m = bundle.manifest;
      const spec = m.text.tokenizer;
      const tokenizer = await Tokenizer.fromFile(
        bundle.path(spec.file),
        settingsOf(m),
        spec.config === undefined ? undefined : bundle.path(spec.config),
      );
      const batch = tokenizer.pad(TEXTS.map((t) => tokenizer.encode(t)));
      expect(batch.inputIds).toEqual(job.prepared.ids.input_ids.flat());
      expect(batch.attentionMask).toEqual(job.prepared.ids.attention_mask.flat());
      const reference = JSON.parse(readFileSync(path.join(job.ref, "reference.json"), "utf8"));
      const sent = reference.text.inputs.find((i: { name: string }) => i.name === m.text.inputs.inputIds);
      expect(sent.values).toEqual(job.prepared.ids.input_ids);
    });

    it("gives PyTorch's image embeddings on our preprocessed pixels, for a batch and for one image", async () => {
      const job = get(template);
      const m = bundle.manifest;
      const [n, ...chw] = job.prepared.pixelShape as [number, number, number, number];
      const torchRaw = readF32(path.join(job.ref, "image_embeds.f32"));
      const feeds = { [m.image.input.name]: new ort.Tensor("float32", job.prepared.pixels, [n, ...chw]) };
      const ours = await runGraph(bundle.path(m.image.onnx), feeds, m.image.output.name);
      expect(maxAbsDiff(ours, torchRaw)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff(normalizedRows(ours, 512), normalizedRows(torchRaw, 512))).toBeLessThanOrEqual(
        TOLERANCE,
      );
      // The batch axis is dynamic: image 1 alone gives row 1 of the batch.
      const size = chw.reduce((a, b) => a * b, 1);
      const single = {
        [m.image.input.name]: new ort.Tensor("float32", job.prepared.pixels.slice(size), [1, ...chw]),
      };
      const one = await runGraph(bundle.path(m.image.onnx), single, m.image.output.name);
      expect(maxAbsDiff(one, torchRaw.slice(512))).toBeLessThanOrEqual(TOLERANCE);
      // The two images differ, and so do their embeddings.
      expect(maxAbsDiff(ours.slice(0, 512), ours.slice(512))).toBeGreaterThan(1e-3);
    });

    it("gives PyTorch's text embeddings on our token ids, for a batch and for one text", async () => {
      const job = get(template);
      const m = bundle.manifest;
      const torchRaw = readF32(path.join(job.ref, "text_embeds.f32"));
      const ours = await runGraph(
        bundle.path(m.text.onnx),
        textFeeds(m, job.prepared.ids),
        m.text.output.name,
      );
      expect(ours.length).toBe(TEXTS.length * 512);
      expect(maxAbsDiff(ours, torchRaw)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff(normalizedRows(ours, 512), normalizedRows(torchRaw, 512))).toBeLessThanOrEqual(
        TOLERANCE,
      );
      const one = await runGraph(
        bundle.path(m.text.onnx),
        textFeeds(m, job.prepared.ids, [2]),
        m.text.output.name,
      );
      expect(maxAbsDiff(one, torchRaw.slice(1024))).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it("a bundle whose text.onnx was altered after export is refused, naming the file", async () => {
    const source = get("clip-vit-b32").dir;
    const copy = path.join(work, "tampered");
    cpSync(source, copy, { recursive: true });
    const onnx = readFileSync(path.join(copy, "text.onnx"));
    onnx[onnx.length - 1] = onnx[onnx.length - 1]! ^ 0xff;
    writeFileSync(path.join(copy, "text.onnx"), onnx);
    await expect(loadBundle(copy)).rejects.toThrow(/text\.onnx/);
  });
});

// ------------------------------------------------------------------------------------------------
// The committed demo model (no Python needed): packages/encoders/models/demo-cxr, trained by
// python/train_demo.py, with PyTorch's embeddings of three synthetic test studies in fixtures/.
// ------------------------------------------------------------------------------------------------

describe("the committed demo-cxr bundle", () => {
  const dir = path.join(MODELS, "demo-cxr");
  const fixture = path.join(HERE, "fixtures", "demo-cxr");
  const samples = JSON.parse(readFileSync(path.join(fixture, "samples.json"), "utf8")) as Array<{
    image: string;
    text: string;
  }>;
  const reference = JSON.parse(readFileSync(path.join(fixture, "reference.json"), "utf8"));
  let bundle: LoadedBundle;

  beforeAll(async () => {
    bundle = await loadBundle(dir);
  });

  it("loads, is small, is ours (MIT) and says it is not a medical model", () => {
    const m = bundle.manifest;
    expect(m.id).toBe("demo-cxr");
    expect(m.family).toBe("demo");
    expect(m.license).toBe("MIT");
    const onnxBytes = [m.image.onnx, m.text.onnx].reduce(
      (n, f) => n + readFileSync(bundle.path(f)).length,
      0,
    );
    expect(onnxBytes).toBeLessThan(5 * 1024 * 1024);
    const card = readFileSync(bundle.path(m.card), "utf8");
    expect(card).toMatch(/Not a medical model/);
    expect(card).toMatch(/Recall@5/);
  });

  it("its tokenizer.json, read by our Tokenizer, gives the ids the Python trainer used", async () => {
    const m = bundle.manifest;
    const tokenizer = await Tokenizer.fromFile(bundle.path(m.text.tokenizer.file), settingsOf(m));
    const batch = tokenizer.pad(samples.map((s) => tokenizer.encode(s.text)));
    const ids = reference.text.inputs.find((i: { name: string }) => i.name === m.text.inputs.inputIds).values;
    expect(batch.inputIds).toEqual(ids.flat());
    expect(batch.inputIds).not.toContain(tokenizer.tokenToId("[UNK]"));
  });

  it("our preprocessing of the PNGs reproduces the trainer's Pillow tensors", async () => {
    const expected = readF32(path.join(fixture, "image_input.f32"));
    const size = expected.length / samples.length;
    for (const [i, s] of samples.entries()) {
      const image = await decodeImage(new Uint8Array(readFileSync(path.join(fixture, s.image))));
      const tensor = runPreprocess(image, bundle.manifest.image.preprocess);
      expect(tensor.shape).toEqual(bundle.manifest.image.input.shape.slice(1));
      expect(maxAbsDiff(tensor.data, expected.slice(i * size, (i + 1) * size))).toBeLessThanOrEqual(1e-6);
    }
  });

  it("gives PyTorch's embeddings for the fixture's images and reports within 1e-4", async () => {
    const m = bundle.manifest;
    const dim = m.dimension;
    const pixels = readF32(path.join(fixture, "image_input.f32"));
    const [, c, h, w] = m.image.input.shape;
    const image = await runGraph(
      bundle.path(m.image.onnx),
      { [m.image.input.name]: new ort.Tensor("float32", pixels, [samples.length, c, h, w]) },
      m.image.output.name,
    );
    expect(maxAbsDiff(image, readF32(path.join(fixture, "image_embeds.f32")))).toBeLessThanOrEqual(TOLERANCE);
    const values = (name: string) =>
      reference.text.inputs.find((i: { name: string }) => i.name === name).values as number[][];
    const ids = {
      input_ids: values("input_ids"),
      attention_mask: values("attention_mask"),
      token_type_ids: values("input_ids").map((r) => r.map(() => 0)),
    };
    const text = await runGraph(bundle.path(m.text.onnx), textFeeds(m, ids), m.text.output.name);
    expect(maxAbsDiff(text, readF32(path.join(fixture, "text_embeds.f32")))).toBeLessThanOrEqual(TOLERANCE);
    expect(image.length).toBe(samples.length * dim);
  });
});
