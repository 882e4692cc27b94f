import path from "node:path";
import { type Config, ConfigError, loadConfig, parseHttpUrl } from "@cxr/config";
import { copyDatabase, describeDatabase, openDatabase, type TableCopy } from "@cxr/db";
import {
  type AliasInfo,
  type CollectionCopy,
  copyCollections,
  EmbeddedVectorStore,
  openVectorStore,
  type VectorStore,
} from "@cxr/store";
import type { Services } from "../context/open.ts";
import { ServiceError } from "../errors/service-error.ts";

/**
 * `cxr migrate-store`: moves an install's data to the scaled-out engines. The metadata goes from
 * the configured database (the embedded SQLite, normally) to a migrated PostgreSQL, table by table;
 * the vectors go from the configured store (the embedded one, normally) to Qdrant, or to another
 * embedded store folder, collection by collection with their aliases. Both copies are idempotent:
 * rows already in the target are kept, points keep their ids. Run it with the install stopped (no
 * index job or benchmark writing), then point DATABASE_URL and QDRANT_URL at the targets.
 */

export interface MigrateStoreTarget {
  /** postgresql://… : where the metadata goes. */
  databaseUrl?: string;
  /** http(s)://host:6333 : where the vectors go (QDRANT_API_KEY and the QDRANT_* layout apply). */
  qdrantUrl?: string;
  /** Or another embedded store folder (e.g. <new data dir>/vectors on a new disk). */
  vectorsDir?: string;
}

export interface MigrateStoreProgress {
  stage: "database" | "vectors";
  /** A table or a collection. */
  name: string;
  done: number;
  total: number;
}

export interface MigrateStoreOptions {
  /** Rows per database batch (default 500). */
  batchSize?: number;
  /** Points per scroll page (default 512; Qdrant splits upserts further by QDRANT_UPSERT_BATCH). */
  pageSize?: number;
  onProgress?: (p: MigrateStoreProgress) => void;
}

export interface MigrateStoreResult {
  database: { from: string; to: string; tables: TableCopy[] } | null;
  vectors: { from: string; to: string; collections: CollectionCopy[]; aliases: AliasInfo[] } | null;
}

function invalid(message: string): ServiceError {
  return new ServiceError("invalid", "INVALID_ARGUMENT", message);
}

function targetDatabase(raw: string, source: Config["database"]): Pick<Config, "database"> {
  let database: Config["database"];
  try {
    database = loadConfig({ DATABASE_URL: raw }).database;
  } catch (error) {
    if (error instanceof ConfigError) throw invalid(`--to-database: ${error.reason}`);
    throw error;
  }
  if (database.kind !== "postgresql") {
    throw invalid(
      `--to-database must be a postgresql:// URL (the embedded SQLite is the source), got "${database.url}"`,
    );
  }
  if (source.kind === "postgresql" && source.url === database.url) {
    throw invalid("--to-database names the database this install already uses");
  }
  return { database };
}

function targetStore(config: Config, target: MigrateStoreTarget): VectorStore {
  if (target.qdrantUrl !== undefined) {
    let url: string;
    try {
      url = parseHttpUrl("--to-qdrant", target.qdrantUrl);
    } catch (error) {
      if (error instanceof ConfigError) throw invalid(`--to-qdrant: ${error.reason}`);
      throw error;
    }
    if (url === config.qdrantUrl) throw invalid("--to-qdrant names the Qdrant this install already uses");
    return openVectorStore({ ...config, qdrantUrl: url });
  }
  const dir = path.resolve(target.vectorsDir!);
  if (config.qdrantUrl === undefined && dir === path.resolve(config.dataDir, "vectors")) {
    throw invalid("--to-vectors names the store folder this install already uses");
  }
  return EmbeddedVectorStore.open(dir);
}

export async function migrateStore(
  services: Services,
  target: MigrateStoreTarget,
  options: MigrateStoreOptions = {},
): Promise<MigrateStoreResult> {
  const { config, logger } = services;
  if (target.qdrantUrl !== undefined && target.vectorsDir !== undefined) {
    throw invalid("give --to-qdrant or --to-vectors, not both");
  }
  if (target.databaseUrl === undefined && target.qdrantUrl === undefined && target.vectorsDir === undefined) {
    throw invalid("nothing to do: give --to-database and/or --to-qdrant");
  }
  // Every target is checked before anything is copied.
  const dbTarget =
    target.databaseUrl === undefined ? undefined : targetDatabase(target.databaseUrl, config.database);
  const storeTarget =
    target.qdrantUrl === undefined && target.vectorsDir === undefined
      ? undefined
      : targetStore(config, target);

  const result: MigrateStoreResult = { database: null, vectors: null };
  try {
    if (dbTarget !== undefined) {
      const source = await services.database();
      const destination = await openDatabase(dbTarget); // creates the schema: same migrations as the source
      try {
        logger.info("copying the database", { from: source.location, to: destination.location });
        const tables = await copyDatabase(source, destination, {
          ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
          onProgress: (name, done, total) => options.onProgress?.({ stage: "database", name, done, total }),
        });
        result.database = { from: describeDatabase(config), to: describeDatabase(dbTarget), tables };
      } finally {
        await destination.close();
      }
    }
    if (storeTarget !== undefined) {
      const source = services.store();
      logger.info("copying the vector store", { from: source.location, to: storeTarget.location });
      const copied = await copyCollections(source, storeTarget, {
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        onProgress: (name, done, total) => options.onProgress?.({ stage: "vectors", name, done, total }),
      });
      result.vectors = { from: source.location, to: storeTarget.location, ...copied };
    }
  } finally {
    await storeTarget?.close();
  }
  return result;
}
