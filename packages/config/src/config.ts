import path from "node:path";
import { z } from "zod";

/**
 * The one typed configuration of the product, read from environment variables.
 * Every default is chosen so that a fresh machine with nothing set works: an embedded SQLite
 * database and an embedded vector store under ./data, CPU execution when no GPU is present.
 */

export const EXECUTION_PROVIDERS = ["cuda", "webgpu", "cpu"] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable}: ${reason}`);
  }
}

export interface Config {
  /** Where everything the product writes lives unless told otherwise (database, vectors, caches). */
  dataDir: string;
  /** Where model bundles are kept. */
  modelsDir: string;
  database: { kind: "sqlite"; url: string; file: string } | { kind: "postgresql"; url: string };
  /** Unset: the embedded vector store under dataDir. */
  qdrantUrl: string | undefined;
  qdrantApiKey: string | undefined;
  /** How Qdrant collections are laid out and written/read (used only when qdrantUrl is set). */
  qdrant: QdrantSettings;
  /** Unset: jobs run in the process that asked (the in-process runner). Set: BullMQ queues on this Redis. */
  redisUrl: string | undefined;
  /** How the BullMQ runner and `cxr worker` use the queues (used only when redisUrl is set). */
  queue: QueueSettings;
  /** Preferred execution providers, in order; intersected with what ONNX Runtime offers here. */
  executionProviders: ExecutionProvider[];
  /** Intra-op threads for CPU inference; 0 lets ONNX Runtime decide. */
  cpuThreads: number;
  encodeBatchSize: number;
  apiPort: number;
  adminToken: string | undefined;
  submissionToken: string | undefined;
  logLevel: "debug" | "info" | "warn" | "error";
  /** A mirror of the Hugging Face hub for `cxr models pull`; unset: the hub itself. */
  hfEndpoint: string | undefined;
  /** A mirror of the Open-i collections folder for `cxr datasets pull iu-xray`; unset: Open-i itself. */
  iuXrayBaseUrl: string | undefined;
}

export interface QueueSettings {
  /** Prefix of every Redis key of the queues (CXR_QUEUE_PREFIX, default "cxr"). */
  prefix: string;
  /** Items per shard of a fanned-out index job (CXR_SHARD_SIZE, default 500). */
  shardSize: number;
  /** Deliveries of a queue job before it fails for good (CXR_JOB_ATTEMPTS, default 5). */
  attempts: number;
  /** First retry delay, doubled each retry (CXR_JOB_BACKOFF_MS, default 5000). */
  backoffMs: number;
  /** A worker's lock on a job, renewed at half this (CXR_QUEUE_LOCK_MS, default 30000). */
  lockMs: number;
  /** How often workers look for stalled jobs (a dead worker's) (CXR_QUEUE_STALLED_MS, default 30000). */
  stalledMs: number;
  /** Stalls a job survives before it fails (CXR_QUEUE_MAX_STALLED, default 5). */
  maxStalled: number;
}

/** Read consistency of a Qdrant search: a replica count, or one of Qdrant's named levels. */
export type QdrantReadConsistency = number | "majority" | "quorum" | "all";

export interface QdrantSettings {
  /** Shards of a new collection; undefined leaves Qdrant's default (one per node in a cluster). */
  shardNumber: number | undefined;
  /** Copies of each shard of a new collection; undefined leaves Qdrant's default (1). */
  replicationFactor: number | undefined;
  /** Replicas that must acknowledge a write; undefined leaves Qdrant's default (1). */
  writeConsistencyFactor: number | undefined;
  /** Replicas a search asks before answering; undefined leaves Qdrant's default (1). */
  readConsistency: QdrantReadConsistency | undefined;
  /** Points per upsert request. */
  upsertBatchSize: number;
  /** Upsert requests in flight at once. */
  upsertParallel: number;
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `expected ${min}..${max}, got ${value}`);
  return value;
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  return nonEmpty(env, name) === undefined ? undefined : integer(env, name, 0, min, max);
}

function parseQdrant(env: Env): QdrantSettings {
  const replicationFactor = optionalInteger(env, "QDRANT_REPLICATION_FACTOR", 1, 64);
  const writeConsistencyFactor = optionalInteger(env, "QDRANT_WRITE_CONSISTENCY", 1, 64);
  if (writeConsistencyFactor !== undefined && writeConsistencyFactor > (replicationFactor ?? 1)) {
    // Qdrant would accept the collection and then fail every write: no replica set is that large.
    throw new ConfigError(
      "QDRANT_WRITE_CONSISTENCY",
      `must not exceed QDRANT_REPLICATION_FACTOR (${replicationFactor ?? 1}), got ${writeConsistencyFactor}`,
    );
  }
  let readConsistency: QdrantReadConsistency | undefined;
  const read = nonEmpty(env, "QDRANT_READ_CONSISTENCY")?.toLowerCase();
  if (read === "majority" || read === "quorum" || read === "all") readConsistency = read;
  else if (read !== undefined) {
    if (!/^\d+$/.test(read) || Number(read) < 1 || Number(read) > 64) {
      throw new ConfigError(
        "QDRANT_READ_CONSISTENCY",
        `expected majority, quorum, all or a replica count 1..64, got "${read}"`,
      );
    }
    readConsistency = Number(read);
  }
  return {
    shardNumber: optionalInteger(env, "QDRANT_SHARDS", 1, 1024),
    replicationFactor,
    writeConsistencyFactor,
    readConsistency,
    upsertBatchSize: integer(env, "QDRANT_UPSERT_BATCH", 256, 1, 10_000),
    upsertParallel: integer(env, "QDRANT_UPSERT_PARALLEL", 2, 1, 64),
  };
}

function parseDatabase(env: Env, dataDir: string): Config["database"] {
  const raw = nonEmpty(env, "DATABASE_URL");
  if (raw === undefined) {
    const file = path.join(dataDir, "cxr.db");
    return { kind: "sqlite", url: `file:${file}`, file };
  }
  if (raw.startsWith("file:")) {
    const rest = raw.slice("file:".length).replace(/^\/\//, "");
    if (rest === "")
      throw new ConfigError("DATABASE_URL", "a file: URL needs a path, e.g. file:./data/cxr.db");
    const file = path.resolve(rest.split("?")[0]!);
    return { kind: "sqlite", url: `file:${file}`, file };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError("DATABASE_URL", "is not a valid URL (expected postgresql://user@host:5432/db)");
    }
    if (url.hostname === "") throw new ConfigError("DATABASE_URL", "has no host");
    if (url.pathname.length <= 1) throw new ConfigError("DATABASE_URL", "names no database (…/dbname)");
    if (url.port !== "" && !/^\d+$/.test(url.port)) throw new ConfigError("DATABASE_URL", "has a bad port");
    return { kind: "postgresql", url: raw };
  }
  throw new ConfigError("DATABASE_URL", "must start with postgresql://, postgres:// or file:");
}

function parseProviders(env: Env): ExecutionProvider[] {
  const raw = nonEmpty(env, "CXR_EXECUTION_PROVIDERS");
  if (raw === undefined) return [...EXECUTION_PROVIDERS];
  const names = raw.split(",").map((s) => s.trim().toLowerCase());
  const parsed = z.array(z.enum(EXECUTION_PROVIDERS)).min(1).safeParse(names);
  if (!parsed.success) {
    throw new ConfigError(
      "CXR_EXECUTION_PROVIDERS",
      `expected a comma-separated list of ${EXECUTION_PROVIDERS.join(", ")}, got "${raw}"`,
    );
  }
  // cpu is always the last resort, even when the list leaves it out.
  const unique = [...new Set(parsed.data)];
  return unique.includes("cpu") ? unique : [...unique, "cpu"];
}

/** An http(s) URL without trailing slashes; ConfigError naming `name` (a variable or a flag) otherwise. */
export function parseHttpUrl(name: string, raw: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError(name, `expected an http(s) URL such as http://localhost:6333, got "${raw}"`);
  }
  return raw.replace(/\/+$/, "");
}

function parseUrl(env: Env, name: string): string | undefined {
  const raw = nonEmpty(env, name);
  return raw === undefined ? undefined : parseHttpUrl(name, raw);
}

function parseRedisUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, "REDIS_URL");
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new Error();
  } catch {
    throw new ConfigError(
      "REDIS_URL",
      `expected a redis:// URL such as redis://127.0.0.1:6379, got "${raw}"`,
    );
  }
  return raw;
}

/** Reads and validates the configuration once; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const dataDir = path.resolve(cwd, nonEmpty(env, "CXR_DATA_DIR") ?? "data");
  const modelsDir = path.resolve(cwd, nonEmpty(env, "CXR_MODELS_DIR") ?? path.join(dataDir, "models"));
  const logLevel = nonEmpty(env, "CXR_LOG_LEVEL") ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError("CXR_LOG_LEVEL", `expected debug, info, warn or error, got "${logLevel}"`);
  }
  return {
    dataDir,
    modelsDir,
    database: parseDatabase(env, dataDir),
    qdrantUrl: parseUrl(env, "QDRANT_URL"),
    qdrantApiKey: nonEmpty(env, "QDRANT_API_KEY"),
    qdrant: parseQdrant(env),
    redisUrl: parseRedisUrl(env),
    queue: {
      prefix: nonEmpty(env, "CXR_QUEUE_PREFIX") ?? "cxr",
      shardSize: integer(env, "CXR_SHARD_SIZE", 500, 1, 1_000_000),
      attempts: integer(env, "CXR_JOB_ATTEMPTS", 5, 1, 1000),
      backoffMs: integer(env, "CXR_JOB_BACKOFF_MS", 5000, 0, 3_600_000),
      lockMs: integer(env, "CXR_QUEUE_LOCK_MS", 30_000, 1000, 3_600_000),
      stalledMs: integer(env, "CXR_QUEUE_STALLED_MS", 30_000, 500, 3_600_000),
      maxStalled: integer(env, "CXR_QUEUE_MAX_STALLED", 5, 0, 1000),
    },
    executionProviders: parseProviders(env),
    cpuThreads: integer(env, "CXR_CPU_THREADS", 0, 0, 1024),
    encodeBatchSize: integer(env, "CXR_BATCH_SIZE", 16, 1, 4096),
    apiPort: integer(env, "CXR_API_PORT", 4000, 1, 65535),
    adminToken: nonEmpty(env, "CXR_ADMIN_TOKEN"),
    submissionToken: nonEmpty(env, "CXR_SUBMISSION_TOKEN"),
    logLevel: logLevel as Config["logLevel"],
    hfEndpoint: parseUrl(env, "CXR_HF_ENDPOINT"),
    iuXrayBaseUrl: parseUrl(env, "CXR_IU_XRAY_BASE_URL"),
  };
}
