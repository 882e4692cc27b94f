import { describe, it } from "vitest";
import { QdrantVectorStore } from "../src/qdrant.ts";
import { defineContract } from "./contract.ts";

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
  defineContract(`qdrant at ${url}`, {
    open: async () => new QdrantVectorStore({ url, apiKey: process.env.QDRANT_API_KEY, infoTtlMs: 0 }),
  });
}
