import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addModel,
  type BatchEvent,
  classifyError,
  indexDataset,
  openServices,
  type SearchResult,
  type Services,
  search,
} from "../src/index.ts";
import { seedDataset, writeTinyBundle } from "../src/testing/index.ts";

/**
 * Dynamic batching with a real tiny ONNX model: concurrent searches give the answers sequential
 * ones give, in fewer forward passes (counted from the batcher's events, not timed), and a model
 * with too many queries waiting refuses more as "overloaded".
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-batcher-"));
const config = loadConfig(
  { CXR_DATA_DIR: path.join(work, "data"), CXR_EXECUTION_PROVIDERS: "cpu", CXR_CPU_THREADS: "1" },
  work,
);
let setup: Services;
let imageIds: string[] = [];

beforeAll(async () => {
  setup = openServices(config);
  const db = await setup.database();
  await writeTinyBundle(path.join(work, "bundle"), { id: "tiny" });
  await addModel(db, config, path.join(work, "bundle"));
  await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 6, side: 24 });
  await indexDataset({
    db,
    store: setup.store(),
    config,
    modelId: "tiny",
    datasetName: "set",
    modality: "both",
  });
  imageIds = (await db.prisma.image.findMany({ orderBy: { id: "asc" } })).map((i) => i.id);
  await setup.close();
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Hits as (point, rank) plus scores, so batched and single encodes can be compared. */
function answers(results: SearchResult[]) {
  return results.map((r) =>
    r.results[0]!.hits.map((h) => ({ point: h.pointId, rank: h.rank, score: h.score })),
  );
}

async function withServices<T>(
  batching: { windowMs?: number; maxBatch?: number; maxQueue?: number },
  run: (services: Services, passes: BatchEvent[]) => Promise<T>,
): Promise<T> {
  const services = openServices(config, { batching });
  const passes: BatchEvent[] = [];
  services.encoders.onBatch((e) => passes.push(e));
  try {
    return await run(services, passes);
  } finally {
    await services.close();
  }
}

describe("dynamic batching", () => {
  const queries = () => [
    ...imageIds.slice(0, 8).map((imageId) => ({ imageId })),
    ...["small left effusion", "no acute findings", "cardiomegaly", "right lower lobe opacity"].map(
      (text) => ({
        text,
      }),
    ),
  ];

  it("gives concurrent searches the answers of sequential ones, in fewer forward passes", async () => {
    const run = (services: Services, query: ReturnType<typeof queries>[number]) =>
      services.database().then((db) =>
        search({
          db,
          store: services.store(),
          config,
          encoders: services.encoders,
          models: ["tiny"],
          query,
          target: "reports",
          k: 5,
        }),
      );
    const sequential = await withServices({ windowMs: 0 }, async (services, passes) => {
      const out: SearchResult[] = [];
      for (const q of queries()) out.push(await run(services, q));
      expect(passes.map((p) => p.size)).toEqual(queries().map(() => 1));
      return out;
    });
    const concurrent = await withServices({ windowMs: 200, maxBatch: 16 }, async (services, passes) => {
      const out = await Promise.all(queries().map((q) => run(services, q)));
      const images = passes.filter((p) => p.modality === "image");
      const texts = passes.filter((p) => p.modality === "text");
      expect(images.reduce((n, p) => n + p.size, 0)).toBe(8);
      expect(texts.reduce((n, p) => n + p.size, 0)).toBe(4);
      // 12 queries in at most half as many passes (two modalities: 2 when all arrive in one window)
      expect(passes.length).toBeLessThanOrEqual(6);
      expect(Math.max(...passes.map((p) => p.size))).toBeGreaterThan(1);
      return out;
    });
    const a = answers(sequential);
    const b = answers(concurrent);
    expect(b.map((hits) => hits.map((h) => [h.point, h.rank]))).toEqual(
      a.map((hits) => hits.map((h) => [h.point, h.rank])),
    );
    b.forEach((hits, i) => {
      hits.forEach((h, j) => {
        expect(h.score).toBeCloseTo(a[i]![j]!.score, 5);
      });
    });
  });

  it("splits a burst into passes of at most the batch size", async () => {
    await withServices({ windowMs: 200, maxBatch: 3 }, async (services, passes) => {
      const db = await services.database();
      const model = await db.prisma.model.findUniqueOrThrow({ where: { id: "tiny" } });
      const texts = Array.from({ length: 7 }, (_, i) => `finding number ${i}`);
      const results = await Promise.all(texts.map((text) => services.encoders.encodeText(model, text)));
      expect(results.every((r) => r.ok)).toBe(true);
      // all arrive in one turn of the event loop: passes of 3
      expect(passes.map((p) => p.size)).toEqual([3, 3, 1]);
    });
  });

  it("runs a lone query at once, without waiting for the window", async () => {
    await withServices({ windowMs: 120_000 }, async (services, passes) => {
      const db = await services.database();
      const model = await db.prisma.model.findUniqueOrThrow({ where: { id: "tiny" } });
      // were it to wait for the window, the 2-minute timer would win (a guard, not a speed check)
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<"waited">((resolve) => {
        timer = setTimeout(() => resolve("waited"), 60_000);
      });
      const first = await Promise.race([services.encoders.encodeText(model, "alone"), waited]);
      clearTimeout(timer);
      expect(first).not.toBe("waited");
      expect(passes.map((p) => p.size)).toEqual([1]);
    });
  });

  it("refuses queries over the per-model queue limit as overloaded, and serves the rest", async () => {
    await withServices({ windowMs: 100, maxQueue: 2 }, async (services) => {
      const db = await services.database();
      const model = await db.prisma.model.findUniqueOrThrow({ where: { id: "tiny" } });
      const settled = await Promise.allSettled(
        ["a b", "c d", "e f"].map((t) => services.encoders.encodeText(model, t)),
      );
      expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
      const error = (settled[2] as PromiseRejectedResult).reason;
      expect(classifyError(error)).toMatchObject({ kind: "overloaded", code: "OVERLOADED" });
      // the queue drained: the model takes queries again
      expect((await services.encoders.encodeText(model, "g h")).ok).toBe(true);
    });
  });
});
