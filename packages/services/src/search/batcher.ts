import type { ModelModel as Model } from "@cxr/db";
import type { EncodeResult, ImageInput, ModelEncoder, TextInput } from "@cxr/encoders";
import { ServiceError } from "../errors/service-error.ts";

/**
 * Dynamic batching of query encodes (as text-embeddings-inference does): a query that finds its
 * model and modality idle (nothing waiting, no pass running) runs on the next turn of the event
 * loop, with whatever arrived in the same turn: a lone request never pays the window. Otherwise it waits at most `windowMs` for others (or until a pass of its
 * model finishes), then they run as one forward pass of up to `maxBatch` items. A model with `maxQueue` queries waiting or running refuses more with a
 * typed "overloaded" error instead of queueing forever. Shared by every face through EncoderCache.
 */

export interface BatchingOptions {
  /** Longest wait for more queries before a partial batch runs (ms). Default 5; 0 runs at once. */
  windowMs: number;
  /** Most queries per forward pass (capped by the encoder's own batch size, 16). Default 16; 1 turns batching off. */
  maxBatch: number;
  /** Most queries per model waiting or running; one more is refused as overloaded. Default 64. */
  maxQueue: number;
}

export const DEFAULT_BATCHING: BatchingOptions = { windowMs: 5, maxBatch: 16, maxQueue: 64 };

/** One forward pass, for metrics: how many queries it carried and how long the encode took. */
export interface BatchEvent {
  model: string;
  modality: "image" | "text";
  size: number;
  seconds: number;
}

export class OverloadedError extends ServiceError {
  override readonly name = "OverloadedError";
  constructor(
    readonly model: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      "overloaded",
      "OVERLOADED",
      `model "${model}" has too many queries waiting; retry in ${retryAfterSeconds} s`,
    );
  }
}

type Use = <T>(model: Model, work: (encoder: ModelEncoder) => Promise<T>) => Promise<T>;

interface Pending<I> {
  input: I;
  resolve(result: EncodeResult): void;
  reject(error: unknown): void;
}

interface Queue<I> {
  model: Model;
  modality: "image" | "text";
  waiting: Pending<I>[];
  /** Queries waiting or in a pass that has not finished. */
  load: number;
  timer: NodeJS.Timeout | undefined;
  /** The flush of an idle queue, on the next turn of the event loop. */
  soon: NodeJS.Immediate | undefined;
}

export class EncodeBatcher {
  readonly options: BatchingOptions;
  private readonly queues = new Map<string, Queue<unknown>>();
  private readonly listeners = new Set<(event: BatchEvent) => void>();

  constructor(
    private readonly use: Use,
    options: Partial<BatchingOptions> = {},
  ) {
    const o = { ...DEFAULT_BATCHING, ...options };
    this.options = {
      windowMs: Math.max(0, o.windowMs),
      maxBatch: Math.max(1, Math.min(16, Math.floor(o.maxBatch))),
      maxQueue: Math.max(1, Math.floor(o.maxQueue)),
    };
  }

  /** Called after every forward pass (encode metrics); returns a function that unsubscribes. */
  onBatch(listener: (event: BatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  encodeImage(model: Model, input: ImageInput): Promise<EncodeResult> {
    return this.enqueue(model, "image", input);
  }

  encodeText(model: Model, input: TextInput): Promise<EncodeResult> {
    return this.enqueue(model, "text", input);
  }

  private enqueue<I>(model: Model, modality: "image" | "text", input: I): Promise<EncodeResult> {
    const key = `${model.id}\u0000${model.fingerprint}\u0000${modality}`;
    let queue = this.queues.get(key) as Queue<I> | undefined;
    if (queue === undefined) {
      queue = { model, modality, waiting: [], load: 0, timer: undefined, soon: undefined };
      this.queues.set(key, queue as Queue<unknown>);
    }
    if (queue.load >= this.options.maxQueue) {
      return Promise.reject(new OverloadedError(model.id, 1));
    }
    const idle = queue.load === 0;
    queue.load++;
    const q = queue;
    return new Promise<EncodeResult>((resolve, reject) => {
      q.waiting.push({ input, resolve, reject });
      if (q.waiting.length >= this.options.maxBatch || this.options.windowMs === 0) this.flush(q);
      else if (idle) q.soon ??= setImmediate(() => this.flush(q));
      else if (q.soon === undefined) q.timer ??= setTimeout(() => this.flush(q), this.options.windowMs);
    });
  }

  private flush<I>(queue: Queue<I>): void {
    if (queue.timer !== undefined) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
    }
    if (queue.soon !== undefined) {
      clearImmediate(queue.soon);
      queue.soon = undefined;
    }
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, this.options.maxBatch);
      void this.run(queue, batch);
    }
  }

  private async run<I>(queue: Queue<I>, batch: Pending<I>[]): Promise<void> {
    try {
      const results = await this.use(queue.model, async (encoder) => {
        const started = process.hrtime.bigint();
        const inputs = batch.map((p) => p.input);
        const out =
          queue.modality === "image"
            ? await encoder.encodeImages(inputs as ImageInput[])
            : await encoder.encodeTexts(inputs as TextInput[]);
        const event: BatchEvent = {
          model: queue.model.id,
          modality: queue.modality,
          size: batch.length,
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
        };
        for (const listener of this.listeners) listener(event);
        return out;
      });
      batch.forEach((p, i) => {
        p.resolve(results[i]!);
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      queue.load -= batch.length;
      // the queries that came while this pass ran have waited long enough: run them together now
      if (queue.waiting.length > 0) this.flush(queue);
    }
  }
}
