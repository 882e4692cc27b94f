import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/index.ts";

const load = (env: Record<string, string>) => loadConfig(env, "/tmp");

describe("Qdrant cluster settings", () => {
  it("leave shard layout and consistency to Qdrant when unset, with batch 256 over 2 streams", () => {
    expect(load({}).qdrant).toEqual({
      shardNumber: undefined,
      replicationFactor: undefined,
      writeConsistencyFactor: undefined,
      readConsistency: undefined,
      upsertBatchSize: 256,
      upsertParallel: 2,
    });
  });

  it("read every variable", () => {
    expect(
      load({
        QDRANT_SHARDS: "6",
        QDRANT_REPLICATION_FACTOR: "3",
        QDRANT_WRITE_CONSISTENCY: "2",
        QDRANT_READ_CONSISTENCY: "Quorum",
        QDRANT_UPSERT_BATCH: "500",
        QDRANT_UPSERT_PARALLEL: "4",
      }).qdrant,
    ).toEqual({
      shardNumber: 6,
      replicationFactor: 3,
      writeConsistencyFactor: 2,
      readConsistency: "quorum",
      upsertBatchSize: 500,
      upsertParallel: 4,
    });
    expect(load({ QDRANT_READ_CONSISTENCY: "2" }).qdrant.readConsistency).toBe(2);
  });

  it.each([
    ["QDRANT_SHARDS", "0"],
    ["QDRANT_SHARDS", "two"],
    ["QDRANT_REPLICATION_FACTOR", "-1"],
    ["QDRANT_READ_CONSISTENCY", "most"],
    ["QDRANT_READ_CONSISTENCY", "0"],
    ["QDRANT_UPSERT_BATCH", "0"],
    ["QDRANT_UPSERT_BATCH", "20000"],
    ["QDRANT_UPSERT_PARALLEL", "1.5"],
  ])("reject %s=%s naming the variable", (name, value) => {
    expect(() => load({ [name]: value })).toThrow(ConfigError);
    try {
      load({ [name]: value });
    } catch (error) {
      expect((error as ConfigError).variable).toBe(name);
    }
  });

  it("reject a write consistency above the replication factor", () => {
    expect(() => load({ QDRANT_WRITE_CONSISTENCY: "2" })).toThrow(
      /QDRANT_WRITE_CONSISTENCY.*REPLICATION_FACTOR \(1\)/,
    );
    expect(
      load({ QDRANT_WRITE_CONSISTENCY: "2", QDRANT_REPLICATION_FACTOR: "2" }).qdrant.writeConsistencyFactor,
    ).toBe(2);
  });
});
