import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "@cxr/db";
import { postgresAvailable, type TempDatabase, tempDatabase } from "@cxr/db/testing";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { EmbeddedVectorStore, type VectorStore } from "@cxr/store";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  addModel,
  dropModelCollections,
  EncoderCache,
  type IndexConfig,
  type IndexProgress,
  IndexSearchError,
  indexDataset,
  type SearchResult,
  search,
} from "../src/index.ts";
import { fixtureImage, fixtureImpression, type SeededDataset, seedDataset } from "../src/testing/index.ts";

const work = mkdtempSync(path.join(tmpdir(), "cxr-services-index-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(work, `${name}-${++n}`);

const pgUp = await postgresAvailable();

const config: IndexConfig & { modelsDir: string } = {
  modelsDir: fresh("models"),
  executionProviders: ["cpu"],
  cpuThreads: 1,
  encodeBatchSize: 4,
};

async function rejection(promise: Promise<unknown>): Promise<IndexSearchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IndexSearchError);
  return error as IndexSearchError;
}

function expectSortedScores(result: SearchResult): void {
  for (const r of result.results) {
    const scores = r.hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  }
}

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("index and search on $dialect", ({ dialect, run }) => {
  let temp: TempDatabase | undefined;
  let db: Database | undefined;
  let store: VectorStore | undefined;
  afterEach(async () => {
    await store?.close();
    await db?.close();
    await temp?.drop();
    db = undefined;
    temp = undefined;
    store = undefined;
  });

  async function setup(): Promise<{ db: Database; store: VectorStore; first: SeededDataset }> {
    temp = await tempDatabase(dialect);
    db = await openDatabase(temp.config);
    store = EmbeddedVectorStore.open(fresh("vectors"));
    const bundle = fresh("tiny");
    await writeTinyBundle(bundle, { id: "tiny" });
    await addModel(db, { ...config, modelsDir: fresh("models") }, bundle);
    // 12 studies: 18 images (one not an image), 12 reports (one empty).
    const first = await seedDataset(db, {
      dir: fresh("first"),
      name: "first",
      studies: 12,
      corruptImages: [3],
      emptyReports: [5],
    });
    return { db, store, first };
  }

  it.runIf(run)("indexes both modalities once, counts failures, and a second run adds nothing", async () => {
    const { db, store, first } = await setup();
    const events: IndexProgress[] = [];
    const result = await indexDataset({
      db,
      store,
      config,
      modelId: "tiny",
      datasetName: "first",
      modality: "both",
      batchSize: 5,
      onProgress: (p) => {
        events.push(p);
      },
    });
    const [images, reports] = result.results;
    expect(images).toMatchObject({
      modality: "images",
      status: "completed",
      alias: "tiny__images",
      collection: "tiny__images__v1",
      previousCollection: null,
      resumed: false,
      total: 18,
      processed: 17,
      failed: 1,
      points: 17,
      collectionPoints: 17,
      carried: 0,
    });
    expect(images!.failures).toHaveLength(1);
    expect(images!.failures[0]!.item).toBe("s0003/s0003_0.png");
    expect(images!.failures[0]!.reason).toMatch(/^(CORRUPT|UNSUPPORTED_FORMAT|TRUNCATED)/);
    expect(reports).toMatchObject({
      collection: "tiny__reports__v1",
      total: 12,
      processed: 11,
      failed: 1,
      points: 11,
    });
    expect(reports!.failures[0]).toMatchObject({
      item: "s0005",
      reason: expect.stringMatching(/^EMPTY_TEXT/),
    });
    expect(await store.resolveAlias("tiny__images")).toBe("tiny__images__v1");
    expect(await store.count("tiny__images")).toBe(17);

    // Progress after every batch (4 batches of images), never with report text in it.
    const imageEvents = events.filter((e) => e.modality === "images" && e.phase === "encoding");
    expect(imageEvents.map((e) => e.processed + e.failed)).toEqual([0, 5, 10, 15, 18]);
    expect(JSON.stringify(events)).not.toContain("effusion");

    const jobs = await db.prisma.indexJob.findMany({ orderBy: { modality: "asc" } });
    expect(jobs.map((j) => [j.modality, j.status, j.processed, j.failed])).toEqual([
      ["images", "completed", 17, 1],
      ["reports", "completed", 11, 1],
    ]);
    expect(jobs[0]!.cursor).toBe([...first.images.map((i) => i.id)].sort().at(-1));
    expect(jobs[0]!.error).toContain("s0003/s0003_0.png");

    const again = await indexDataset({
      db,
      store,
      config,
      modelId: "tiny",
      datasetName: "first",
      modality: "both",
    });
    expect(again.results.map((r) => [r.status, r.collection, r.points])).toEqual([
      ["up-to-date", "tiny__images__v1", 17],
      ["up-to-date", "tiny__reports__v1", 11],
    ]);
    expect(await db.prisma.indexJob.count()).toBe(2);
    expect(await store.count("tiny__images")).toBe(17);
    expect(await store.count("tiny__reports")).toBe(11);
  });

  it.runIf(run)(
    "resumes an interrupted job in its own version; a lost progress record re-writes, never duplicates",
    async () => {
      const { db, store } = await setup();
      await indexDataset({ db, store, config, modelId: "tiny", datasetName: "first", modality: "images" });
      const second = await seedDataset(db, { dir: fresh("second"), name: "second", studies: 10 });
      expect(second.images).toHaveLength(15);

      // Stop after two batches: the job stays "running", the alias still points at v1.
      const stop = new AbortController();
      await expect(
        indexDataset({
          db,
          store,
          config,
          modelId: "tiny",
          datasetName: "second",
          modality: "images",
          batchSize: 3,
          signal: stop.signal,
          onProgress: (p) => {
            if (p.processed >= 6) stop.abort(new Error("stopped by the test"));
          },
        }),
      ).rejects.toThrow("stopped by the test");
      const stopped = await db.prisma.indexJob.findFirstOrThrow({ where: { dataset: { name: "second" } } });
      expect(stopped).toMatchObject({ status: "running", processed: 6, collection: "tiny__images__v2" });
      expect(await store.resolveAlias("tiny__images")).toBe("tiny__images__v1");
      expect(await store.count("tiny__images__v2")).toBe(6);

      // As if the process died after writing a batch and before recording it: the record is behind.
      await db.prisma.indexJob.update({ where: { id: stopped.id }, data: { cursor: null, processed: 0 } });

      const resumed = await indexDataset({
        db,
        store,
        config,
        modelId: "tiny",
        datasetName: "second",
        modality: "images",
        batchSize: 3,
      });
      expect(resumed.results[0]).toMatchObject({
        status: "completed",
        resumed: true,
        jobId: stopped.id,
        collection: "tiny__images__v2",
        previousCollection: "tiny__images__v1",
        total: 15,
        processed: 15,
        failed: 0,
        points: 15,
        carried: 17,
        collectionPoints: 32,
      });
      expect(await store.resolveAlias("tiny__images")).toBe("tiny__images__v2");
      // One point per item of each dataset, nothing more.
      expect(await store.count("tiny__images", { must: [{ key: "dataset", match: "second" }] })).toBe(15);
      expect(await store.count("tiny__images", { must: [{ key: "dataset", match: "first" }] })).toBe(17);
    },
  );

  it.runIf(run)(
    "a store failure marks the job failed and resumable; a second process on the same job is refused",
    async () => {
      const { db, store } = await setup();
      // The store goes away after the first batch: the job fails, its record says why, nothing is live.
      const flaky = EmbeddedVectorStore.open(fresh("vectors"));
      const failed = await rejection(
        indexDataset({
          db,
          store: flaky,
          config,
          modelId: "tiny",
          datasetName: "first",
          modality: "reports",
          batchSize: 4,
          onProgress: async (p) => {
            if (p.processed > 0) await flaky.close();
          },
        }),
      );
      expect(failed.code).toBe("JOB_FAILED");
      expect(failed.kind).toBe("failed");
      const job = await db.prisma.indexJob.findFirstOrThrow();
      expect(job).toMatchObject({ status: "failed", processed: 4 });
      expect(job.error).toMatch(/^job failed: /);

      // Another process moves the cursor under this one: it stops and leaves the job to the other.
      const conflict = await rejection(
        indexDataset({
          db,
          store,
          config,
          modelId: "tiny",
          datasetName: "first",
          modality: "reports",
          batchSize: 4,
          onProgress: async (p) => {
            if (p.phase === "encoding" && p.processed + p.failed === 8) {
              await db.prisma.indexJob.update({ where: { id: p.jobId }, data: { cursor: "zzzz" } });
            }
          },
        }),
      );
      expect(conflict.code).toBe("JOB_CONFLICT");
      expect(await db.prisma.indexJob.findFirstOrThrow()).toMatchObject({
        status: "running",
        cursor: "zzzz",
      });
      await db.prisma.indexJob.update({
        where: { id: job.id },
        data: { cursor: null, processed: 0, failed: 0 },
      });

      const resumed = await indexDataset({
        db,
        store,
        config,
        modelId: "tiny",
        datasetName: "first",
        modality: "reports",
      });
      expect(resumed.results[0]).toMatchObject({
        status: "completed",
        resumed: true,
        jobId: job.id,
        processed: 11,
        failed: 1,
        points: 11,
      });
      expect(await store.count("tiny__reports")).toBe(11);
    },
  );

  it.runIf(run)(
    "re-index builds a new version while searches answer from the live one, then swaps",
    async () => {
      const { db, store } = await setup();
      await indexDataset({ db, store, config, modelId: "tiny", datasetName: "first", modality: "both" });
      const during: string[] = [];
      const encoders = new EncoderCache(config);
      try {
        const result = await indexDataset({
          db,
          store,
          config,
          modelId: "tiny",
          datasetName: "first",
          modality: "images",
          batchSize: 4,
          reindex: true,
          onProgress: async (p) => {
            if (p.phase !== "encoding" || p.processed === 0) return;
            const answer = await search({
              db,
              store,
              config,
              models: ["tiny"],
              query: { text: "small left pleural effusion" },
              k: 5,
              encoders,
            });
            during.push(answer.results[0]!.collection);
            expect(answer.results[0]!.hits).toHaveLength(5);
          },
        });
        expect(result.results[0]).toMatchObject({
          status: "completed",
          collection: "tiny__images__v2",
          previousCollection: "tiny__images__v1",
          points: 17,
          collectionPoints: 17,
        });
        expect(during.length).toBeGreaterThan(0);
        expect(new Set(during)).toEqual(new Set(["tiny__images__v1"]));
        const after = await search({
          db,
          store,
          config,
          models: ["tiny"],
          query: { text: "lungs are clear" },
          encoders,
        });
        expect(after.results[0]!.collection).toBe("tiny__images__v2");

        // A third version drops the first (the live one and the one it replaced stay).
        const third = await indexDataset({
          db,
          store,
          config,
          modelId: "tiny",
          datasetName: "first",
          modality: "images",
          reindex: true,
        });
        expect(third.results[0]).toMatchObject({
          collection: "tiny__images__v3",
          dropped: ["tiny__images__v1"],
        });
        expect((await store.listCollections()).filter((c) => c.startsWith("tiny__images")).sort()).toEqual([
          "tiny__images__v2",
          "tiny__images__v3",
        ]);
      } finally {
        await encoders.close();
      }
    },
  );

  it.runIf(run)(
    "searches text -> images, image -> reports, image id -> images, with several models side by side",
    async () => {
      const { db, store, first } = await setup();
      const bundle = fresh("tiny6");
      await writeTinyBundle(bundle, { id: "tiny6", dimension: 6 });
      await addModel(db, { ...config, modelsDir: fresh("models") }, bundle);
      await indexDataset({ db, store, config, modelId: "tiny", datasetName: "first", modality: "both" });
      await indexDataset({ db, store, config, modelId: "tiny6", datasetName: "first", modality: "images" });
      await indexDataset({
        db,
        store,
        config,
        modelId: "tiny6",
        datasetName: "first",
        modality: "reports",
        textField: "full",
      });

      const text = await search({
        db,
        store,
        config,
        models: ["tiny", "tiny6"],
        query: { text: "right pneumothorax" },
        k: 4,
      });
      expect(text.target).toBe("images");
      expect(text.results.map((r) => [r.model, r.collection, r.hits.length])).toEqual([
        ["tiny", "tiny__images__v1", 4],
        ["tiny6", "tiny6__images__v1", 4],
      ]);
      expectSortedScores(text);
      const hit = text.results[0]!.hits[0]!;
      const image = first.images.find((i) => i.id === hit.image?.id)!;
      expect(hit).toMatchObject({ rank: 1, dataset: "first", studyId: image.studyId });
      expect(hit.image).toMatchObject({ path: image.path, externalId: image.externalId, width: 16 });

      // Image -> reports: every report comes back with its text for display.
      const bytes = fixtureImage(7, 0);
      const reports = await search({ db, store, config, models: ["tiny"], query: { image: bytes }, k: 20 });
      expect(reports.target).toBe("reports");
      expect(reports.results[0]!.hits).toHaveLength(11);
      expectSortedScores(reports);
      const impressions = reports.results[0]!.hits.map((h) => h.report?.impression);
      expect(impressions).toContain(fixtureImpression(7));
      // The whole report comes too, so one without recognised sections still has text to show.
      for (const h of reports.results[0]!.hits) {
        const row = await db.prisma.report.findUniqueOrThrow({ where: { id: h.report!.id } });
        expect(h.report!.fullText).toBe(row.fullText);
      }
      expect(new Set(reports.results[0]!.hits.map((h) => h.report?.textField))).toEqual(
        new Set(["impression"]),
      );
      const full = await search({ db, store, config, models: ["tiny6"], query: { image: bytes }, k: 3 });
      expect(full.results[0]!.hits.map((h) => h.report?.textField)).toEqual([
        "fullText",
        "fullText",
        "fullText",
      ]);

      // Image id -> images: the image itself is not among its neighbours; filters and minScore apply.
      const own = first.images.find((i) => i.externalId === "s0007_0.png")!;
      const similar = await search({
        db,
        store,
        config,
        models: ["tiny"],
        query: { imageId: own.id },
        k: 50,
        filter: { view: "PA" },
      });
      const ids = similar.results[0]!.hits.map((h) => h.image?.id);
      expect(ids).not.toContain(own.id);
      expect(ids).toHaveLength(10); // 12 PA images, one not indexed (corrupt), one is the query
      const scores = similar.results[0]!.hits.map((h) => h.score);
      const cut = scores[4]!;
      const above = await search({
        db,
        store,
        config,
        models: ["tiny"],
        query: { image: await readFile(own.path) },
        target: "images",
        k: 50,
        minScore: cut,
      });
      expect(above.results[0]!.hits.every((h) => h.score >= cut)).toBe(true);
      expect(above.results[0]!.hits.length).toBeLessThan(17);
    },
  );

  it.runIf(run)("refuses bad input with typed errors and writes nothing", async () => {
    const { db, store } = await setup();
    const bundle = fresh("tiny6");
    await writeTinyBundle(bundle, { id: "tiny6", dimension: 6 });
    await addModel(db, { ...config, modelsDir: fresh("models") }, bundle);
    await indexDataset({ db, store, config, modelId: "tiny", datasetName: "first", modality: "images" });
    const base = { db, store, config };
    const text = { text: "lungs are clear" };

    expect((await rejection(search({ ...base, models: ["nope"], query: text }))).code).toBe("UNKNOWN_MODEL");
    expect((await rejection(search({ ...base, models: ["tiny6"], query: text }))).code).toBe("NOT_INDEXED");
    const notIndexed = await rejection(
      search({ ...base, models: ["tiny"], query: { image: fixtureImage(1, 0) } }),
    );
    expect(notIndexed).toMatchObject({
      code: "NOT_INDEXED",
      message: expect.stringContaining("no reports index"),
    });
    for (const k of [0, -1, 1.5, 100_000]) {
      expect((await rejection(search({ ...base, models: ["tiny"], query: text, k }))).code).toBe("INVALID_K");
    }
    expect((await rejection(search({ ...base, models: ["tiny"], query: { text: "  " } }))).code).toBe(
      "EMPTY_TEXT",
    );
    const undecodable = await rejection(
      search({ ...base, models: ["tiny"], query: { image: Buffer.from("plain text") }, target: "images" }),
    );
    expect(undecodable.code).toBe("INVALID_IMAGE");
    expect(undecodable.kind).toBe("invalid");
    expect((await rejection(search({ ...base, models: ["tiny"], query: { imageId: "nope" } }))).code).toBe(
      "UNKNOWN_IMAGE",
    );
    const badFilter = search({ ...base, models: ["tiny"], query: text, filter: { colour: "red" } as never });
    expect((await rejection(badFilter)).code).toBe("INVALID_ARGUMENT");
    expect((await rejection(search({ ...base, models: ["tiny"], query: text, minScore: 2 }))).code).toBe(
      "INVALID_ARGUMENT",
    );

    const index = { ...base, modelId: "tiny", datasetName: "first", modality: "images" as const };
    expect((await rejection(indexDataset({ ...index, modelId: "nope" }))).code).toBe("UNKNOWN_MODEL");
    expect((await rejection(indexDataset({ ...index, datasetName: "nope" }))).code).toBe("UNKNOWN_DATASET");
    expect((await rejection(indexDataset({ ...index, batchSize: 0 }))).code).toBe("INVALID_ARGUMENT");
    expect((await rejection(indexDataset({ ...index, modality: "pixels" as never }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect((await rejection(indexDataset({ ...index, textField: "summary" as never }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    await db.prisma.dataset.update({ where: { name: "first" }, data: { status: "ingesting" } });
    expect((await rejection(indexDataset({ ...index, reindex: true }))).code).toBe("DATASET_NOT_READY");
    expect(await db.prisma.indexJob.count()).toBe(1);
    expect(await store.listCollections()).toEqual(["tiny__images__v1"]);

    // Removing a model's vectors leaves other models' collections alone.
    expect(await dropModelCollections(store, "tiny6")).toEqual([]);
    expect(await dropModelCollections(store, "tiny")).toEqual(["tiny__images__v1"]);
    expect(await store.resolveAlias("tiny__images")).toBeNull();
    expect(await store.listCollections()).toEqual([]);
  });
});
