/**
 * The one vector-store interface. Implementations: the embedded store (SQLite + in-memory exact
 * scan, the default) and Qdrant (scale-out). Both pass test/contract.ts.
 *
 * A store knows collections, points, payloads and search; nothing of models beyond a dimension.
 * Every method that takes a collection name also accepts an alias pointing at one.
 */

export type Distance = "cosine" | "dot";

export type PayloadValue =
  | string
  | number
  | boolean
  | null
  | PayloadValue[]
  | { [key: string]: PayloadValue };
export type Payload = { [key: string]: PayloadValue };

export interface Point {
  /** A canonical UUID, normally `pointId(stableKey)`; re-upserting the same id replaces the point. */
  id: string;
  vector: Float32Array;
  payload: Payload;
}

export interface CollectionSpec {
  dimension: number;
  distance: Distance;
  /**
   * Keyword payload fields that filters may use (e.g. dataset, split, view, studyId, modality).
   * A filter on any other field is a typed error. Values of these fields must be strings (or absent).
   */
  indexedFields?: string[];
}

export interface CollectionInfo {
  /** The real collection name (aliases resolved). */
  name: string;
  dimension: number;
  distance: Distance;
  indexedFields: string[];
}

/** Field equals a keyword, or field is one of several keywords. */
export type Condition = { key: string; match: string } | { key: string; any: string[] };

/** All of `must` hold and none of `mustNot` (the same shape as a subset of Qdrant's filter). */
export interface Filter {
  must?: Condition[];
  mustNot?: Condition[];
}

export type PointSelector = { ids: string[] } | { filter: Filter };

export interface SearchOptions {
  filter?: Filter;
  /** Ask for exact (brute-force) scoring. The embedded store is always exact. */
  exact?: boolean;
  /** Drop hits scoring below this. */
  minScore?: number;
}

export interface Hit {
  id: string;
  score: number;
  payload: Payload;
}

export interface ScrollOptions {
  /** `next` of the previous page; absent for the first page. */
  cursor?: string | null;
  /** Points per page, 1..10000 (default 256). */
  limit?: number;
  filter?: Filter;
  withVector?: boolean;
}

export interface ScrolledPoint {
  id: string;
  payload: Payload;
  /** Present when asked for. Cosine collections return the stored (unit-normalised) vector. */
  vector?: Float32Array;
}

export interface ScrollPage {
  points: ScrolledPoint[];
  /** Cursor of the next page; null when this was the last. */
  next: string | null;
}

export interface AliasInfo {
  alias: string;
  collection: string;
}

export interface VectorStore {
  readonly kind: "embedded" | "qdrant";
  /** Where the store lives: a folder (embedded) or a URL (Qdrant). Named in every UNAVAILABLE error. */
  readonly location: string;

  /** Creates the collection, or checks that the existing one has this dimension and distance. */
  ensureCollection(name: string, spec: CollectionSpec): Promise<CollectionInfo>;
  /** Collection (or alias) info; UNKNOWN_COLLECTION when neither exists. */
  getCollection(name: string): Promise<CollectionInfo>;
  listCollections(): Promise<string[]>;
  /** Drops a collection (aliases pointing at it go too). False when it did not exist. */
  dropCollection(name: string): Promise<boolean>;

  /** Validates every point first (nothing written on bad input), then writes them all-or-nothing per batch. */
  upsert(collection: string, points: Point[]): Promise<void>;
  delete(collection: string, selector: PointSelector): Promise<void>;
  count(collection: string, filter?: Filter): Promise<number>;
  scroll(collection: string, options?: ScrollOptions): Promise<ScrollPage>;

  /** Top-k by similarity (cosine or dot), best first. 1 <= k <= MAX_K. */
  search(collection: string, vector: Float32Array, k: number, options?: SearchOptions): Promise<Hit[]>;
  /** Many queries at once; one result list per query, in order. */
  searchBatch(
    collection: string,
    vectors: Float32Array[],
    k: number,
    options?: SearchOptions,
  ): Promise<Hit[][]>;

  /** Points `alias` at `collection`, replacing any previous target in one atomic step. */
  setAlias(alias: string, collection: string): Promise<void>;
  /** The collection an alias points at, or null. */
  resolveAlias(alias: string): Promise<string | null>;
  listAliases(): Promise<AliasInfo[]>;
  /** False when there was no such alias. */
  deleteAlias(alias: string): Promise<boolean>;

  /**
   * Whether the store answers now, asked once without retries and within a few seconds (for health
   * checks: `cxr doctor`, an API's readiness probe). Never throws.
   */
  health(): Promise<StoreHealth>;

  close(): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  /** Why not, in a few words (`HTTP 503`, `unreachable (ECONNREFUSED)`); null when ok. */
  error: string | null;
}

/** Largest k a search accepts; anything above is a caller bug (INVALID_K). */
export const MAX_K = 10_000;
/** Largest page a scroll returns. */
export const MAX_SCROLL_LIMIT = 10_000;
