/**
 * Images decoded and preprocessed in worker threads give exactly what the main thread gives: the
 * same embeddings, the same per-item errors, in the same order; closing the encoder ends the threads.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PreprocessPool } from "../src/encoder/preprocess-pool.ts";
import { type EncodeResult, type ImageInput, ModelEncoder, makeImage } from "../src/index.ts";
import { writeTinyBundle } from "../src/testing/index.ts";

const SIDE = 8;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "cxr-encoder-workers-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function pixels(seed: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed * 101 + ((i * i) % 13)) % 256);
}

async function grey(side: number, seed: number, format: "png" | "jpeg"): Promise<Uint8Array> {
  const image = sharp(Buffer.from(pixels(seed, side * side)), {
    raw: { width: side, height: side, channels: 1 },
  });
  return new Uint8Array(await (format === "png" ? image.png() : image.jpeg({ quality: 90 })).toBuffer());
}

/** Every kind of item the encoder can get: good ones (resized, so the Pillow path runs) and bad ones. */
async function inputs(): Promise<ImageInput[]> {
  const jpeg = await grey(27, 1, "jpeg");
  const big = await grey(40, 2, "png");
  return [
    // The first batch of a stream is prepared on the main thread (nothing to overlap with yet).
    { bytes: jpeg, name: "first.jpg" },
    { bytes: jpeg, name: "a.jpg" },
    { bytes: await grey(19, 3, "png"), name: "b.png" },
    { bytes: jpeg.subarray(0, jpeg.length - 200), name: "cut.jpg" },
    { bytes: new TextEncoder().encode("<!DOCTYPE html><html><body>login</body></html>"), name: "page.jpg" },
    { bytes: new Uint8Array(0), name: "empty.jpg" },
    42 as unknown as Uint8Array,
    { bytes: "not bytes" as unknown as Uint8Array, name: "string" },
    { bytes: big, name: "bomb.png" },
    { image: makeImage("L", SIDE * 3, SIDE, pixels(4, SIDE * SIDE * 3)), name: "wide" },
    { image: makeImage("L", 13, 13, pixels(5, 169)) },
    await grey(23, 6, "jpeg"),
  ];
}

type Outcome =
  | { embedding: number[] }
  | { error: { class: string; code: unknown; input: unknown; message: string } };

/**
 * libvips keeps one error buffer for the process: under concurrent decodes the detail it gives sharp
 * for a truncated file varies from run to run on the main thread alone ("premature end of JPEG
 * image" or "Unknown error"), so that parenthesised detail is left out of the comparison.
 */
const withoutLibvipsDetail = (message: string) =>
  message.replace(/^(.*: TRUNCATED: .* ends early) \(.*\)$/, "$1");

function outcome(result: EncodeResult): Outcome {
  if (result.ok) return { embedding: Array.from(result.embedding) };
  const error = result.error as Error & { code?: unknown; input?: unknown };
  const message = withoutLibvipsDetail(error.message);
  return { error: { class: error.constructor.name, code: error.code, input: error.input, message } };
}

describe("ModelEncoder preprocessing in worker threads", () => {
  it("gives the main thread's embeddings and per-item errors, in order, and close ends its threads", async () => {
    const { dir } = await writeTinyBundle(path.join(tmp, "bundle"), {
      preprocess: [
        { op: "resize", size: SIDE, by: "shorter", kernel: "bicubic" },
        { op: "toTensor", scale: "divide255", channels: 1 },
      ],
    });
    const options = { providers: ["cpu" as const], cpuThreads: 1, batchSize: 1, maxPixels: 1000 };
    const inThread = await ModelEncoder.create(dir, { ...options, preprocessWorkers: 0 });
    const workers = await ModelEncoder.create(dir, { ...options, preprocessWorkers: 2 });
    try {
      const items = await inputs();
      const expected = (await inThread.encodeImages(items)).map(outcome);
      const actual = (await workers.encodeImages(items)).map(outcome);
      expect(workers.info.preprocessing).toEqual({ workers: 2 });
      expect(inThread.info.preprocessing).toEqual({ workers: 0 });
      expect(inThread.preprocessThreadIds).toEqual([]);
      expect(actual).toEqual(expected);
      // The list covers both kinds: five embeddings, the rest errors of several classes.
      expect(expected.map((o) => "embedding" in o)).toEqual([
        true,
        true,
        true,
        false,
        false,
        false,
        false,
        false,
        false,
        false,
        true,
        true,
      ]);
      expect(new Set(expected.flatMap((o) => ("error" in o ? [o.error.class] : [])))).toEqual(
        new Set(["ImageDecodeError", "EncoderError"]),
      );
      // The caller's bytes are copied to the workers, not taken from the caller.
      expect((items[0] as { bytes: Uint8Array }).bytes.byteLength).toBeGreaterThan(0);

      // Streams through the workers keep order across batches.
      const streamed: number[] = [];
      for await (const item of workers.streamImages(items)) streamed.push(item.index);
      expect(streamed).toEqual(items.map((_, i) => i));

      const threads = workers.preprocessThreadIds;
      expect(threads).toHaveLength(2);
    } finally {
      await inThread.close();
      await workers.close();
    }
    expect(workers.preprocessThreadIds).toEqual([]);
    const [afterClose] = await workers.encodeImages([await grey(9, 7, "png")]);
    expect(afterClose).toMatchObject({ ok: false, error: { code: "CLOSED" } });
  });

  it("a pool whose workers cannot start reports why instead of starting", async () => {
    const broken = new URL("data:text/javascript,throw new Error('cannot load')");
    const started = await PreprocessPool.start(2, { steps: [], chw: [1, SIDE, SIDE] }, broken);
    expect(started).toBeInstanceOf(Error);
    expect((started as Error).message).toMatch(/cannot load|exited/);
  });
});
