import { type Config, firstLine } from "@cxr/config";
import type { Database, ModelModel as Model } from "@cxr/db";
import { type EncodeResult, type ImageInput, ModelEncoder, type TextInput } from "@cxr/encoders";
import { type BatchEvent, type BatchingOptions, EncodeBatcher } from "../search/batcher.ts";
import { IndexSearchError } from "./errors.ts";

/**
 * The one door from the index and search services to a registered model: the `Model` row (by id)
 * and an encoder built from its bundle folder. The bundle must still be the one that was added
 * (same fingerprint); vectors from a changed bundle would not be comparable with the collection's.
 */

export type EncoderConfig = Pick<Config, "executionProviders" | "cpuThreads">;

/** Where a model row is looked up: an IndexRepository, or the database's table (`modelTable`). */
export interface ModelLookup {
  findModel(id: string): Promise<Model | null>;
}

export const modelTable = (db: Pick<Database, "prisma">): ModelLookup => ({
  findModel: (id) => db.prisma.model.findUnique({ where: { id } }),
});

/** The registered model of that id, or a typed UNKNOWN_MODEL. */
export async function requireModel(lookup: ModelLookup, modelId: string): Promise<Model> {
  const row = await lookup.findModel(modelId);
  if (row === null) {
    throw new IndexSearchError(
      "UNKNOWN_MODEL",
      `no model "${modelId}" is registered (see \`cxr models list\`, add one with \`cxr models add\`)`,
      { model: modelId },
    );
  }
  return row;
}

export async function openEncoder(
  model: Model,
  config: EncoderConfig,
  options: { batchSize?: number } = {},
): Promise<ModelEncoder> {
  let encoder: ModelEncoder;
  try {
    encoder = await ModelEncoder.create(model.bundlePath, {
      providers: config.executionProviders,
      cpuThreads: config.cpuThreads,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    });
  } catch (error) {
    throw new IndexSearchError(
      "MODEL_UNAVAILABLE",
      `model "${model.id}" cannot be loaded from ${model.bundlePath}: ${firstLine(error)} (run \`cxr models verify ${model.id}\`)`,
      { model: model.id },
      { cause: error },
    );
  }
  if (encoder.info.fingerprint !== model.fingerprint) {
    await encoder.close();
    throw new IndexSearchError(
      "MODEL_UNAVAILABLE",
      `model "${model.id}": the bundle at ${model.bundlePath} changed since it was added (fingerprint ${encoder.info.fingerprint.slice(0, 12)}, registered ${model.fingerprint.slice(0, 12)}); run \`cxr models verify ${model.id}\``,
      { model: model.id },
    );
  }
  return encoder;
}

/**
 * Encoders kept open across calls (the API serves many searches with one load per model), keyed by
 * model id and fingerprint, with at most `perModelConcurrency` encode calls in flight per model
 * (`use`): a burst of requests queues instead of multiplying ONNX Runtime's memory. Single query
 * encodes (`encodeImage`, `encodeText`) go through the dynamic batcher (search/batcher.ts): queries
 * that arrive together share one forward pass, and a model with too many waiting is "overloaded".
 */
export class EncoderCache {
  private readonly open = new Map<string, Promise<ModelEncoder>>();
  private readonly slots = new Map<string, { busy: number; waiting: (() => void)[] }>();
  private readonly perModelConcurrency: number;
  private readonly batcher: EncodeBatcher;

  constructor(
    private readonly config: EncoderConfig,
    options: { perModelConcurrency?: number; batching?: Partial<BatchingOptions> } = {},
  ) {
    this.perModelConcurrency = Math.max(1, options.perModelConcurrency ?? 2);
    this.batcher = new EncodeBatcher((model, work) => this.use(model, work), options.batching);
  }

  /** The batching in effect (window, batch size, queue limit per model). */
  get batching(): BatchingOptions {
    return this.batcher.options;
  }

  /** One query image, batched with the others that arrive within the window. */
  encodeImage(model: Model, input: ImageInput): Promise<EncodeResult> {
    return this.batcher.encodeImage(model, input);
  }

  /** One query text, batched with the others that arrive within the window. */
  encodeText(model: Model, input: TextInput): Promise<EncodeResult> {
    return this.batcher.encodeText(model, input);
  }

  /** Observes every batched forward pass (size, seconds); returns an unsubscribe function. */
  onBatch(listener: (event: BatchEvent) => void): () => void {
    return this.batcher.onBatch(listener);
  }

  /** The encoder of this model row; reloaded when the row's fingerprint changed. */
  get(model: Model): Promise<ModelEncoder> {
    const key = cacheKey(model);
    let encoder = this.open.get(key);
    if (encoder === undefined) {
      encoder = openEncoder(model, this.config);
      this.open.set(key, encoder);
      encoder.catch(() => this.open.delete(key));
    }
    return encoder;
  }

  /** Runs `work` with this model's encoder once one of the model's slots is free. */
  async use<T>(model: Model, work: (encoder: ModelEncoder) => Promise<T>): Promise<T> {
    const key = cacheKey(model);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { busy: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    if (slot.busy >= this.perModelConcurrency) {
      await new Promise<void>((resolve) => slot!.waiting.push(resolve));
    } else {
      slot.busy++;
    }
    try {
      return await work(await this.get(model));
    } finally {
      // hand the slot straight to the next waiter, or free it
      const next = slot.waiting.shift();
      if (next) next();
      else slot.busy--;
    }
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const pending of all) {
      try {
        await (await pending).close();
      } catch {
        // failed loads have nothing to close
      }
    }
  }
}

function cacheKey(model: Model): string {
  return `${model.id}\u0000${model.fingerprint}`;
}

/** Re-exported so the use cases that import it from here keep one helper (@cxr/config's). */
export { firstLine };
