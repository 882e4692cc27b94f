import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  addModel,
  executeJob,
  getJob,
  type IndexResult,
  IndexSearchError,
  JobError,
  type JobProgress,
  listJobs,
  openServices,
  prepareJob,
  requestCancel,
  type Services,
} from "../src/index.ts";
import { seedDataset } from "../src/testing/index.ts";

/**
 * Jobs over the real index use case (SQLite, the embedded store, the tiny ONNX bundle): prepare
 * returns a row at once, execute records status, progress and outcome in it, an abort leaves it
 * resumable, a cancel through the row stops it, the in-process runner keeps one writer per
 * (model, modality).
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-jobs-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(work, `${name}-${++n}`);

let services: Services | undefined;
afterEach(async () => {
  await services?.close();
  services = undefined;
});

async function setup(datasets: string[] = ["first"]): Promise<Services> {
  const dir = fresh("data");
  services = openServices(loadConfig({ CXR_DATA_DIR: dir, CXR_CPU_THREADS: "1", CXR_BATCH_SIZE: "4" }, dir));
  const db = await services.database();
  const bundle = fresh("tiny");
  await writeTinyBundle(bundle, { id: "tiny" });
  await addModel(db, services.config, bundle);
  for (const name of datasets) await seedDataset(db, { dir: fresh(name), name, studies: 8 });
  return services;
}

const indexParameters = (dataset = "first") => ({
  modelId: "tiny",
  datasetName: dataset,
  modality: "images",
  batchSize: 2,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("jobs", () => {
  it("prepare refuses bad requests with the use case's typed error and writes no row", async () => {
    const s = await setup();
    const unknownModel = await rejection(prepareJob(s, "index", { ...indexParameters(), modelId: "nope" }));
    expect(unknownModel).toBeInstanceOf(IndexSearchError);
    expect((unknownModel as IndexSearchError).code).toBe("UNKNOWN_MODEL");
    const badKind = await rejection(prepareJob(s, "reticulate", {}));
    expect((badKind as JobError).code).toBe("INVALID_ARGUMENT");
    const extra = await rejection(prepareJob(s, "index", { ...indexParameters(), colour: "red" }));
    expect((extra as JobError).code).toBe("INVALID_ARGUMENT");
    const batch = await rejection(prepareJob(s, "index", { ...indexParameters(), batchSize: 0 }));
    expect((batch as IndexSearchError).code).toBe("INVALID_ARGUMENT");
    expect((await listJobs(s)).total).toBe(0);
    expect(((await rejection(getJob(s, "missing"))) as JobError).code).toBe("UNKNOWN_JOB");
  });

  it("prepare returns a queued row at once; execute completes it with one progress envelope and links the IndexJob", async () => {
    const s = await setup();
    const job = await prepareJob(s, "index", indexParameters());
    expect(job).toMatchObject({ kind: "index", status: "queued", attempts: 0, progress: null });
    // The same request before it ran: the same job.
    expect((await prepareJob(s, "index", indexParameters())).id).toBe(job.id);

    const seen: JobProgress[] = [];
    const { job: done, result } = await executeJob<IndexResult>(s, job.id, {
      onProgress: (p) => seen.push(p),
    });
    expect(done).toMatchObject({ id: job.id, status: "completed", attempts: 1, error: null });
    expect(result.results[0]).toMatchObject({ modality: "images", status: "completed" });
    const total = result.results[0]!.total;
    expect(total).toBeGreaterThan(2);
    expect(seen.length).toBeGreaterThan(2);
    for (const p of seen) {
      expect(Object.keys(p).sort()).toEqual([
        "done",
        "eta",
        "jobId",
        "kind",
        "phase",
        "rate",
        "total",
        "unit",
      ]);
      expect(p).toMatchObject({ jobId: job.id, kind: "index", unit: "items", total });
    }
    expect(seen.at(-1)).toMatchObject({ phase: "images done", done: total });
    expect(done.progress).toMatchObject({ done: total, total });
    expect(done.result).toMatchObject({ model: "tiny", dataset: "first" });
    const { prisma } = await s.database();
    expect(await prisma.indexJob.findMany({ select: { jobId: true } })).toEqual([{ jobId: job.id }]);

    // Executing a completed job again is idempotent; a new start after completion is a new job.
    expect((await executeJob(s, job.id)).job.status).toBe("completed");
    const again = await prepareJob(s, "index", indexParameters());
    expect(again.id).not.toBe(job.id);
    const second = await executeJob<IndexResult>(s, again.id);
    expect(second.result.results[0]!.status).toBe("up-to-date");
  });

  it("an abort leaves the job interrupted; the same start resumes the same job after its cursor", async () => {
    const s = await setup();
    const job = await prepareJob(s, "index", indexParameters());
    const controller = new AbortController();
    const error = await rejection(
      executeJob(s, job.id, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 2) controller.abort(new Error("stop"));
        },
      }),
    );
    expect((error as Error).message).toBe("stop");
    const stopped = await getJob(s, job.id);
    expect(stopped).toMatchObject({ status: "interrupted", attempts: 1 });
    const stoppedAt = stopped.progress!.done;
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(stopped.progress!.total!);

    const resumed = await prepareJob(s, "index", indexParameters());
    expect(resumed.id).toBe(job.id);
    const firstDone: number[] = [];
    const { job: done, result } = await executeJob<IndexResult>(s, job.id, {
      onProgress: (p) => firstDone.push(p.done),
    });
    expect(done).toMatchObject({ status: "completed", attempts: 2, error: null });
    expect(result.results[0]!.resumed).toBe(true);
    // It went on from the cursor, not from zero.
    expect(firstDone[0]).toBeGreaterThanOrEqual(stoppedAt);
    expect(result.results[0]!.processed + result.results[0]!.failed).toBe(result.results[0]!.total);
  });

  it("a cancel requested through the row (as from another process) stops a running job at its next safe point", async () => {
    const s = await setup();
    const job = await prepareJob(s, "index", indexParameters());
    let asked = false;
    const error = await rejection(
      executeJob(s, job.id, {
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (!asked && p.done >= 2) {
            asked = true;
            void requestCancel(s, job.id);
          }
        },
      }),
    );
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).code).toBe("JOB_CANCELLED");
    const cancelled = await getJob(s, job.id);
    expect(cancelled).toMatchObject({ status: "cancelled", cancelRequested: true });
    expect(cancelled.progress!.done).toBeLessThan(cancelled.progress!.total!);
    expect(((await rejection(requestCancel(s, job.id))) as JobError).code).toBe("JOB_FINISHED");
    // A new start is a new job, which still continues the index where the cancelled one stopped.
    const next = await prepareJob(s, "index", indexParameters());
    expect(next.id).not.toBe(job.id);
    const { result } = await executeJob<IndexResult>(s, next.id);
    expect(result.results[0]!.resumed).toBe(true);
  });

  it("the in-process runner returns at once, runs in the background, one writer per (model, modality)", async () => {
    const s = await setup(["first", "second"]);
    const a = await s.jobs.start("index", indexParameters("first"));
    const b = await s.jobs.start("index", indexParameters("second"));
    expect(["queued", "running"]).toContain(a.status);
    expect(b.status).toBe("queued"); // waits for a's writer
    const [doneA, doneB] = await Promise.all([s.jobs.wait(a.id), s.jobs.wait(b.id)]);
    expect(doneA.status).toBe("completed");
    expect(doneB.status).toBe("completed");
    expect(doneB.startedAt!.getTime()).toBeGreaterThanOrEqual(doneA.finishedAt!.getTime());

    // A queued job cancelled before its writer is free never runs.
    const c = await s.jobs.start("index", { ...indexParameters("first"), reindex: true });
    const d = await s.jobs.start("index", { ...indexParameters("second"), reindex: true });
    const cancelled = await s.jobs.cancel(d.id);
    expect(cancelled).toMatchObject({ status: "cancelled", attempts: 0 });
    expect((await s.jobs.wait(c.id)).status).toBe("completed");

    const page = await listJobs(s, { first: 2 });
    expect(page.jobs.map((j) => j.id)).toEqual([d.id, c.id]);
    expect(page).toMatchObject({ hasNextPage: true, total: 4 });
    const rest = await listJobs(s, { first: 2, after: page.endCursor });
    expect(rest.jobs.map((j) => j.id)).toEqual([b.id, a.id]);
    expect(rest.hasNextPage).toBe(false);
    expect((await listJobs(s, { status: "cancelled" })).jobs.map((j) => j.id)).toEqual([d.id]);
  });
});
