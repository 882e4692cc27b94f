import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Config } from "@cxr/config";
import type { DatasetModel as Dataset, ModelModel as Model } from "@cxr/db";
import type { ModelEncoder } from "@cxr/encoders";
import { EmbeddedVectorStore } from "@cxr/store";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { IndexSearchError } from "../src/index-job/errors.ts";
import { checkIndexRequest, indexModality } from "../src/index-job/job.ts";
import { MemoryIndexRepository } from "./support/memory-index-repository.ts";

/**
 * The indexing recipe (`indexModality`) on an in-memory repository (no database) and the embedded
 * vector store in a temporary folder, with a stand-in encoder: what a user relies on from
 * `cxr index` — every item written under its own point, a second run that finds the index up to date,
 * a stop between batches resumed from the cursor without duplicates, a failed item counted and named
 * while the job goes on, another process's cursor move refused. The same recipe on SQLite and
 * PostgreSQL with real ONNX sessions is tested in index-job.integration.test.ts.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const DIMENSION = 4;
const model = {
  id: "tiny",
  dimension: DIMENSION,
  fingerprint: "f".repeat(64),
  addedAt: new Date(Date.UTC(2025, 0, 1)),
} as Model;
const dataset = { id: "d1", name: "set", fingerprint: "v2:abc", status: "ready" } as Dataset;

/** A stand-in for the model's text encoder: a fixed vector per text; a text with "unreadable" fails. */
const encoder = {
  async encodeTexts(items: { text: string; name: string }[]) {
    return items.map(({ text, name }) =>
      text.includes("unreadable")
        ? {
            ok: false as const,
            error: Object.assign(new Error(`${name}: TOO_LONG: too long`), { code: "TOO_LONG" }),
          }
        : {
            ok: true as const,
            embedding: Float32Array.from({ length: DIMENSION }, (_, i) => text.length + i + 1),
          },
    );
  },
} as unknown as ModelEncoder;

let repo: MemoryIndexRepository;
let store: EmbeddedVectorStore;

beforeEach(() => {
  repo = new MemoryIndexRepository();
  repo.models.push(model);
  repo.datasets.push(dataset, { ...dataset, id: "d2", name: "half", status: "ingesting" });
  for (let i = 0; i < 10; i++) {
    repo.reports.push({
      id: `r${String(i).padStart(2, "0")}`,
      datasetId: dataset.id,
      split: "test",
      studyId: `s${i}`,
      studyExternalId: `study-${i}`,
      fullText: `report ${i}`,
      findings: null,
      impression: i === 3 ? "unreadable impression" : `impression ${i}`,
    });
  }
  const dir = mkdtempSync(path.join(tmpdir(), "cxr-index-recipe-"));
  dirs.push(dir);
  store = EmbeddedVectorStore.open(dir);
});
afterEach(async () => {
  await store.close();
});

const index = (options: { signal?: AbortSignal; onProgress?: () => void } = {}) =>
  indexModality(
    { db: undefined as never, store, repository: repo, ...options },
    model,
    dataset,
    "reports",
    3,
    async () => encoder,
  );

describe("the indexing recipe (in-memory repository)", () => {
  it("writes every item, names the one that failed, and a second run finds the index up to date", async () => {
    const first = await index();
    expect(first).toMatchObject({
      status: "completed",
      resumed: false,
      total: 10,
      processed: 9,
      failed: 1,
      points: 9,
      alias: expect.any(String),
    });
    expect(first.failures).toEqual([{ itemId: "r03", item: "study-3", reason: "TOO_LONG: too long" }]);
    expect(await store.resolveAlias(first.alias)).toBe(first.collection);
    expect(repo.jobs).toMatchObject([{ status: "completed", cursor: "r09", processed: 9, failed: 1 }]);

    const second = await index();
    expect(second).toMatchObject({ status: "up-to-date", jobId: first.jobId, collection: first.collection });
    expect(repo.jobs).toHaveLength(1);
  });

  it("a stop between batches leaves the job resumable; the next run goes on from its cursor", async () => {
    const controller = new AbortController();
    let batches = 0;
    const stopped = await index({
      signal: controller.signal,
      onProgress: () => {
        if (++batches === 2) controller.abort(new Error("stop"));
      },
    }).catch((e: unknown) => e);
    expect(stopped).toMatchObject({ message: "stop" });
    expect(repo.jobs).toMatchObject([{ status: "running", cursor: "r02", processed: 3 }]);

    const resumed = await index();
    expect(resumed).toMatchObject({ status: "completed", resumed: true, processed: 9, failed: 1, points: 9 });
    expect(repo.jobs).toHaveLength(1);
  });

  it("refuses to record a batch when another process moved the job's cursor", async () => {
    const original = repo.recordBatch.bind(repo);
    repo.recordBatch = async (id, expected, batch) => {
      // Another process records the same batch first.
      await original(id, expected, batch);
      return original(id, expected, batch);
    };
    const conflict = await index().catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(IndexSearchError);
    expect(conflict).toMatchObject({ code: "JOB_CONFLICT" });
    // Left running for the other process: not marked failed.
    expect(repo.jobs[0]!.status).toBe("running");
  });

  it("checks a request against the repository: typed refusals for an unknown model or dataset, or one still being ingested", async () => {
    const check = (modelId: string, datasetName: string, modality = "both") =>
      checkIndexRequest({
        db: undefined as never,
        repository: repo,
        config: { encodeBatchSize: 8 } as Config,
        modelId,
        datasetName,
        // as a queue message or a GraphQL argument would carry it: any string, checked here
        modality: modality as "both",
      });
    const refusal = (pending: Promise<unknown>) =>
      pending.then(
        () => undefined,
        (e: IndexSearchError) => [e.code, e.message],
      );
    expect(await check("tiny", "set")).toMatchObject({
      modalities: ["images", "reports"],
      batchSize: 8,
      model: { id: "tiny" },
      dataset: { name: "set" },
    });
    expect(await refusal(check("nope", "set"))).toEqual([
      "UNKNOWN_MODEL",
      expect.stringContaining('no model "nope" is registered'),
    ]);
    expect(await refusal(check("tiny", "absent"))).toEqual([
      "UNKNOWN_DATASET",
      expect.stringContaining('no dataset "absent" is ingested'),
    ]);
    expect(await refusal(check("tiny", "half"))).toEqual([
      "DATASET_NOT_READY",
      expect.stringContaining("still being ingested"),
    ]);
    expect(await refusal(check("tiny", "set", "pixels"))).toEqual([
      "INVALID_ARGUMENT",
      expect.stringContaining("modality must be"),
    ]);
  });
});
