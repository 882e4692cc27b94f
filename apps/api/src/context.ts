import path from "node:path";
import { type Config, loadConfig } from "@cxr/config";
import {
  type BatchingOptions,
  bundlesPresent,
  type EncoderCache,
  listModels,
  openServices,
  queueReachable,
  type Services,
  type UploadLimits,
  UploadStore,
} from "@cxr/services";

/**
 * The API's composition root, and the only file of this package that opens anything: it opens the
 * product through @cxr/services' `openServices` (the same root the CLI uses) and adds what only a
 * server keeps, the upload folder. Resolvers receive this object and pass its parts to
 * @cxr/services functions.
 */

type Database = Awaited<ReturnType<Services["database"]>>;
type VectorStore = ReturnType<Services["store"]>;

export interface ApiServices {
  config: Config;
  /** The services every face shares (database, vector store, encoders, logger). */
  services: Services;
  db: Database;
  store: VectorStore;
  /** One load per model for the life of the server. */
  encoders: EncoderCache;
  uploads: UploadStore;
  /** Whether the database and the vector store answer and every model's bundle is in place (for /readyz). */
  ready(): Promise<{ database: boolean; vectorStore: boolean; encoders: boolean; queue: boolean | null }>;
  close(): Promise<void>;
}

export async function openApiServices(
  config: Config = loadConfig(),
  options: { uploads?: Partial<UploadLimits>; batching?: Partial<BatchingOptions> } = {},
): Promise<ApiServices> {
  const services = openServices(config, options.batching === undefined ? {} : { batching: options.batching });
  let db: Database;
  let store: VectorStore;
  try {
    db = await services.database();
    store = services.store();
  } catch (error) {
    await services.close();
    throw error;
  }
  const uploads = new UploadStore(path.join(config.dataDir, "uploads"), options.uploads);
  return {
    config,
    services,
    db,
    store,
    encoders: services.encoders,
    uploads,
    async ready() {
      const [database, vectorStore, encoders, queue] = await Promise.all([
        listModels(db).then(
          () => true,
          () => false,
        ),
        store.health().then(
          (h) => h.ok,
          () => false,
        ),
        bundlesPresent(db).then(
          (b) => b.ok,
          () => false,
        ),
        // null: no queue configured (jobs run in this server); else whether Redis answers.
        queueReachable(services).then((reason) => (reason === undefined ? null : reason === null)),
      ]);
      return { database, vectorStore, encoders, queue };
    },
    close: () => services.close(),
  };
}
