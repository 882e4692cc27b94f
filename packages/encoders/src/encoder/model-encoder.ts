import { firstLine } from "@cxr/config";
import * as ort from "onnxruntime-node";
import { BundleError } from "../bundle/errors.ts";
import { type LoadedBundle, loadBundle } from "../bundle/load.ts";
import type { Manifest } from "../bundle/schema.ts";
import type { DecodedImage } from "../image/types.ts";
import {
  createSession,
  type ExecutionProvider,
  type ProviderAttempt,
  SessionCreateError,
  type SessionFactoryOptions,
} from "../session/factory.ts";
import { TokenizerError } from "../tokenizer/errors.ts";
import { type EncodedText, Tokenizer } from "../tokenizer/tokenizer.ts";
import { iteratorOf, mapLimited, take } from "./concurrency.ts";
import { type EncodeFailure, type EncodeResult, EncoderError } from "./errors.ts";
import { checkImageGraph, checkTextGraph } from "./graph.ts";
import { allFinite, l2NormalizeInPlace } from "./math.ts";
import { asFailure, type ImagePayload, type ImagePrepareSpec, prepareImagePayload } from "./prepare-image.ts";
import { defaultPreprocessWorkers, PreprocessPool } from "./preprocess-pool.ts";
import { type SelfTestReport, selfTest } from "./self-test.ts";

/** Raw encoded bytes (JPEG, PNG, DICOM), optionally named, or an already decoded image. */
export type ImageInput =
  | Uint8Array
  | { bytes: Uint8Array; name?: string }
  | { image: DecodedImage; name?: string };
export type TextInput = string | { text: string; name?: string };

export interface EncoderOptions extends SessionFactoryOptions {
  /** Items per inference call (the graphs' dynamic batch axis). Default 16. */
  batchSize?: number;
  /** Images decoded and preprocessed at once, overlapping the previous batch's inference. Default: batchSize. */
  concurrency?: number;
  /** Decoder pixel limit (decompression bombs). */
  maxPixels?: number;
  /**
   * Worker threads that decode and preprocess images while inference runs on the main thread
   * (onnxruntime-node runs a session on the calling thread). 0: everything on the main thread.
   * Default: one per four cores, at least one, at most four (`defaultPreprocessWorkers`). Count
   * them with ONNX Runtime's intra-op threads (`cpuThreads`) against the machine's cores.
   */
  preprocessWorkers?: number;
}

export interface StreamedResult {
  /** Position of the input in the stream. */
  index: number;
  /** The input's name, or `#<index>`. */
  name: string;
  result: EncodeResult;
}

export interface EncoderInfo {
  id: string;
  version: string;
  name: string;
  dimension: number;
  fingerprint: string;
  providers: { image: ExecutionProvider; text: ExecutionProvider };
  attempts: { image: ProviderAttempt[]; text: ProviderAttempt[] };
  /** Where images are decoded and preprocessed: `workers` threads (0: the main thread), and why not when they could not start. */
  preprocessing: { workers: number; fallback?: string };
}

type Prepared<T> = { name: string; ok: true; value: T } | { name: string; ok: false; error: EncodeFailure };

/**
 * Image and text encoders of one model bundle: L2-normalised Float32Array embeddings (when the
 * manifest says `normalize`), per-item errors that leave the rest of a batch intact, arrays or
 * streams. Streams keep at most two batches in memory: the next batch is decoded and preprocessed
 * while the previous one runs on the execution provider.
 */
export class ModelEncoder {
  private closed = false;

  private constructor(
    readonly bundle: LoadedBundle,
    readonly tokenizer: Tokenizer,
    private readonly imageSession: ort.InferenceSession,
    private readonly textSession: ort.InferenceSession,
    readonly info: EncoderInfo,
    private readonly options: Required<Pick<EncoderOptions, "batchSize" | "concurrency">> &
      Pick<EncoderOptions, "maxPixels">,
    private readonly imageSpec: ImagePrepareSpec,
    private readonly preprocessWorkers: number,
    private readonly logger: SessionFactoryOptions["logger"],
  ) {}

  /** Thread ids of the running preprocessing workers (none before the first image, none after close). */
  get preprocessThreadIds(): number[] {
    return (this.startedPool?.threadIds ?? []).filter((id) => id !== -1);
  }

  private startedPool: PreprocessPool | undefined;

  /** The preprocessing pool, started by the first stream of more than one batch. */
  private poolStart: Promise<PreprocessPool | undefined> | undefined;

  private preprocessPool(): Promise<PreprocessPool | undefined> {
    if (this.poolStart === undefined) {
      this.poolStart =
        this.preprocessWorkers === 0 || this.closed
          ? Promise.resolve(undefined)
          : PreprocessPool.start(this.preprocessWorkers, this.imageSpec).then(async (started) => {
              if (!(started instanceof PreprocessPool)) {
                this.info.preprocessing = { workers: 0, fallback: started.message };
                this.logger?.warn(
                  `${this.info.id}: images preprocessed on the main thread (${started.message})`,
                );
                return undefined;
              }
              if (this.closed) {
                await started.close();
                return undefined;
              }
              this.info.preprocessing = { workers: started.size };
              this.startedPool = started;
              return started;
            });
    }
    return this.poolStart;
  }

  get manifest(): Manifest {
    return this.bundle.manifest;
  }

  get dimension(): number {
    return this.bundle.manifest.dimension;
  }

  /** Loads (when given a folder) and checks the bundle, creates both sessions, checks the graphs. */
  static async create(
    bundleOrDir: LoadedBundle | string,
    options: EncoderOptions = {},
  ): Promise<ModelEncoder> {
    const bundle = typeof bundleOrDir === "string" ? await loadBundle(bundleOrDir) : bundleOrDir;
    const { manifest } = bundle;
    const spec = manifest.text.tokenizer;
    let tokenizer: Tokenizer;
    try {
      tokenizer = await Tokenizer.fromFile(
        bundle.path(spec.file),
        {
          maxLength: spec.maxLength,
          truncation: spec.truncation,
          padding: spec.padding,
          padId: spec.padId,
          prep: spec.prep,
        },
        spec.config === undefined ? undefined : bundle.path(spec.config),
      );
    } catch (error) {
      if (!(error instanceof TokenizerError)) throw error;
      throw new BundleError("TOKENIZER_INVALID", spec.file, "text.tokenizer.file", error.message, {
        cause: error,
      });
    }
    const image = await openGraph(bundle, manifest.image.onnx, "image.onnx", options);
    let text: Awaited<ReturnType<typeof createSession>> | undefined;
    try {
      checkImageGraph(image.session, manifest);
      text = await openGraph(bundle, manifest.text.onnx, "text.onnx", options);
      checkTextGraph(text.session, manifest);
    } catch (error) {
      await image.session.release();
      await text?.session.release();
      throw error;
    }
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 16));
    // Default: the whole batch at once, so its decodes queue on libuv's threads before inference.
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? batchSize));
    const [, c, h, w] = manifest.image.input.shape;
    const imageSpec: ImagePrepareSpec = {
      steps: manifest.image.preprocess,
      chw: [c, h, w],
      maxPixels: options.maxPixels,
    };
    const workers = Math.max(0, Math.floor(options.preprocessWorkers ?? defaultPreprocessWorkers()));
    return new ModelEncoder(
      bundle,
      tokenizer,
      image.session,
      text.session,
      {
        id: manifest.id,
        version: manifest.version,
        name: manifest.name,
        dimension: manifest.dimension,
        fingerprint: bundle.fingerprint,
        providers: { image: image.provider, text: text.provider },
        attempts: { image: image.attempts, text: text.attempts },
        preprocessing: { workers: 0 },
      },
      { batchSize, concurrency, maxPixels: options.maxPixels },
      imageSpec,
      workers,
      options.logger,
    );
  }

  async encodeImages(inputs: readonly ImageInput[]): Promise<EncodeResult[]> {
    const out: EncodeResult[] = [];
    for await (const item of this.streamImages(inputs)) out.push(item.result);
    return out;
  }

  async encodeTexts(inputs: readonly TextInput[]): Promise<EncodeResult[]> {
    const out: EncodeResult[] = [];
    for await (const item of this.streamTexts(inputs)) out.push(item.result);
    return out;
  }

  /** Encodes images as they arrive; results come in input order. */
  streamImages(source: AsyncIterable<ImageInput> | Iterable<ImageInput>): AsyncGenerator<StreamedResult> {
    return this.stream(
      source,
      (input, index) => this.prepareImage(input, index),
      (items) => this.runImages(items),
    );
  }

  /** Encodes texts as they arrive; results come in input order. */
  streamTexts(source: AsyncIterable<TextInput> | Iterable<TextInput>): AsyncGenerator<StreamedResult> {
    return this.stream(
      source,
      async (input, index) => this.prepareText(input, index),
      (items) => this.runTexts(items),
    );
  }

  /** Encodes a synthetic image and a fixed text; checks shapes, finiteness, unit norm (self-test.ts). */
  selfTest(): Promise<SelfTestReport> {
    return selfTest(this);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Each resource is released even when releasing another throws.
    try {
      await (await this.poolStart)?.close();
    } finally {
      try {
        await this.imageSession.release();
      } finally {
        await this.textSession.release();
      }
    }
  }

  private async *stream<I, T>(
    source: AsyncIterable<I> | Iterable<I>,
    prepare: (input: I, index: number) => Promise<Prepared<T>>,
    run: (items: Prepared<T>[]) => Promise<EncodeResult[]>,
  ): AsyncGenerator<StreamedResult> {
    const iterator = iteratorOf(source);
    let next = 0;
    /** Pulls the next batch and starts preparing it (decoding runs on libuv's threads). */
    const startBatch = async () => {
      const inputs = await take(iterator, this.options.batchSize);
      const base = next;
      next += inputs.length;
      const prepared = await mapLimited(inputs, this.options.concurrency, (input, i) =>
        prepare(input, base + i),
      );
      return { base, prepared };
    };
    let pending = startBatch();
    for (;;) {
      const { base, prepared } = await pending;
      if (prepared.length === 0) break;
      // Bounded prefetch: batch n+1 is pulled and prepared while batch n runs, so at most two
      // batches are held. onnxruntime-node runs a session on the main thread, so the prefetch is
      // given two turns of the event loop first: its decodes are then under way on libuv's threads
      // (sharp) when inference takes the main thread.
      pending = startBatch();
      pending.catch(() => {}); // rethrown by the await above on the next turn
      await turns(2);
      const results = await run(prepared);
      yield* results.map((result, i) => ({ index: base + i, name: prepared[i]!.name, result }));
    }
  }

  private async prepareImage(input: ImageInput, index: number): Promise<Prepared<Float32Array>> {
    let name = `#${index}`;
    let payload: ImagePayload;
    if (input instanceof Uint8Array) {
      payload = { bytes: input };
    } else if (input !== null && typeof input === "object" && "bytes" in input) {
      name = input.name ?? name;
      payload = { bytes: input.bytes };
    } else if (input !== null && typeof input === "object" && "image" in input) {
      name = input.name ?? name;
      payload = { image: input.image };
    } else {
      const error = new EncoderError("BAD_INPUT", name, "expected bytes, { bytes, name } or { image, name }");
      return { name, ok: false, error };
    }
    // The first batch of a stream has no inference to overlap with, so a single-batch call (one
    // query image) never pays for starting threads; from the second batch on, or once started,
    // the pool prepares images while the previous batch runs.
    const pool =
      this.startedPool ?? (index >= this.options.batchSize ? await this.preprocessPool() : undefined);
    if (pool?.usable) {
      try {
        return { name, ...(await pool.prepare(payload, name)) };
      } catch {
        // The pool failed or was closed: this item, and the ones after it, are prepared here.
      }
    }
    return { name, ...(await prepareImagePayload(payload, name, this.imageSpec)) };
  }

  private prepareText(input: TextInput, index: number): Prepared<EncodedText> {
    const named = typeof input === "object" && input !== null;
    const name = (named ? input.name : undefined) ?? `#${index}`;
    try {
      return { name, ok: true, value: this.tokenizer.encode(named ? input.text : input, { index }) };
    } catch (error) {
      return { name, ok: false, error: asFailure(error, name) };
    }
  }

  private runImages(items: Prepared<Float32Array>[]): Promise<EncodeResult[]> {
    const [, c, h, w] = this.manifest.image.input.shape;
    const size = c * h * w;
    return this.runBatch(items, async (ok) => {
      const data = new Float32Array(ok.length * size);
      ok.forEach((tensor, i) => {
        data.set(tensor, i * size);
      });
      const feeds = {
        [this.manifest.image.input.name]: new ort.Tensor("float32", data, [ok.length, c, h, w]),
      };
      return this.run(this.imageSession, feeds, this.manifest.image.output.name, ok.length);
    });
  }

  private runTexts(items: Prepared<EncodedText>[]): Promise<EncodeResult[]> {
    const { inputs, dtype } = this.manifest.text;
    return this.runBatch(items, async (ok) => {
      const batch = this.tokenizer.pad(ok);
      const dims = [batch.rows, batch.seqLength];
      const tensor = (values: number[]) =>
        dtype === "int64"
          ? new ort.Tensor(
              "int64",
              BigInt64Array.from(values, (v) => BigInt(v)),
              dims,
            )
          : new ort.Tensor("int32", Int32Array.from(values), dims);
      const feeds: Record<string, ort.Tensor> = { [inputs.inputIds]: tensor(batch.inputIds) };
      if (inputs.attentionMask) feeds[inputs.attentionMask] = tensor(batch.attentionMask);
      if (inputs.tokenTypeIds) feeds[inputs.tokenTypeIds] = tensor(batch.tokenTypeIds);
      return this.run(this.textSession, feeds, this.manifest.text.output.name, ok.length);
    });
  }

  /** Runs the prepared items that are ok; a failed batch is retried item by item to isolate the culprit. */
  private async runBatch<T>(
    items: Prepared<T>[],
    infer: (values: T[]) => Promise<Float32Array[]>,
  ): Promise<EncodeResult[]> {
    const results = new Array<EncodeResult>(items.length);
    const okIndices: number[] = [];
    items.forEach((item, i) => {
      if (item.ok) okIndices.push(i);
      else results[i] = { ok: false, error: item.error };
    });
    if (okIndices.length === 0) return results;
    if (this.closed) {
      for (const i of okIndices) {
        results[i] = {
          ok: false,
          error: new EncoderError("CLOSED", items[i]!.name, "the encoder was closed"),
        };
      }
      return results;
    }
    const value = (i: number) => (items[i] as { value: T }).value;
    const finish = (i: number, embedding: Float32Array) => {
      results[i] = this.finishEmbedding(items[i]!.name, embedding);
    };
    try {
      const embeddings = await infer(okIndices.map(value));
      okIndices.forEach((i, k) => {
        finish(i, embeddings[k]!);
      });
    } catch (batchError) {
      for (const i of okIndices) {
        try {
          finish(i, (await infer([value(i)]))[0]!);
        } catch (error) {
          const failure = new EncoderError("INFERENCE_FAILED", items[i]!.name, firstLine(error), {
            cause: okIndices.length > 1 ? error : batchError,
          });
          results[i] = { ok: false, error: failure };
        }
      }
    }
    return results;
  }

  private async run(
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    outputName: string,
    rows: number,
  ): Promise<Float32Array[]> {
    const output = (await session.run(feeds, [outputName]))[outputName];
    if (output === undefined) throw new Error(`the graph returned no "${outputName}"`);
    const dims = output.dims;
    if (dims.length !== 2 || dims[0] !== rows || dims[1] !== this.dimension) {
      throw new Error(
        `output "${outputName}" has shape [${dims.join(", ")}], expected [${rows}, ${this.dimension}]`,
      );
    }
    const data = output.data;
    if (!(data instanceof Float32Array))
      throw new Error(`output "${outputName}" is ${output.type}, not float32`);
    const d = this.dimension;
    const out = Array.from({ length: rows }, (_, r) => data.slice(r * d, (r + 1) * d));
    output.dispose();
    return out;
  }

  private finishEmbedding(name: string, embedding: Float32Array): EncodeResult {
    if (!allFinite(embedding)) {
      return {
        ok: false,
        error: new EncoderError("BAD_EMBEDDING", name, "the embedding contains NaN or Infinity"),
      };
    }
    if (this.manifest.normalize && !l2NormalizeInPlace(embedding)) {
      return { ok: false, error: new EncoderError("BAD_EMBEDDING", name, "the embedding is all zeros") };
    }
    return { ok: true, embedding };
  }
}

/** A session for one graph of the bundle; a file no provider can load, not even cpu, is the bundle's fault. */
async function openGraph(
  bundle: LoadedBundle,
  file: string,
  field: string,
  options: SessionFactoryOptions,
): Promise<Awaited<ReturnType<typeof createSession>>> {
  try {
    return await createSession(bundle.path(file), `${bundle.manifest.id}/${file}`, options);
  } catch (error) {
    const cpu =
      error instanceof SessionCreateError ? error.attempts.find((a) => a.provider === "cpu") : undefined;
    if (cpu?.error === undefined) throw error;
    throw new BundleError("NOT_ONNX", file, field, `ONNX Runtime cannot load it: ${cpu.error}`, {
      cause: error,
    });
  }
}

/** Lets `n` turns of the event loop pass (I/O callbacks, such as finished decodes, run in each). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
