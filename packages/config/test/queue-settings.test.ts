import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/index.ts";

const load = (env: Record<string, string>) => loadConfig(env, "/tmp");

describe("queue settings", () => {
  it("no REDIS_URL: jobs in-process; the queue defaults stand ready", () => {
    const config = load({});
    expect(config.redisUrl).toBeUndefined();
    expect(config.queue).toEqual({
      prefix: "cxr",
      shardSize: 500,
      attempts: 5,
      backoffMs: 5000,
      lockMs: 30_000,
      stalledMs: 30_000,
      maxStalled: 5,
    });
  });

  it("reads REDIS_URL and the tuning variables", () => {
    const config = load({
      REDIS_URL: "redis://127.0.0.1:6380/2",
      CXR_QUEUE_PREFIX: "pool",
      CXR_SHARD_SIZE: "100",
      CXR_JOB_ATTEMPTS: "3",
      CXR_QUEUE_STALLED_MS: "2000",
    });
    expect(config.redisUrl).toBe("redis://127.0.0.1:6380/2");
    expect(config.queue).toMatchObject({ prefix: "pool", shardSize: 100, attempts: 3, stalledMs: 2000 });
  });

  it("refuses a REDIS_URL that is not redis:// and out-of-range numbers, naming the variable", () => {
    expect(() => load({ REDIS_URL: "http://127.0.0.1:6379" })).toThrow(ConfigError);
    expect(() => load({ REDIS_URL: "http://127.0.0.1:6379" })).toThrow(/REDIS_URL/);
    expect(() => load({ CXR_SHARD_SIZE: "0" })).toThrow(/CXR_SHARD_SIZE/);
    expect(() => load({ CXR_QUEUE_LOCK_MS: "ten" })).toThrow(/CXR_QUEUE_LOCK_MS/);
  });
});
