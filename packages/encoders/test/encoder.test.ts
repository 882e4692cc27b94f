import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BundleError,
  type EncodeResult,
  EncoderError,
  ImageDecodeError,
  ModelEncoder,
  makeImage,
  TextInputError,
} from "../src/index.ts";
import {
  imageWeight,
  setJsonPath,
  TINY_VOCAB,
  textWeight,
  typeWeight,
  writeTinyBundle,
} from "../src/testing/index.ts";

const D = 8;
const SIDE = 8;
let tmp: string;
let bundleCount = 0;
const open: ModelEncoder[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "cxr-encoder-"));
});
afterAll(async () => {
  for (const e of open) await e.close();
  await rm(tmp, { recursive: true, force: true });
});

async function encoder(
  options: Parameters<typeof writeTinyBundle>[1] = {},
  batchSize = 4,
): Promise<ModelEncoder> {
  const { dir } = await writeTinyBundle(path.join(tmp, `b${bundleCount++}`), options);
  const e = await ModelEncoder.create(dir, { providers: ["cpu"], cpuThreads: 1, batchSize });
  open.push(e);
  return e;
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

async function bundleError(
  options: Parameters<typeof writeTinyBundle>[1] & { replaceFiles?: Record<string, string | Uint8Array> },
): Promise<BundleError> {
  const { dir } = await writeTinyBundle(path.join(tmp, `b${bundleCount++}`), options);
  for (const [name, content] of Object.entries(options.replaceFiles ?? {}))
    await writeFile(path.join(dir, name), content);
  try {
    open.push(await ModelEncoder.create(dir, { providers: ["cpu"] }));
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return error as BundleError;
  }
  throw new Error("expected a BundleError");
}

function normalized(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

function pixels(seed: number, n = SIDE * SIDE): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed * 101 + ((i * i) % 13)) % 256);
}

/** By hand: flatten(x / 255) @ W, grey repeated over `channels`, then L2. */
function expectedImage(data: Uint8Array, channels = 1, normalize = true): number[] {
  const x: number[] = [];
  for (let c = 0; c < channels; c++) for (const v of data) x.push(Math.fround(v / 255));
  const out = Array.from({ length: D }, (_, j) => x.reduce((s, xk, k) => s + xk * imageWeight(k, j), 0));
  return normalize ? normalized(out) : out;
}

/** By hand: the rows of E for the ids (+ T[0]), averaged over `over` rows (padding included when given). */
function expectedText(tokens: string[], opts: { padTo?: number; typeIds?: boolean } = {}): number[] {
  const ids = tokens.map((t) => TINY_VOCAB.indexOf(t));
  while (opts.padTo !== undefined && ids.length < opts.padTo) ids.push(0);
  const out = Array.from({ length: D }, (_, j) => {
    let s = 0;
    for (const id of ids) s += textWeight(id, j) + (opts.typeIds ? typeWeight(0, j) : 0);
    return s / ids.length;
  });
  return normalized(out);
}

function embedding(result: EncodeResult | undefined): Float32Array {
  if (!result?.ok) throw new Error(`expected an embedding, got ${result ? result.error.message : "nothing"}`);
  return result.embedding;
}

function expectClose(actual: Float32Array, expected: number[], tolerance = 1e-5): void {
  expect(actual).toHaveLength(expected.length);
  const diff = Math.max(...expected.map((v, i) => Math.abs(v - actual[i]!)));
  expect(diff).toBeLessThanOrEqual(tolerance);
}

describe("ModelEncoder with tiny known-weight models", () => {
  it("encodes a decoded image as flatten(x/255) @ W, L2-normalised", async () => {
    const e = await encoder();
    const data = pixels(1);
    const [result] = await e.encodeImages([{ image: makeImage("L", SIDE, SIDE, data) }]);
    const v = embedding(result);
    expectClose(v, expectedImage(data));
    expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    expect(e.info.providers).toEqual({ image: "cpu", text: "cpu" });
  });

  it("decodes PNG bytes and repeats grey to 3 channels when the graph wants them", async () => {
    const e = await encoder({ channels: 3 });
    const data = pixels(2);
    const png = await sharp(Buffer.from(data), { raw: { width: SIDE, height: SIDE, channels: 1 } })
      .png()
      .toBuffer();
    const [result] = await e.encodeImages([{ bytes: new Uint8Array(png), name: "x.png" }]);
    expectClose(embedding(result), expectedImage(data, 3));
  });

  it("leaves raw outputs alone when the manifest says normalize: false", async () => {
    const e = await encoder({ normalize: false });
    const data = pixels(3);
    const [result] = await e.encodeImages([{ image: makeImage("L", SIDE, SIDE, data) }]);
    expectClose(embedding(result), expectedImage(data, 1, false), 1e-4);
  });

  it("encodes text as the masked mean of embedding rows (with token types when the graph has them)", async () => {
    const e = await encoder({ text: { tokenTypeIds: true } });
    const [a, b] = await e.encodeTexts(["Lungs are clear.", "No acute cardiopulmonary process"]);
    expectClose(
      embedding(a),
      expectedText(["[CLS]", "lungs", "are", "clear", ".", "[SEP]"], { typeIds: true }),
    );
    expectClose(
      embedding(b),
      expectedText(["[CLS]", "no", "acute", "cardio", "##pulmonary", "process", "[SEP]"], { typeIds: true }),
    );
  });

  it("feeds max_length padding into an unmasked mean (MedCLIP-style), with int32 inputs", async () => {
    const e = await encoder({
      text: { attentionMask: false, padding: "max_length", maxLength: 8, dtype: "int32" },
    });
    const [a] = await e.encodeTexts(["lungs are clear"]);
    expectClose(embedding(a), expectedText(["[CLS]", "lungs", "are", "clear", "[SEP]"], { padTo: 8 }));
  });

  it("truncates over-long text as the manifest says instead of failing", async () => {
    const e = await encoder({ text: { maxLength: 4, truncation: "end-token" } });
    const [a] = await e.encodeTexts(["heart size is normal lungs are clear ".repeat(50)]);
    expectClose(embedding(a), expectedText(["[CLS]", "heart", "size", "[SEP]"]));
  });

  it("gives the same embeddings one by one and in batches (within 1e-5)", async () => {
    const batched = await encoder({ text: { padding: "longest" } }, 3);
    const single = await encoder({ text: { padding: "longest" } }, 1);
    const images = Array.from({ length: 7 }, (_, i) => ({
      image: makeImage("L", SIDE, SIDE, pixels(10 + i)),
    }));
    const texts = [
      "no",
      "lungs are clear",
      "small left pleural effusion",
      "heart size is normal.",
      "x",
      "pneumothorax",
      "right",
    ];
    const [bi, si, bt, st] = await Promise.all([
      batched.encodeImages(images),
      single.encodeImages(images),
      batched.encodeTexts(texts),
      single.encodeTexts(texts),
    ]);
    for (let i = 0; i < 7; i++) {
      expectClose(embedding(bi[i]), [...embedding(si[i])]);
      expectClose(embedding(bt[i]), [...embedding(st[i])]);
    }
  });

  it("fails bad items alone and encodes the rest of the batch", async () => {
    const e = await encoder({}, 8);
    const good = pixels(4);
    const png = new Uint8Array(
      await sharp(Buffer.from(good), { raw: { width: SIDE, height: SIDE, channels: 1 } })
        .png()
        .toBuffer(),
    );
    const results = await e.encodeImages([
      { bytes: png, name: "good.png" },
      { bytes: png.subarray(0, 40), name: "cut.png" },
      { bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), name: "noise.bin" },
      { bytes: new Uint8Array(0), name: "empty.jpg" },
      42 as unknown as Uint8Array,
      { image: makeImage("L", SIDE, SIDE, good) },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false, false, true]);
    expectClose(embedding(results[0]), expectedImage(good));
    expectClose(embedding(results[5]), expectedImage(good));
    const errors = results.map((r) => (r.ok ? undefined : r.error));
    expect(errors[1]).toBeInstanceOf(ImageDecodeError);
    expect(errors[1]!.message).toMatch(/^cut\.png: /);
    expect(errors[2]).toBeInstanceOf(ImageDecodeError);
    expect(errors[3]).toMatchObject({ code: "EMPTY", input: "empty.jpg" });
    expect(errors[4]).toBeInstanceOf(EncoderError);
    expect(errors[4]).toMatchObject({ code: "BAD_INPUT", input: "#4" });

    const texts = await e.encodeTexts([
      "lungs are clear",
      "",
      " \n\t",
      7 as unknown as string,
      { text: "no", name: "r2" },
    ]);
    expect(texts.map((r) => r.ok)).toEqual([true, false, false, false, true]);
    const textErrors = texts.map((r) => (r.ok ? undefined : r.error));
    expect(textErrors[1]).toBeInstanceOf(TextInputError);
    expect(textErrors[1]).toMatchObject({ code: "EMPTY_TEXT", index: 1 });
    expect(textErrors[3]).toMatchObject({ code: "NOT_A_STRING" });
  });

  it("refuses images over the pixel limit and tensors of the wrong shape, per item", async () => {
    const { dir } = await writeTinyBundle(path.join(tmp, "limits"), {
      preprocess: [
        { op: "resize", size: SIDE, by: "shorter", kernel: "bilinear" },
        { op: "toTensor", scale: "divide255", channels: 1 },
      ],
    });
    const e = await ModelEncoder.create(dir, { providers: ["cpu"], maxPixels: 1000 });
    open.push(e);
    const big = new Uint8Array(
      await sharp({ create: { width: 40, height: 40, channels: 3, background: "#777" } })
        .png()
        .toBuffer(),
    );
    const results = await e.encodeImages([
      { bytes: big, name: "bomb.png" },
      { image: makeImage("L", SIDE * 2, SIDE, pixels(5, SIDE * SIDE * 2)), name: "wide" },
      { image: makeImage("L", SIDE, SIDE, pixels(6)) },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: "TOO_LARGE", input: "bomb.png" } });
    expect(results[1]).toMatchObject({ ok: false, error: { code: "SHAPE_MISMATCH", input: "wide" } });
  });

  it("streams in input order with bounded read-ahead (backpressure)", async () => {
    const e = await encoder({}, 3);
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield { image: makeImage("L", SIDE, SIDE, pixels(20 + i)), name: `img${i}` };
      }
    }
    const seen: number[] = [];
    for await (const item of e.streamImages(source())) {
      // The first batch's results come once the next batch is pulled (prefetched while the first
      // runs) and no more: two batches, not the whole stream.
      if (seen.length === 0) expect(pulled).toBe(6);
      seen.push(item.index);
      expect(item.name).toBe(`img${item.index}`);
      expectClose(embedding(item.result), expectedImage(pixels(20 + item.index)));
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const texts: number[] = [];
    for await (const item of e.streamTexts(["no", "lungs", "", "clear"])) texts.push(item.result.ok ? 1 : 0);
    expect(texts).toEqual([1, 1, 0, 1]);
  });

  it("keeps input order and per-item errors across prefetched batches", async () => {
    const e = await encoder({}, 2);
    const good = (i: number) => ({ image: makeImage("L", SIDE, SIDE, pixels(40 + i)), name: `ok${i}` });
    const bad = (i: number) => ({ bytes: new Uint8Array([1, 2, 3, i]), name: `bad${i}` });
    const inputs = [good(0), bad(1), bad(2), good(3), good(4), bad(5), good(6)];
    const results = await e.encodeImages(inputs);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true, true, false, true]);
    for (const i of [0, 3, 4, 6]) expectClose(embedding(results[i]), expectedImage(pixels(40 + i)));
    for (const i of [1, 2, 5]) expect(results[i]).toMatchObject({ ok: false, error: { input: `bad${i}` } });
  });

  it("passes its self-test", async () => {
    const report = await (await encoder()).selfTest();
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toContain("text: single = batched");
  });
});

describe("ModelEncoder.create checks the graphs against the manifest", () => {
  it("wrong image input name", async () => {
    const error = await bundleError({ editManifest: (m) => setJsonPath(m, "image.input.name", "pixels") });
    expect(error).toMatchObject({ code: "GRAPH_MISMATCH", file: "image.onnx", field: "image.input.name" });
    expect(error.message).toBe(
      'image.onnx: image.input.name: the graph has no input "pixels" (its inputs: pixel_values)',
    );
  });

  it("wrong text input name", async () => {
    const error = await bundleError({ graph: { textInputIds: "ids" } });
    expect(error).toMatchObject({ file: "text.onnx", field: "text.inputs.inputIds" });
    expect(error.message).toContain('the graph has no input "input_ids" (its inputs: ids, attention_mask)');
  });

  it("a graph input the manifest does not feed", async () => {
    const error = await bundleError({
      editManifest: (m) => setJsonPath(m, "text.inputs.attentionMask", undefined),
    });
    expect(error.message).toContain(
      "the graph also needs input(s) attention_mask that the manifest does not feed",
    );
  });

  it("output width differs from the manifest's dimension", async () => {
    const image = await bundleError({ graph: { imageDimension: 6 } });
    expect(image).toMatchObject({ file: "image.onnx", field: "dimension" });
    expect(image.message).toContain('the graph output "image_embeds" has width 6, the manifest says 8');
    const text = await bundleError({ graph: { textDimension: 5 } });
    expect(text).toMatchObject({ file: "text.onnx", field: "dimension" });
  });

  it("an ONNX file ONNX Runtime cannot load, or a broken tokenizer.json, is the bundle's fault", async () => {
    const garbage = new Uint8Array(512).map((_, i) => (i * 31) % 251);
    const onnx = await bundleError({
      editManifest: (m) => setJsonPath(m, ["files", "text.onnx"], sha256(garbage)),
      replaceFiles: { "text.onnx": garbage },
    });
    expect(onnx).toMatchObject({ code: "NOT_ONNX", file: "text.onnx", field: "text.onnx" });
    expect(onnx.message).toMatch(/^text\.onnx: text\.onnx: ONNX Runtime cannot load it: /);
    const json = '{"model": {"type": "Nope"}}';
    const tokenizer = await bundleError({
      editManifest: (m) => setJsonPath(m, ["files", "tokenizer.json"], sha256(json)),
      replaceFiles: { "tokenizer.json": json },
    });
    expect(tokenizer).toMatchObject({
      code: "TOKENIZER_INVALID",
      file: "tokenizer.json",
      field: "text.tokenizer.file",
    });
  });

  it("input shape or dtype differs, or the batch axis is fixed", async () => {
    const shape = await bundleError({ editManifest: (m) => setJsonPath(m, "text.dtype", "int32") });
    expect(shape).toMatchObject({ file: "text.onnx", field: "text.dtype" });
    const fixed = await bundleError({ graph: { imageFixedBatch: 1 } });
    expect(fixed.message).toContain("fixed batch size 1");
  });
});

describe("ModelEncoder.close", () => {
  it("releases the text session even when releasing the image session fails", async () => {
    const { dir } = await writeTinyBundle(path.join(tmp, `b${bundleCount++}`), {});
    const e = await ModelEncoder.create(dir, { providers: ["cpu"], cpuThreads: 1 });
    const sessions = e as unknown as {
      imageSession: { release(): Promise<void> };
      textSession: { release(): Promise<void> };
    };
    const releaseImage = sessions.imageSession.release.bind(sessions.imageSession);
    const releaseText = sessions.textSession.release.bind(sessions.textSession);
    let textReleased = false;
    sessions.imageSession.release = async () => {
      await releaseImage();
      throw new Error("image session release failed");
    };
    sessions.textSession.release = async () => {
      textReleased = true;
      await releaseText();
    };
    await expect(e.close()).rejects.toThrow("image session release failed");
    expect(textReleased).toBe(true);
  });
});
