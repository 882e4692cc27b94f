import type { Config } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { openVectorStore, type VectorStore } from "@cxr/store";
import { EncoderCache } from "../index-job/model.ts";
import { BullmqJobRunner } from "../jobs/queue/runner.ts";
import { InProcessJobRunner } from "../jobs/runner.ts";
import type { JobRunner } from "../jobs/types.ts";
import type { BatchingOptions } from "../search/batcher.ts";

/**
 * Where use cases say what they do. Messages are counts, ids, names and paths: callers never pass
 * report text, pixels or tokens (a Prisma message goes through `firstLine` first), so a logger
 * implementation may ship lines anywhere.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, string | number | boolean>): void;
  info(message: string, fields?: Record<string, string | number | boolean>): void;
  warn(message: string, fields?: Record<string, string | number | boolean>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

/** Everything a face needs from the product, opened once and closed once. */
export interface Services {
  readonly config: Config;
  /** The database, opened (and migrated on first use) by the first call; the same one after. */
  database(): Promise<Database>;
  /** The configured vector store (embedded or Qdrant), opened by the first call. */
  store(): VectorStore;
  /** Encoders kept open per model fingerprint, with a per-model concurrency limit. */
  readonly encoders: EncoderCache;
  readonly logger: Logger;
  /**
   * The job runner, created by the first use: in-process (background executions in this process,
   * one writer per key) or, with REDIS_URL, the BullMQ runner (`cxr worker` processes execute); `close()` interrupts its running jobs, leaving them resumable.
   */
  readonly jobs: JobRunner;
  /** Closes what was opened (encoders, store, database); a second call does nothing. */
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  logger?: Logger;
  /** Encode calls in flight per model (default 2). */
  perModelConcurrency?: number;
  /** Dynamic batching of query encodes (window, batch size, queue limit per model): search/batcher.ts. */
  batching?: Partial<BatchingOptions>;
}

/**
 * The composition root of every face (CLI, API, workers): nothing is opened until a use case asks
 * for it, so commands that need no database (synth, doctor) do not create one.
 */
export function openServices(config: Config, options: OpenServicesOptions = {}): Services {
  let database: Promise<Database> | undefined;
  let store: VectorStore | undefined;
  let closing: Promise<void> | undefined;
  let jobs: InProcessJobRunner | BullmqJobRunner | undefined;
  const encoders = new EncoderCache(config, {
    ...(options.perModelConcurrency === undefined
      ? {}
      : { perModelConcurrency: options.perModelConcurrency }),
    ...(options.batching === undefined ? {} : { batching: options.batching }),
  });
  const closed = () => {
    if (closing !== undefined) throw new Error("the services were closed");
  };

  const services: Services = {
    config,
    logger: options.logger ?? silentLogger,
    get jobs() {
      closed();
      // REDIS_URL set: BullMQ queues, executed by `cxr worker` processes; else in this process.
      jobs ??=
        config.redisUrl === undefined ? new InProcessJobRunner(services) : new BullmqJobRunner(services);
      return jobs;
    },
    encoders,
    database() {
      closed();
      database ??= openDatabase(config);
      // a failed open is not kept: the next call tries again
      database.catch(() => {
        database = undefined;
      });
      return database;
    },
    store() {
      closed();
      store ??= openVectorStore(config);
      return store;
    },
    close() {
      closing ??= (async () => {
        const failures: unknown[] = [];
        const step = async (run: () => Promise<void>) => {
          try {
            await run();
          } catch (error) {
            failures.push(error);
          }
        };
        if (jobs !== undefined) await step(() => jobs!.close());
        await step(() => encoders.close());
        if (store !== undefined) await step(() => store!.close());
        const db = database;
        if (db !== undefined) await step(async () => (await db.catch(() => undefined))?.close());
        if (failures.length > 0) throw failures[0];
      })();
      return closing;
    },
  };
  return services;
}

/** Opens the services for one unit of work (a CLI command) and closes them whatever happens. */
export async function withServices<T>(
  config: Config,
  run: (services: Services) => Promise<T>,
  options: OpenServicesOptions = {},
): Promise<T> {
  const services = openServices(config, options);
  try {
    return await run(services);
  } finally {
    await services.close();
  }
}
