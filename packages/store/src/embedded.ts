import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "./errors.ts";
import { VectorMatrix } from "./matrix.ts";
import { readSnapshot, removeSnapshot, writeSnapshot } from "./snapshot.ts";
import type {
  AliasInfo,
  CollectionInfo,
  CollectionSpec,
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
  compileFilter,
} from "./validate.ts";

/**
 * The embedded vector store (the default; see README for why this design and its figures).
 *
 * Durable state is one SQLite database in WAL mode: a row per point (id, float32 vector blob, JSON
 * payload, and one indexed column per declared keyword field). Every upsert/delete is one SQLite
 * transaction, so a kill -9 at any moment leaves every point fully written or not at all.
 * Search scans an in-memory, column-major copy of the vectors with an ONNX Runtime MatMul (exact
 * top-k). The copy is loaded on first use and kept current by this process's own writes; a
 * per-collection version counter bumped by every write tells when another process changed the
 * collection, and the copy is reloaded then.
 */

export interface EmbeddedStoreOptions {
  /** ONNX Runtime intra-op threads for exact scans; 0 (default) lets ONNX Runtime decide. */
  scanThreads?: number;
  /** SQLite synchronous level: FULL (default) also survives power loss; NORMAL survives process crashes. */
  synchronous?: "FULL" | "NORMAL";
  /**
   * Collections with at least this many points keep a snapshot of their in-memory copy next to the
   * database, so a restart maps it back instead of re-reading every vector from SQLite (default 5000).
   */
  snapshotMinPoints?: number;
}

interface CollectionRow {
  name: string;
  uid: string;
  tbl: number;
  dimension: number;
  distance: "cosine" | "dot";
  fields: string;
  version: number;
}

interface Loaded {
  version: number;
  matrix: VectorMatrix;
  ids: string[];
  slotOf: Map<string, number>;
  /** values[f][slot]: the keyword of indexed field f at a slot (null when absent). */
  values: Array<Array<string | null>>;
  /** True when a snapshot file holds exactly this version. */
  snapshotted: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS collections (
  name TEXT PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  tbl INTEGER NOT NULL UNIQUE,
  dimension INTEGER NOT NULL,
  distance TEXT NOT NULL CHECK (distance IN ('cosine', 'dot')),
  fields TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS aliases (
  alias TEXT PRIMARY KEY,
  collection TEXT NOT NULL REFERENCES collections(name) ON DELETE CASCADE
);
`;

function toInfo(row: CollectionRow): CollectionInfo {
  return {
    name: row.name,
    dimension: row.dimension,
    distance: row.distance,
    indexedFields: JSON.parse(row.fields) as string[],
  };
}

const col = (field: string) => `"k_${field}"`;
const table = (row: CollectionRow) => `"points_${row.tbl}"`;

function blob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function fromBlob(buf: Buffer, dimension: number): Float32Array {
  const out = new Float32Array(dimension);
  new Uint8Array(out.buffer).set(buf.subarray(0, dimension * 4));
  return out;
}

/** The vector as stored: unit-normalised for cosine, a copy either way. */
function stored(vector: Float32Array, distance: "cosine" | "dot"): Float32Array {
  const out = Float32Array.from(vector);
  if (distance === "cosine") {
    let n = 0;
    for (let i = 0; i < out.length; i++) n += out[i]! * out[i]!;
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * inv;
  }
  return out;
}

/** SQL for a checked filter over the indexed columns (same semantics as compileFilter). */
function filterSql(filter: Filter | undefined): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  for (const c of filter?.must ?? []) {
    const values = "match" in c ? [c.match] : c.any;
    parts.push(values.length === 0 ? "0" : `${col(c.key)} IN (${values.map(() => "?").join(",")})`);
    params.push(...values);
  }
  for (const c of filter?.mustNot ?? []) {
    const values = "match" in c ? [c.match] : c.any;
    if (values.length === 0) continue;
    parts.push(`(${col(c.key)} IS NULL OR ${col(c.key)} NOT IN (${values.map(() => "?").join(",")}))`);
    params.push(...values);
  }
  return { sql: parts.length === 0 ? "1" : parts.join(" AND "), params };
}

export class EmbeddedVectorStore implements VectorStore {
  readonly kind = "embedded" as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  private readonly scanThreads: number;
  private readonly snapshotMinPoints: number;

  private constructor(dir: string, options: EmbeddedStoreOptions) {
    this.location = dir;
    this.scanThreads = options.scanThreads ?? 0;
    this.snapshotMinPoints = options.snapshotMinPoints ?? 5000;
    const file = path.join(dir, "vectors.sqlite");
    let db: Database.Database | undefined;
    try {
      mkdirSync(dir, { recursive: true });
      db = new Database(file);
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
      db.pragma("busy_timeout = 10000");
      db.pragma("foreign_keys = ON");
      db.exec(SCHEMA);
      this.db = db;
    } catch (error) {
      // A file that opened but cannot be used (not a database, locked, read-only) leaves no handle behind.
      if (db?.open) db.close();
      throw new StoreError(
        "UNAVAILABLE",
        `embedded vector store at ${file} cannot be opened: ${(error as Error).message}`,
        { location: dir },
        { cause: error },
      );
    }
  }

  /** Opens (creating if needed) the store in `dir`. */
  static open(dir: string, options: EmbeddedStoreOptions = {}): EmbeddedVectorStore {
    return new EmbeddedVectorStore(path.resolve(dir), options);
  }

  private row(name: string): CollectionRow | undefined {
    return this.db.prepare("SELECT * FROM collections WHERE name = ?").get(name) as CollectionRow | undefined;
  }

  /** The collection a name or alias designates, or UNKNOWN_COLLECTION. */
  private resolve(name: string): CollectionRow {
    const row =
      this.row(name) ??
      (this.db
        .prepare("SELECT c.* FROM aliases a JOIN collections c ON c.name = a.collection WHERE a.alias = ?")
        .get(name) as CollectionRow | undefined);
    if (row === undefined) {
      throw new StoreError(
        "UNKNOWN_COLLECTION",
        `no collection or alias named "${name}" in ${this.location}`,
        {
          collection: name,
          location: this.location,
        },
      );
    }
    return row;
  }

  async ensureCollection(name: string, spec: CollectionSpec): Promise<CollectionInfo> {
    const fields = checkSpec(name, spec);
    return this.db
      .transaction(() => {
        const existing = this.row(name);
        if (existing !== undefined) {
          const info = toInfo(existing);
          const missing = checkSameSpec(info, spec.dimension, spec.distance, fields);
          if (missing.length === 0) return info;
          // Index the new fields from the payloads already stored (string values only).
          for (const f of missing) {
            this.db.exec(`ALTER TABLE ${table(existing)} ADD COLUMN ${col(f)} TEXT`);
            this.db.exec(
              `UPDATE ${table(existing)} SET ${col(f)} = json_extract(payload, '$.${f}') WHERE json_type(payload, '$.${f}') = 'text'`,
            );
            this.db.exec(`CREATE INDEX "points_${existing.tbl}_${f}" ON ${table(existing)} (${col(f)})`);
          }
          const all = [...info.indexedFields, ...missing].sort();
          this.db
            .prepare("UPDATE collections SET fields = ?, version = version + 1 WHERE name = ?")
            .run(JSON.stringify(all), name);
          this.cache.delete(existing.uid);
          return { ...info, indexedFields: all };
        }
        if (this.db.prepare("SELECT 1 FROM aliases WHERE alias = ?").get(name) !== undefined) {
          throw new StoreError("COLLECTION_CONFLICT", `"${name}" is already an alias`, { collection: name });
        }
        const { next } = this.db
          .prepare("SELECT coalesce(max(tbl), 0) + 1 AS next FROM collections")
          .get() as {
          next: number;
        };
        const row: CollectionRow = {
          name,
          uid: randomUUID(),
          tbl: next,
          dimension: spec.dimension,
          distance: spec.distance,
          fields: JSON.stringify(fields),
          version: 0,
        };
        this.db.exec(`DROP TABLE IF EXISTS ${table(row)}`);
        this.db.exec(
          `CREATE TABLE ${table(row)} (id TEXT PRIMARY KEY, vector BLOB NOT NULL, payload TEXT NOT NULL${fields
            .map((f) => `, ${col(f)} TEXT`)
            .join("")})`,
        );
        for (const f of fields) {
          this.db.exec(`CREATE INDEX "points_${row.tbl}_${f}" ON ${table(row)} (${col(f)})`);
        }
        this.db
          .prepare(
            "INSERT INTO collections (name, uid, tbl, dimension, distance, fields, version) VALUES (@name, @uid, @tbl, @dimension, @distance, @fields, 0)",
          )
          .run(row);
        return toInfo(row);
      })
      .immediate();
  }

  async getCollection(name: string): Promise<CollectionInfo> {
    return toInfo(this.resolve(name));
  }

  async listCollections(): Promise<string[]> {
    return (
      this.db.prepare("SELECT name FROM collections ORDER BY name").all() as Array<{ name: string }>
    ).map((r) => r.name);
  }

  async dropCollection(name: string): Promise<boolean> {
    checkName(name, "collection");
    return this.db
      .transaction(() => {
        const row = this.row(name);
        if (row === undefined) {
          if (this.db.prepare("SELECT 1 FROM aliases WHERE alias = ?").get(name) !== undefined) {
            throw new StoreError(
              "INVALID_ARGUMENT",
              `"${name}" is an alias; drop the collection it points at`,
              {
                collection: name,
              },
            );
          }
          return false;
        }
        this.db.prepare("DELETE FROM aliases WHERE collection = ?").run(name);
        this.db.prepare("DELETE FROM collections WHERE name = ?").run(name);
        this.db.exec(`DROP TABLE IF EXISTS ${table(row)}`);
        this.cache.delete(row.uid);
        removeSnapshot(this.snapshotFile(row.uid));
        return true;
      })
      .immediate();
  }

  /**
   * Runs a write in one immediate transaction that also bumps the collection's version, then
   * brings this process's in-memory copy along (or drops it if another process wrote meanwhile).
   */
  private write<T>(
    name: string,
    body: (row: CollectionRow) => T,
    apply: (loaded: Loaded, result: T) => void,
  ): T {
    let before = 0;
    let uid = "";
    const result = this.db
      .transaction(() => {
        const row = this.resolve(name);
        before = row.version;
        uid = row.uid;
        const out = body(row);
        this.db.prepare("UPDATE collections SET version = version + 1 WHERE name = ?").run(row.name);
        return out;
      })
      .immediate();
    const loaded = this.cache.get(uid);
    if (loaded !== undefined) {
      if (loaded.version === before) {
        apply(loaded, result);
        loaded.version = before + 1;
        loaded.snapshotted = false;
      } else {
        this.cache.delete(uid);
      }
    }
    return result;
  }

  async upsert(collection: string, points: Point[]): Promise<void> {
    const info = toInfo(this.resolve(collection));
    checkPoints(info, points);
    if (points.length === 0) return;
    const vectors = points.map((p) => stored(p.vector, info.distance));
    const fields = info.indexedFields;
    this.write(
      collection,
      (row) => {
        if (row.dimension !== info.dimension) {
          throw new StoreError("DIMENSION_MISMATCH", `collection "${row.name}" changed while writing`, {
            collection: row.name,
          });
        }
        const stmt = this.db.prepare(
          `INSERT INTO ${table(row)} (id, vector, payload${fields.map((f) => `, ${col(f)}`).join("")})
           VALUES (?, ?, ?${fields.map(() => ", ?").join("")})
           ON CONFLICT (id) DO UPDATE SET vector = excluded.vector, payload = excluded.payload${fields
             .map((f) => `, ${col(f)} = excluded.${col(f)}`)
             .join("")}`,
        );
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          stmt.run(
            p.id,
            blob(vectors[i]!),
            JSON.stringify(p.payload),
            ...fields.map((f) => (p.payload[f] ?? null) as string | null),
          );
        }
      },
      (loaded) => {
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          let slot = loaded.slotOf.get(p.id);
          if (slot === undefined) {
            slot = loaded.matrix.append(vectors[i]!);
            loaded.slotOf.set(p.id, slot);
            loaded.ids[slot] = p.id;
          } else {
            loaded.matrix.set(slot, vectors[i]!);
          }
          for (let f = 0; f < fields.length; f++) {
            loaded.values[f]![slot] = (p.payload[fields[f]!] ?? null) as string | null;
          }
        }
      },
    );
  }

  async delete(collection: string, selector: PointSelector): Promise<void> {
    const info = toInfo(this.resolve(collection));
    if ("ids" in selector) {
      for (const id of selector.ids) checkId(id, info.name);
    } else {
      checkFilter(info, selector.filter);
    }
    this.write(
      collection,
      (row) => {
        let ids: string[];
        if ("ids" in selector) {
          ids = selector.ids;
        } else {
          const { sql, params } = filterSql(selector.filter);
          ids =
            (this.db
              .prepare(`SELECT id FROM ${table(row)} WHERE ${sql}`)
              .pluck()
              .all(...params) as string[]) ?? [];
        }
        const stmt = this.db.prepare(`DELETE FROM ${table(row)} WHERE id = ?`);
        const deleted: string[] = [];
        for (const id of ids) if (stmt.run(id).changes > 0) deleted.push(id);
        return deleted;
      },
      (loaded, deleted) => {
        for (const id of deleted) removeSlot(loaded, id);
      },
    );
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    const row = this.resolve(collection);
    checkFilter(toInfo(row), filter);
    const { sql, params } = filterSql(filter);
    return this.db
      .prepare(`SELECT count(*) FROM ${table(row)} WHERE ${sql}`)
      .pluck()
      .get(...params) as number;
  }

  async scroll(collection: string, options: ScrollOptions = {}): Promise<ScrollPage> {
    const row = this.resolve(collection);
    const info = toInfo(row);
    const limit = options.limit ?? 256;
    checkScrollLimit(limit, info.name);
    checkFilter(info, options.filter);
    const cursor = options.cursor ?? null;
    if (cursor !== null) checkId(cursor, info.name);
    const { sql, params } = filterSql(options.filter);
    const rows = this.db
      .prepare(
        `SELECT id, payload${options.withVector ? ", vector" : ""} FROM ${table(row)}
         WHERE ${sql}${cursor === null ? "" : " AND id >= ?"} ORDER BY id LIMIT ?`,
      )
      .all(...params, ...(cursor === null ? [] : [cursor]), limit + 1) as Array<{
      id: string;
      payload: string;
      vector?: Buffer;
    }>;
    const next = rows.length > limit ? rows[limit]!.id : null;
    return {
      points: rows.slice(0, limit).map((r) => ({
        id: r.id,
        payload: JSON.parse(r.payload) as Payload,
        ...(r.vector === undefined ? {} : { vector: fromBlob(r.vector, info.dimension) }),
      })),
      next,
    };
  }

  async search(
    collection: string,
    vector: Float32Array,
    k: number,
    options: SearchOptions = {},
  ): Promise<Hit[]> {
    return (await this.searchBatch(collection, [vector], k, options))[0]!;
  }

  async searchBatch(
    collection: string,
    vectors: Float32Array[],
    k: number,
    options: SearchOptions = {},
  ): Promise<Hit[][]> {
    const row = this.resolve(collection);
    const info = toInfo(row);
    checkK(k, info.name);
    checkMinScore(options.minScore, info.name);
    checkFilter(info, options.filter);
    if (!Array.isArray(vectors) || vectors.length === 0) {
      throw new StoreError("INVALID_ARGUMENT", "searchBatch needs at least one query vector", {
        collection: info.name,
      });
    }
    const queries = new Float32Array(vectors.length * info.dimension);
    vectors.forEach((v, i) => {
      checkVector(info, v, vectors.length === 1 ? "query vector" : `query vector ${i}`);
      queries.set(stored(v, info.distance), i * info.dimension);
    });
    const test = compileFilter(options.filter);
    // This process's own writes change the in-memory copy in place (a delete moves the last slot into
    // the freed one); one landing while the scan awaits ONNX Runtime would make its slots name other
    // points, so a scan that saw the copy change is run again.
    let current = row;
    let loaded: Loaded;
    let results: Array<Array<{ slot: number; score: number }>>;
    for (;;) {
      const copy = await this.load(current);
      const version = copy.version;
      const fieldIndex = new Map(toInfo(current).indexedFields.map((f, i) => [f, i]));
      const accept =
        test === null ? null : (slot: number) => test((field) => copy.values[fieldIndex.get(field)!]![slot]);
      results = await copy.matrix.scan(queries, k, accept, options.minScore);
      if (copy.version === version) {
        loaded = copy;
        break;
      }
      // The same collection again (not what an alias names now), at its new version.
      const again = this.db.prepare("SELECT * FROM collections WHERE uid = ?").get(row.uid) as
        | CollectionRow
        | undefined;
      if (again === undefined) {
        throw new StoreError("UNKNOWN_COLLECTION", `collection "${row.name}" was dropped`, {
          collection: row.name,
        });
      }
      current = again;
    }
    const payloadOf = this.db.prepare(`SELECT payload FROM ${table(row)} WHERE id = ?`).pluck();
    return results.map((hits) =>
      hits.map(({ slot, score }) => {
        const id = loaded.ids[slot]!;
        const payload = payloadOf.get(id) as string | undefined;
        return { id, score, payload: payload === undefined ? {} : (JSON.parse(payload) as Payload) };
      }),
    );
  }

  /** The in-memory copy of a collection at its current version (loading it when missing or stale). */
  private async load(row: CollectionRow): Promise<Loaded> {
    const cached = this.cache.get(row.uid);
    if (cached !== undefined && cached.version === row.version) return cached;
    const key = `${row.uid}:${row.version}`;
    let pending = this.loading.get(key);
    if (pending === undefined) {
      pending = Promise.resolve().then(() => {
        const snap = readSnapshot(this.snapshotFile(row.uid), row.uid, row.version, this.scanThreads);
        if (snap !== null) {
          return {
            version: snap.version,
            matrix: snap.matrix,
            ids: snap.ids,
            slotOf: new Map(snap.ids.map((id, slot) => [id, slot])),
            values: snap.values,
            snapshotted: true,
          } satisfies Loaded;
        }
        const loaded = this.readAll(row);
        this.saveSnapshot(row.uid, loaded);
        return loaded;
      });
      this.loading.set(key, pending);
      pending.finally(() => this.loading.delete(key)).catch(() => {});
    }
    const loaded = await pending;
    const now = this.cache.get(row.uid);
    if (now === undefined || now.version < loaded.version) this.cache.set(row.uid, loaded);
    return loaded;
  }

  private snapshotFile(uid: string): string {
    return path.join(this.location, `snapshot-${uid}.bin`);
  }

  /** Best effort: a snapshot that cannot be written only costs the next cold start time. */
  private saveSnapshot(uid: string, loaded: Loaded): void {
    if (loaded.snapshotted || loaded.matrix.size < this.snapshotMinPoints) return;
    try {
      writeSnapshot(this.snapshotFile(uid), {
        uid,
        version: loaded.version,
        dimension: loaded.matrix.dimension,
        ids: loaded.ids,
        values: loaded.values,
        matrix: loaded.matrix,
      });
      loaded.snapshotted = true;
    } catch {
      // Disk full or read-only folder: searches still work from SQLite.
    }
  }

  private readAll(row: CollectionRow): Loaded {
    const fields = JSON.parse(row.fields) as string[];
    // Read the rows and the version in one read transaction, so the copy matches the version exactly.
    return this.db
      .transaction(() => {
        const version = this.db
          .prepare("SELECT version FROM collections WHERE uid = ?")
          .pluck()
          .get(row.uid) as number | undefined;
        if (version === undefined) {
          throw new StoreError("UNKNOWN_COLLECTION", `collection "${row.name}" was dropped`, {
            collection: row.name,
          });
        }
        const loaded: Loaded = {
          version,
          matrix: new VectorMatrix(row.dimension, this.scanThreads),
          ids: [],
          slotOf: new Map(),
          values: fields.map(() => []),
          snapshotted: false,
        };
        const stmt = this.db
          .prepare(`SELECT id, vector${fields.map((f) => `, ${col(f)}`).join("")} FROM ${table(row)}`)
          .raw();
        // Rows arrive in chunks, transposed into the column-major blocks a chunk at a time.
        loaded.matrix.reserve(
          this.db
            .prepare(`SELECT count(*) FROM ${table(row)}`)
            .pluck()
            .get() as number,
        );
        const CHUNK = 512;
        const chunk = new Float32Array(CHUNK * row.dimension);
        const bytes = new Uint8Array(chunk.buffer);
        let pending = 0;
        for (const r of stmt.iterate() as Iterable<unknown[]>) {
          const id = r[0] as string;
          bytes.set((r[1] as Buffer).subarray(0, row.dimension * 4), pending * row.dimension * 4);
          const slot = loaded.matrix.size + pending;
          loaded.ids[slot] = id;
          loaded.slotOf.set(id, slot);
          for (let f = 0; f < fields.length; f++) loaded.values[f]![slot] = r[2 + f] as string | null;
          if (++pending === CHUNK) {
            loaded.matrix.appendRows(chunk, pending);
            pending = 0;
          }
        }
        if (pending > 0) loaded.matrix.appendRows(chunk, pending);
        return loaded;
      })
      .deferred();
  }

  async setAlias(alias: string, collection: string): Promise<void> {
    checkName(alias, "alias");
    this.db
      .transaction(() => {
        const target = this.row(collection);
        if (target === undefined) {
          throw new StoreError(
            "UNKNOWN_COLLECTION",
            `no collection named "${collection}" in ${this.location}`,
            {
              collection,
              location: this.location,
            },
          );
        }
        if (this.row(alias) !== undefined) {
          throw new StoreError(
            "COLLECTION_CONFLICT",
            `"${alias}" is a collection; an alias needs its own name`,
            {
              collection: alias,
            },
          );
        }
        this.db
          .prepare(
            "INSERT INTO aliases (alias, collection) VALUES (?, ?) ON CONFLICT (alias) DO UPDATE SET collection = excluded.collection",
          )
          .run(alias, collection);
      })
      .immediate();
  }

  async resolveAlias(alias: string): Promise<string | null> {
    return (
      (this.db.prepare("SELECT collection FROM aliases WHERE alias = ?").pluck().get(alias) as string) ?? null
    );
  }

  async listAliases(): Promise<AliasInfo[]> {
    return this.db.prepare("SELECT alias, collection FROM aliases ORDER BY alias").all() as AliasInfo[];
  }

  async deleteAlias(alias: string): Promise<boolean> {
    return this.db.prepare("DELETE FROM aliases WHERE alias = ?").run(alias).changes > 0;
  }

  async health(): Promise<StoreHealth> {
    return this.db.open ? { ok: true, error: null } : { ok: false, error: "closed" };
  }

  async close(): Promise<void> {
    // Leave snapshots of what this process changed, if the database still has that version.
    if (this.db.open) {
      for (const [uid, loaded] of this.cache) {
        const version = this.db.prepare("SELECT version FROM collections WHERE uid = ?").pluck().get(uid);
        if (version === loaded.version) this.saveSnapshot(uid, loaded);
      }
    }
    this.cache.clear();
    if (this.db.open) this.db.close();
  }
}

function removeSlot(loaded: Loaded, id: string): void {
  const slot = loaded.slotOf.get(id);
  if (slot === undefined) return;
  const last = loaded.matrix.size - 1;
  if (slot !== last) {
    const lastId = loaded.ids[last]!;
    loaded.matrix.set(slot, loaded.matrix.get(last));
    loaded.ids[slot] = lastId;
    loaded.slotOf.set(lastId, slot);
    for (const values of loaded.values) values[slot] = values[last] ?? null;
  }
  loaded.matrix.pop();
  loaded.ids.pop();
  for (const values of loaded.values) values.pop();
  loaded.slotOf.delete(id);
}
