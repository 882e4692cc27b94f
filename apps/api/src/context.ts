import path from "node:path";
import { type Config, loadConfig } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { EncoderCache, listModels, type UploadLimits, UploadStore } from "@cxr/services";
import { openVectorStore, type VectorStore } from "@cxr/store";

/**
 * The API's composition root, and the only file of this package that opens infrastructure: the
 * configuration, the database, the vector store, the encoders kept loaded between requests and the
 * upload folder. Resolvers receive this object and pass its parts to @cxr/services functions.
 *
 * It opens what the CLI opens (apps/cli/src/context.ts). When @cxr/services offers one composition
 * root for both faces, this file becomes a call to it; nothing else here needs to change.
 */

export interface ApiServices {
  config: Config;
  db: Database;
  store: VectorStore;
  /** One load per model for the life of the server. */
  encoders: EncoderCache;
  uploads: UploadStore;
  /** Whether the database and the vector store answer (for /readyz). */
  ready(): Promise<{ database: boolean; vectorStore: boolean }>;
  close(): Promise<void>;
}

export async function openApiServices(
  config: Config = loadConfig(),
  options: { uploads?: Partial<UploadLimits> } = {},
): Promise<ApiServices> {
  const db = await openDatabase(config);
  let store: VectorStore;
  try {
    store = openVectorStore(config);
  } catch (error) {
    await db.close();
    throw error;
  }
  const encoders = new EncoderCache(config);
  const uploads = new UploadStore(path.join(config.dataDir, "uploads"), options.uploads);
  return {
    config,
    db,
    store,
    encoders,
    uploads,
    async ready() {
      const [database, vectorStore] = await Promise.all([
        listModels(db).then(
          () => true,
          () => false,
        ),
        store.listCollections().then(
          () => true,
          () => false,
        ),
      ]);
      return { database, vectorStore };
    },
    async close() {
      await encoders.close();
      await store.close();
      await db.close();
    },
  };
}
