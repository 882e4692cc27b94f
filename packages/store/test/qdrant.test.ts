import { randomUUID } from "node:crypto";
import { loadConfig } from "@cxr/config";
import { QdrantClient } from "@qdrant/js-client-rest";
import { afterAll, describe, expect, it } from "vitest";
import { openVectorStore } from "../src/open.ts";
import { QdrantVectorStore } from "../src/qdrant.ts";
import { defineContract } from "./contract.ts";
import { makePoints } from "./helpers.ts";

// The contract against a real Qdrant, whenever one is reachable through QDRANT_URL.
const url = process.env.QDRANT_URL?.trim();
if (url === undefined || url === "") {
  console.warn(
    "[store] Qdrant contract tests SKIPPED: QDRANT_URL is not set (no Qdrant server runs on these machines); " +
      "set QDRANT_URL=http://host:6333 to run the same contract against a real server",
  );
  describe("VectorStore contract: qdrant", () => {
    it.skip("skipped: QDRANT_URL is not set", () => {});
  });
} else {
  const apiKey = process.env.QDRANT_API_KEY;
  // As the product opens it: QDRANT_SHARDS, QDRANT_REPLICATION_FACTOR, ... from the environment.
  defineContract(`qdrant at ${url} (configured from the environment)`, {
    open: async () => openVectorStore(loadConfig(), { qdrant: { infoTtlMs: 0 } }),
  });
  // Small batches over several streams, so every multi-point write of the contract is split.
  defineContract(`qdrant at ${url} (2 shards, batches of 7 over 3 streams, read quorum)`, {
    open: async () =>
      new QdrantVectorStore({
        url,
        apiKey,
        infoTtlMs: 0,
        shardNumber: 2,
        batchSize: 7,
        concurrency: 3,
        readConsistency: "quorum",
      }),
  });

  describe(`Qdrant collection layout at ${url}`, () => {
    const name = `t${randomUUID().slice(0, 8)}_layout`;
    const store = new QdrantVectorStore({ url, apiKey, shardNumber: 3, batchSize: 50, concurrency: 2 });
    const client = new QdrantClient({ url, ...(apiKey ? { apiKey } : {}), checkCompatibility: false });
    afterAll(async () => {
      await store.dropCollection(name);
    });

    it("creates the configured shards and the dataset field as a tenant keyword index", async () => {
      await store.ensureCollection(name, {
        dimension: 8,
        distance: "cosine",
        indexedFields: ["dataset", "split"],
      });
      const info = await client.getCollection(name);
      expect(info.config.params.shard_number).toBe(3);
      const schema = info.payload_schema as Record<
        string,
        { data_type?: string; params?: { is_tenant?: boolean } }
      >;
      expect(schema.dataset).toMatchObject({ data_type: "keyword", params: { is_tenant: true } });
      expect(schema.split?.data_type).toBe("keyword");
      const points = makePoints(333, 8, 11);
      await store.upsert(name, points);
      expect(await store.count(name)).toBe(333);
    });
  });
}
