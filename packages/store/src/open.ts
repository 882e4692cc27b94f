import path from "node:path";
import type { Config } from "@cxr/config";
import { type EmbeddedStoreOptions, EmbeddedVectorStore } from "./embedded.ts";
import { type QdrantStoreOptions, QdrantVectorStore } from "./qdrant.ts";
import type { VectorStore } from "./types.ts";

export interface OpenVectorStoreOptions {
  embedded?: EmbeddedStoreOptions;
  qdrant?: Omit<QdrantStoreOptions, "url" | "apiKey">;
}

/**
 * The vector store the configuration asks for: Qdrant when QDRANT_URL is set, otherwise the
 * embedded store under <dataDir>/vectors.
 */
export function openVectorStore(
  config: Pick<Config, "dataDir" | "qdrantUrl" | "qdrantApiKey"> & Partial<Pick<Config, "qdrant">>,
  options: OpenVectorStoreOptions = {},
): VectorStore {
  if (config.qdrantUrl !== undefined) {
    const q = config.qdrant;
    const fromConfig: Partial<QdrantStoreOptions> =
      q === undefined
        ? {}
        : {
            shardNumber: q.shardNumber,
            replicationFactor: q.replicationFactor,
            writeConsistencyFactor: q.writeConsistencyFactor,
            readConsistency: q.readConsistency,
            batchSize: q.upsertBatchSize,
            concurrency: q.upsertParallel,
          };
    return new QdrantVectorStore({
      ...fromConfig,
      ...options.qdrant,
      url: config.qdrantUrl,
      apiKey: config.qdrantApiKey,
    });
  }
  return EmbeddedVectorStore.open(path.join(config.dataDir, "vectors"), options.embedded);
}
