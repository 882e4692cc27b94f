import { QdrantClient } from "@qdrant/js-client-rest";
import { StoreError, type StoreErrorDetails, truncateBody } from "./errors.ts";
import type {
  AliasInfo,
  CollectionInfo,
  CollectionSpec,
  Condition,
  Filter,
  Hit,
  Payload,
  Point,
  PointSelector,
  ScrollOptions,
  ScrollPage,
  SearchOptions,
  StoreHealth,
  VectorStore,
} from "./types.ts";
import {
  checkFilter,
  checkId,
  checkK,
  checkMinScore,
  checkName,
  checkPoints,
  checkSameSpec,
  checkScrollLimit,
  checkSpec,
  checkVector,
} from "./validate.ts";

/**
 * The Qdrant adapter (scale-out), through @qdrant/js-client-rest. Collections are plain Qdrant
 * collections with one unnamed dense vector and a keyword payload index per declared field; the
 * stable names are Qdrant aliases, swapped atomically in one POST /collections/aliases.
 *
 * Writes are split into requests well below Qdrant's request-size limit (32 MiB by default), sent
 * with bounded concurrency, and retried with exponential backoff on 429 (honouring Retry-After),
 * 502/503/504, timeouts and network errors. Point ids are deterministic, so a retried batch
 * replaces what a half-finished attempt wrote.
 */

export interface RetryOptions {
  /** Attempts in all, including the first (default 5). */
  attempts: number;
  /** First backoff in ms, doubled each retry, with jitter (default 250). */
  baseDelayMs: number;
  /** Cap of one backoff, Retry-After included (default 10000). */
  maxDelayMs: number;
}

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string | undefined;
  /** Per-request timeout in ms (default 60000). */
  timeoutMs?: number;
  /** Points per upsert request at most (default 256). */
  batchSize?: number;
  /** Estimated JSON bytes per upsert request at most (default 8 MiB; Qdrant's limit is 32 MiB). */
  maxRequestBytes?: number;
  /** Upsert requests in flight at once (default 2). */
  concurrency?: number;
  retry?: Partial<RetryOptions>;
  /** Shards of a new collection (default: Qdrant's, one per node in a cluster). */
  shardNumber?: number | undefined;
  /** Copies of each shard of a new collection (default: Qdrant's, 1). */
  replicationFactor?: number | undefined;
  /** Replicas that must acknowledge each write to a new collection (default: Qdrant's, 1). */
  writeConsistencyFactor?: number | undefined;
  /** Replicas each search and scroll asks before answering (default: Qdrant's, 1). */
  readConsistency?: ReadConsistency | undefined;
  /**
   * Payload fields indexed as tenant keys (`is_tenant: true`): Qdrant co-locates each value's points,
   * so a search filtered to one dataset reads only that dataset's segments (default ["dataset"]).
   */
  tenantFields?: readonly string[];
  /** How long collection info (dimension, distance, indexed fields, alias target) is cached (default 5000 ms). */
  infoTtlMs?: number;
}

/** A replica count, or one of Qdrant's named read-consistency levels. */
export type ReadConsistency = number | "majority" | "quorum" | "all";

type QdrantCondition = { key: string; match: { value: string } | { any: string[] } };
interface QdrantFilter {
  must?: QdrantCondition[];
  must_not?: QdrantCondition[];
}

function toCondition(c: Condition): QdrantCondition {
  return "match" in c ? { key: c.key, match: { value: c.match } } : { key: c.key, match: { any: c.any } };
}

/** Our filter in Qdrant's REST shape. */
export function toQdrantFilter(filter: Filter | undefined): QdrantFilter | undefined {
  if (filter === undefined) return undefined;
  const out: QdrantFilter = {};
  if (filter.must !== undefined && filter.must.length > 0) out.must = filter.must.map(toCondition);
  if (filter.mustNot !== undefined && filter.mustNot.length > 0)
    out.must_not = filter.mustNot.map(toCondition);
  return out.must === undefined && out.must_not === undefined ? undefined : out;
}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

interface Classified {
  transient: boolean;
  status?: number;
  body?: string;
  retryAfterSeconds?: number;
  reason: string;
}

/** What a thrown client error means: status and body when the server answered, else a network/timeout reason. */
function classify(error: unknown): Classified {
  if (error instanceof Error) {
    const e = error as Error & { status?: unknown; data?: unknown; retry_after?: unknown; cause?: unknown };
    if (e.name === "QdrantClientResourceExhaustedError") {
      const retryAfterSeconds = typeof e.retry_after === "number" ? e.retry_after : undefined;
      return { transient: true, status: 429, reason: "429 Too Many Requests", retryAfterSeconds };
    }
    if (e.name === "QdrantClientTimeoutError") return { transient: true, reason: "request timed out" };
    if (typeof e.status === "number") {
      const body = e.data === undefined ? undefined : truncateBody(e.data);
      return {
        transient: TRANSIENT_STATUS.has(e.status),
        status: e.status,
        body,
        reason: `HTTP ${e.status}${body === undefined ? "" : ` ${body}`}`,
      };
    }
    if (e.name === "QdrantClientUnexpectedResponseError") {
      const m = /Unexpected Response: (\d+)/.exec(e.message);
      const status = m === null ? undefined : Number(m[1]);
      return {
        transient: status !== undefined && TRANSIENT_STATUS.has(status),
        status,
        body: truncateBody(e.message),
        reason: e.message.split("\n")[0]!,
      };
    }
    // fetch() failures: TypeError("fetch failed") with the socket error as cause.
    const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === "string" ? cause.code : undefined;
    if (e instanceof TypeError || code !== undefined || e.name === "AbortError") {
      return {
        transient: true,
        reason: code ?? (typeof cause?.message === "string" ? cause.message : e.message),
      };
    }
    return { transient: false, reason: e.message };
  }
  return { transient: false, reason: String(error) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function distanceOf(value: unknown): "cosine" | "dot" | undefined {
  return value === "Cosine" ? "cosine" : value === "Dot" ? "dot" : undefined;
}

export class QdrantVectorStore implements VectorStore {
  readonly kind = "qdrant" as const;
  readonly location: string;
  private readonly client: QdrantClient;
  private readonly apiKey: string | undefined;
  private readonly retry: RetryOptions;
  private readonly batchSize: number;
  private readonly maxRequestBytes: number;
  private readonly concurrency: number;
  private readonly infoTtlMs: number;
  private readonly layout: {
    shard_number?: number;
    replication_factor?: number;
    write_consistency_factor?: number;
  };
  private readonly consistency: { consistency?: ReadConsistency };
  private readonly tenantFields: ReadonlySet<string>;
  private readonly infoCache = new Map<string, { at: number; info: CollectionInfo }>();

  constructor(options: QdrantStoreOptions) {
    this.location = options.url.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.client = new QdrantClient({
      url: this.location,
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      timeout: options.timeoutMs ?? 60_000,
      checkCompatibility: false,
    });
    this.retry = { attempts: 5, baseDelayMs: 250, maxDelayMs: 10_000, ...options.retry };
    this.batchSize = options.batchSize ?? 256;
    this.maxRequestBytes = options.maxRequestBytes ?? 8 * 1024 * 1024;
    this.concurrency = options.concurrency ?? 2;
    this.infoTtlMs = options.infoTtlMs ?? 5_000;
    this.layout = {
      ...(options.shardNumber === undefined ? {} : { shard_number: options.shardNumber }),
      ...(options.replicationFactor === undefined ? {} : { replication_factor: options.replicationFactor }),
      ...(options.writeConsistencyFactor === undefined
        ? {}
        : { write_consistency_factor: options.writeConsistencyFactor }),
    };
    this.consistency = options.readConsistency === undefined ? {} : { consistency: options.readConsistency };
    this.tenantFields = new Set(options.tenantFields ?? ["dataset"]);
    for (const [name, value] of [
      ["batchSize", this.batchSize],
      ["concurrency", this.concurrency],
      ["shardNumber", options.shardNumber],
      ["replicationFactor", options.replicationFactor],
      ["writeConsistencyFactor", options.writeConsistencyFactor],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new StoreError(
          "INVALID_ARGUMENT",
          `Qdrant option ${name} must be a whole number >= 1, got ${value}`,
          {
            location: this.location,
          },
        );
      }
    }
  }

  /** One request with retries; every failure leaves as a StoreError naming the URL. */
  private async call<T>(what: string, collection: string | undefined, fn: () => Promise<T>): Promise<T> {
    let last: Classified | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      try {
        return await fn();
      } catch (error) {
        lastError = error;
        last = classify(error);
        if (!last.transient || attempt === this.retry.attempts - 1) break;
        const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
        const wait =
          last.retryAfterSeconds !== undefined
            ? Math.min(this.retry.maxDelayMs, last.retryAfterSeconds * 1000)
            : backoff * (0.5 + Math.random() / 2);
        await sleep(wait);
      }
    }
    const c = last!;
    const details: StoreErrorDetails = { location: this.location };
    if (collection !== undefined) details.collection = collection;
    if (c.status !== undefined) details.status = c.status;
    if (c.body !== undefined) details.body = c.body;
    if (c.retryAfterSeconds !== undefined) details.retryAfterSeconds = c.retryAfterSeconds;
    if (c.status === 404 && collection !== undefined) {
      throw new StoreError(
        "UNKNOWN_COLLECTION",
        `Qdrant at ${this.location} has no collection "${collection}"`,
        details,
        {
          cause: lastError,
        },
      );
    }
    if (c.transient) {
      throw new StoreError(
        "UNAVAILABLE",
        `Qdrant at ${this.location} is unavailable (${what}: ${c.reason}, ${this.retry.attempts} attempts)`,
        details,
        { cause: lastError },
      );
    }
    throw new StoreError(
      "UNEXPECTED_RESPONSE",
      `Qdrant at ${this.location}: ${what} failed: ${c.reason}`,
      details,
      {
        cause: lastError,
      },
    );
  }

  private async aliasTarget(name: string): Promise<string | undefined> {
    const { aliases } = await this.call("list aliases", undefined, () => this.client.getAliases());
    return aliases.find((a) => a.alias_name === name)?.collection_name;
  }

  private async exists(name: string): Promise<boolean> {
    const r = await this.call("check collection", undefined, () => this.client.collectionExists(name));
    return r.exists;
  }

  /** Info of a real collection (no alias resolution). */
  private async info(name: string): Promise<CollectionInfo> {
    const r = await this.call("get collection", name, () => this.client.getCollection(name));
    const vectors = r.config.params.vectors as { size?: unknown; distance?: unknown } | undefined;
    const distance = distanceOf(vectors?.distance);
    if (vectors === undefined || typeof vectors.size !== "number" || distance === undefined) {
      throw new StoreError(
        "UNEXPECTED_RESPONSE",
        `Qdrant collection "${name}" at ${this.location} is not a single unnamed Cosine/Dot vector collection`,
        { collection: name, location: this.location, body: truncateBody(r.config.params.vectors) },
      );
    }
    const schema = (r.payload_schema ?? {}) as Record<string, { data_type?: string }>;
    const indexedFields = Object.keys(schema)
      .filter((f) => schema[f]?.data_type === "keyword")
      .sort();
    return { name, dimension: vectors.size, distance, indexedFields };
  }

  /** Info of a collection or alias, cached for infoTtlMs. */
  private async resolve(name: string): Promise<CollectionInfo> {
    checkName(name, "collection");
    const cached = this.infoCache.get(name);
    if (cached !== undefined && Date.now() - cached.at < this.infoTtlMs) return cached.info;
    const target = await this.aliasTarget(name);
    const info = await this.info(target ?? name);
    this.infoCache.set(name, { at: Date.now(), info });
    return info;
  }

  async ensureCollection(name: string, spec: CollectionSpec): Promise<CollectionInfo> {
    const fields = checkSpec(name, spec);
    this.infoCache.delete(name);
    let missing = fields;
    let base: CollectionInfo;
    if (await this.exists(name)) {
      base = await this.info(name);
      missing = checkSameSpec(base, spec.dimension, spec.distance, fields);
    } else {
      if ((await this.aliasTarget(name)) !== undefined) {
        throw new StoreError(
          "COLLECTION_CONFLICT",
          `"${name}" is already an alias in Qdrant at ${this.location}`,
          {
            collection: name,
            location: this.location,
          },
        );
      }
      try {
        await this.call("create collection", undefined, () =>
          this.client.createCollection(name, {
            vectors: { size: spec.dimension, distance: spec.distance === "cosine" ? "Cosine" : "Dot" },
            ...this.layout,
          }),
        );
        base = { name, dimension: spec.dimension, distance: spec.distance, indexedFields: [] };
      } catch (error) {
        // Created concurrently by someone else: check it like an existing one.
        // Qdrant answers 400 "Wrong input: Collection `x` already exists!" (409 on some versions).
        const raced =
          error instanceof StoreError &&
          (error.details.status === 409 ||
            (error.details.status === 400 && /already exists/i.test(error.details.body ?? "")));
        if (!raced) throw error;
        base = await this.info(name);
        missing = checkSameSpec(base, spec.dimension, spec.distance, fields);
      }
    }
    for (const field of missing) {
      await this.call("create payload index", name, () =>
        this.client.createPayloadIndex(name, {
          field_name: field,
          field_schema: this.tenantFields.has(field) ? { type: "keyword", is_tenant: true } : "keyword",
          wait: true,
        }),
      );
    }
    return { ...base, indexedFields: [...new Set([...base.indexedFields, ...missing])].sort() };
  }

  async getCollection(name: string): Promise<CollectionInfo> {
    this.infoCache.delete(name);
    return this.resolve(name);
  }

  async listCollections(): Promise<string[]> {
    const r = await this.call("list collections", undefined, () => this.client.getCollections());
    return r.collections.map((c) => c.name).sort();
  }

  async dropCollection(name: string): Promise<boolean> {
    checkName(name, "collection");
    this.infoCache.clear();
    const { aliases } = await this.call("list aliases", undefined, () => this.client.getAliases());
    if (!(await this.exists(name))) {
      if (aliases.some((a) => a.alias_name === name)) {
        throw new StoreError("INVALID_ARGUMENT", `"${name}" is an alias; drop the collection it points at`, {
          collection: name,
          location: this.location,
        });
      }
      return false;
    }
    const pointing = aliases.filter((a) => a.collection_name === name);
    if (pointing.length > 0) {
      await this.call("delete aliases", name, () =>
        this.client.updateCollectionAliases({
          actions: pointing.map((a) => ({ delete_alias: { alias_name: a.alias_name } })),
        }),
      );
    }
    return this.call("delete collection", name, () => this.client.deleteCollection(name));
  }

  /** Splits points into requests under both the point and the byte limit. */
  private batches(points: Point[], dimension: number): Point[][] {
    const out: Point[][] = [];
    let current: Point[] = [];
    let bytes = 0;
    for (const p of points) {
      // A float32 written as JSON takes at most ~16 characters; ids and framing ~80.
      const size = dimension * 16 + JSON.stringify(p.payload).length + 80;
      if (current.length > 0 && (current.length >= this.batchSize || bytes + size > this.maxRequestBytes)) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      current.push(p);
      bytes += size;
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  async upsert(collection: string, points: Point[]): Promise<void> {
    const info = await this.resolve(collection);
    checkPoints(info, points);
    if (points.length === 0) return;
    const queue = this.batches(points, info.dimension);
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const batch = queue[next++]!;
        await this.call("upsert points", collection, () =>
          this.client.upsert(collection, {
            wait: true,
            points: batch.map((p) => ({ id: p.id, vector: Array.from(p.vector), payload: p.payload })),
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
  }

  async delete(collection: string, selector: PointSelector): Promise<void> {
    const info = await this.resolve(collection);
    if ("ids" in selector) {
      for (const id of selector.ids) checkId(id, info.name);
      for (let i = 0; i < selector.ids.length; i += 1000) {
        const ids = selector.ids.slice(i, i + 1000);
        await this.call("delete points", collection, () =>
          this.client.delete(collection, { wait: true, points: ids }),
        );
      }
    } else {
      checkFilter(info, selector.filter);
      const filter = toQdrantFilter(selector.filter) ?? {};
      await this.call("delete points", collection, () =>
        this.client.delete(collection, { wait: true, filter }),
      );
    }
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    const info = await this.resolve(collection);
    checkFilter(info, filter);
    const f = toQdrantFilter(filter);
    const r = await this.call("count points", collection, () =>
      this.client.count(collection, { exact: true, ...(f === undefined ? {} : { filter: f }) }),
    );
    return r.count;
  }

  async scroll(collection: string, options: ScrollOptions = {}): Promise<ScrollPage> {
    const info = await this.resolve(collection);
    const limit = options.limit ?? 256;
    checkScrollLimit(limit, info.name);
    checkFilter(info, options.filter);
    const cursor = options.cursor ?? null;
    if (cursor !== null) checkId(cursor, info.name);
    const f = toQdrantFilter(options.filter);
    const r = await this.call("scroll points", collection, () =>
      this.client.scroll(collection, {
        limit,
        with_payload: true,
        with_vector: options.withVector === true,
        ...this.consistency,
        ...(cursor === null ? {} : { offset: cursor }),
        ...(f === undefined ? {} : { filter: f }),
      }),
    );
    const next = r.next_page_offset;
    return {
      points: r.points.map((p) => ({
        id: String(p.id),
        payload: (p.payload ?? {}) as Payload,
        ...(options.withVector === true && Array.isArray(p.vector)
          ? { vector: Float32Array.from(p.vector as number[]) }
          : {}),
      })),
      next: next === null || next === undefined ? null : String(next),
    };
  }

  private queryRequest(vector: Float32Array, k: number, options: SearchOptions) {
    const f = toQdrantFilter(options.filter);
    return {
      query: Array.from(vector),
      limit: k,
      with_payload: true,
      ...(options.exact === true ? { params: { exact: true } } : {}),
      ...(f === undefined ? {} : { filter: f }),
      ...(options.minScore === undefined ? {} : { score_threshold: options.minScore }),
    };
  }

  private async checkQuery(collection: string, vectors: Float32Array[], k: number, options: SearchOptions) {
    const info = await this.resolve(collection);
    checkK(k, info.name);
    checkMinScore(options.minScore, info.name);
    checkFilter(info, options.filter);
    for (let i = 0; i < vectors.length; i++) {
      checkVector(info, vectors[i]!, vectors.length === 1 ? "query vector" : `query vector ${i}`);
    }
  }

  async search(
    collection: string,
    vector: Float32Array,
    k: number,
    options: SearchOptions = {},
  ): Promise<Hit[]> {
    await this.checkQuery(collection, [vector], k, options);
    const r = await this.call("query points", collection, () =>
      this.client.query(collection, { ...this.queryRequest(vector, k, options), ...this.consistency }),
    );
    return r.points.map((p) => ({ id: String(p.id), score: p.score, payload: (p.payload ?? {}) as Payload }));
  }

  async searchBatch(
    collection: string,
    vectors: Float32Array[],
    k: number,
    options: SearchOptions = {},
  ): Promise<Hit[][]> {
    if (!Array.isArray(vectors) || vectors.length === 0) {
      throw new StoreError("INVALID_ARGUMENT", "searchBatch needs at least one query vector", { collection });
    }
    await this.checkQuery(collection, vectors, k, options);
    const out: Hit[][] = [];
    for (let i = 0; i < vectors.length; i += 64) {
      const chunk = vectors.slice(i, i + 64);
      const r = await this.call("query points (batch)", collection, () =>
        this.client.queryBatch(collection, {
          searches: chunk.map((v) => this.queryRequest(v, k, options)),
          ...this.consistency,
        }),
      );
      for (const res of r) {
        out.push(
          res.points.map((p) => ({
            id: String(p.id),
            score: p.score,
            payload: (p.payload ?? {}) as Payload,
          })),
        );
      }
    }
    return out;
  }

  async setAlias(alias: string, collection: string): Promise<void> {
    checkName(alias, "alias");
    checkName(collection, "collection");
    if (!(await this.exists(collection))) {
      throw new StoreError(
        "UNKNOWN_COLLECTION",
        `Qdrant at ${this.location} has no collection "${collection}"`,
        {
          collection,
          location: this.location,
        },
      );
    }
    if (await this.exists(alias)) {
      throw new StoreError("COLLECTION_CONFLICT", `"${alias}" is a collection; an alias needs its own name`, {
        collection: alias,
        location: this.location,
      });
    }
    this.infoCache.delete(alias);
    // One request: Qdrant applies the actions atomically, so searches never see the alias missing.
    await this.call("update aliases", undefined, () =>
      this.client.updateCollectionAliases({
        actions: [
          { delete_alias: { alias_name: alias } },
          { create_alias: { collection_name: collection, alias_name: alias } },
        ],
      }),
    );
  }

  async resolveAlias(alias: string): Promise<string | null> {
    return (await this.aliasTarget(alias)) ?? null;
  }

  async listAliases(): Promise<AliasInfo[]> {
    const { aliases } = await this.call("list aliases", undefined, () => this.client.getAliases());
    return aliases
      .map((a) => ({ alias: a.alias_name, collection: a.collection_name }))
      .sort((a, b) => a.alias.localeCompare(b.alias));
  }

  async deleteAlias(alias: string): Promise<boolean> {
    if ((await this.aliasTarget(alias)) === undefined) return false;
    this.infoCache.delete(alias);
    await this.call("update aliases", undefined, () =>
      this.client.updateCollectionAliases({ actions: [{ delete_alias: { alias_name: alias } }] }),
    );
    return true;
  }

  async health(): Promise<StoreHealth> {
    try {
      const response = await fetch(`${this.location}/readyz`, {
        headers: this.apiKey ? { "api-key": this.apiKey } : {},
        signal: AbortSignal.timeout(3000),
      });
      await response.body?.cancel();
      return response.ok ? { ok: true, error: null } : { ok: false, error: `HTTP ${response.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { ok: false, error: `unreachable (${cause?.code ?? (error as Error).name})` };
    }
  }

  async close(): Promise<void> {
    this.infoCache.clear();
  }
}
