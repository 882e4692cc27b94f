import { execFileSync } from "node:child_process";
import { constants, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { type FileHandle, open, unlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type StartIndexInput,
  TestCancelJobDocument,
  TestDatasetsDocument,
  TestJobDocument,
  type TestJobFieldsFragment,
  TestJobsDocument,
  TestModelsDocument,
  TestNodeDocument,
  TestRetryJobDocument,
  TestStartBenchmarkDocument,
  TestStartIndexDocument,
} from "@cxr/api-client/testing";
import { type Config, loadConfig } from "@cxr/config";
import { addModel } from "@cxr/services";
import {
  postgresAvailable,
  seedDataset,
  type TempDatabase,
  tempDatabase,
  writeTinyBundle,
} from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiServices, type StartedApiServer, startApiServer } from "../src/index.ts";
import { failure, testClient } from "./client.ts";

/**
 * Jobs over the API, end to end: the real server on a free port, a tiny model and seeded datasets
 * in SQLite and (when it answers) PostgreSQL; jobs started over GraphQL (the typed client) run in
 * the server process (the in-process runner), including a restart of the server midway.
 */

type Job = TestJobFieldsFragment;
const active = (j: Job) => j.status === "QUEUED" || j.status === "RUNNING";

const pgUp = await postgresAvailable();

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("jobs over the API on $dialect", ({ dialect, run }) => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-api-jobs-"));
  let temp: TempDatabase | undefined;
  let config: Config;
  let server: StartedApiServer | undefined;

  async function start(): Promise<StartedApiServer> {
    // polled often (to catch a job midway), so over the default per-IP rate limit
    server = await startApiServer(await openApiServices(config), {
      port: 0,
      limits: { requestsPerMinute: 100_000 },
    });
    return server;
  }

  const api = () => testClient(server!.url);

  async function job(id: string): Promise<Job> {
    return (await api().request(TestJobDocument, { id })).job;
  }

  async function until(id: string, done: (job: Job) => boolean, everyMs = 200): Promise<Job> {
    const seen: string[] = [];
    for (;;) {
      const j = await job(id);
      seen.push(`${Date.now() % 100000} ${j.status} ${j.progress?.done}`);
      if (done(j)) return j;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      if (!active(j)) throw new Error(`job ended: ${seen.join(", ")}`);
    }
  }

  /** The paths of the "large" dataset's images, in the order an index job reads them (by id). */
  let largeImages: string[] = [];

  /**
   * Holds an index job at one image, whatever the machine's speed: the file becomes a FIFO, so the
   * job's read of it waits for a writer. `reached()` resolves once the job has opened it (it is then
   * midway, and cannot pass); `release()` writes the original bytes, so the job reads the image as
   * it was, and puts the regular file back.
   */
  function gateImage(file: string) {
    const bytes = readFileSync(file);
    rmSync(file);
    execFileSync("mkfifo", [file]);
    let writer: FileHandle | undefined;
    return {
      /** Waits for the job to open the FIFO; `ended` says when it has stopped without reaching it. */
      async reached(ended: () => Promise<boolean>): Promise<void> {
        for (let tries = 1; ; tries++) {
          try {
            // non-blocking: ENXIO until a reader has the FIFO open; the job's read then waits for data
            writer = await open(file, constants.O_WRONLY | constants.O_NONBLOCK);
            return;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ENXIO") throw error;
            if (tries % 20 === 0 && (await ended())) throw new Error("the job ended before the held image");
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      },
      /** Lets a waiting job read the image (a reader keeps its open FIFO), then restores the file. */
      async release(): Promise<void> {
        if (writer !== undefined) {
          await writer.write(bytes);
          await writer.close();
          writer = undefined;
        }
        await unlink(file);
        writeFileSync(file, bytes);
      },
    };
  }

  const startIndex = async (input: StartIndexInput) =>
    (await api().request(TestStartIndexDocument, { input })).startIndex;
  const cancel = async (id: string) => (await api().request(TestCancelJobDocument, { id })).cancelJob;
  const jobCount = async () => (await api().request(TestJobsDocument, {})).jobs.totalCount;

  beforeAll(async () => {
    if (!run) return;
    temp = await tempDatabase(dialect);
    config = loadConfig(
      {
        CXR_DATA_DIR: path.join(work, "data"),
        CXR_EXECUTION_PROVIDERS: "cpu",
        CXR_CPU_THREADS: "1",
        CXR_BATCH_SIZE: "4",
        DATABASE_URL: temp.config.database.url,
      },
      work,
    );
    const services = await openApiServices(config);
    const bundle = path.join(work, "bundle");
    await writeTinyBundle(bundle, { id: "tiny" });
    await addModel(services.db, config, bundle);
    await seedDataset(services.db, { dir: path.join(work, "small"), name: "small", studies: 6, side: 16 });
    await seedDataset(services.db, { dir: path.join(work, "large"), name: "large", studies: 80, side: 16 });
    // what an ingest would have recorded (seedDataset does not): a benchmark needs the split's fingerprint
    await services.db.prisma.split.updateMany({ data: { fingerprint: "f".repeat(64) } });
    largeImages = (
      await services.db.prisma.image.findMany({
        where: { study: { dataset: { name: "large" } } },
        orderBy: { id: "asc" },
        select: { path: true },
      })
    ).map((i) => i.path);
    await services.close();
    await start();
  });

  afterAll(async () => {
    await server?.close();
    await temp?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it.runIf(run)("startIndex returns the job at once; it runs in the server to completion", async () => {
    const started = await startIndex({ model: "tiny", dataset: "small", modality: "IMAGES", batchSize: 2 });
    expect(started).toMatchObject({ kind: "INDEX", attempts: expect.any(Number) });
    expect(["QUEUED", "RUNNING"]).toContain(started.status);
    const done = await until(started.id, (j) => !active(j));
    expect(done).toMatchObject({ status: "COMPLETED", attempts: 1, error: null });
    expect(done.progress).toMatchObject({ unit: "items", phase: "images done" });
    expect(done.progress!.done).toBe(done.progress!.total);
    expect(JSON.parse(done.result!)).toMatchObject({
      model: "tiny",
      dataset: "small",
      results: [{ modality: "images", status: "completed", processed: done.progress!.total }],
    });
    // The database id works too, and the job is a Node.
    expect((await job(started.jobId)).id).toBe(started.id);
    const node = await api().request(TestNodeDocument, { id: started.id });
    expect(node.node).toMatchObject({ __typename: "Job", jobId: started.jobId, status: "COMPLETED" });
    const list = await api().request(TestJobsDocument, { first: 10, status: "COMPLETED" });
    expect(list.jobs.edges.map((e) => e.node.id)).toContain(started.id);
  });

  it.runIf(run)("startBenchmark runs a small benchmark in the server to completion", async () => {
    const input = {
      models: ["tiny"],
      dataset: "small",
      split: "train",
      levels: [0, 0.5],
      grid: 4,
      seed: 1,
      bootstrapSamples: 10,
    };
    const started = (await api().request(TestStartBenchmarkDocument, { input })).startBenchmark;
    expect(started).toMatchObject({ kind: "BENCH" });
    const done = await until(started.id, (j) => !active(j));
    expect(done).toMatchObject({ status: "COMPLETED", error: null });
    expect(done.result).toContain('"runId"');
    // a bad one (unknown model) is refused with the service's code and creates nothing
    const before = await jobCount();
    const refused = await failure(
      api().request(TestStartBenchmarkDocument, { input: { ...input, models: ["nope"] } }),
    );
    expect(refused.code).toBe("NOT_FOUND");
    expect(await jobCount()).toBe(before);
  });

  it.runIf(run)("refuses a bad start with a typed code and creates nothing", async () => {
    const before = await jobCount();
    const bad = await failure(startIndex({ model: "nope", dataset: "small" }));
    expect(bad.code).toBe("NOT_FOUND");
    const noDataset = await failure(startIndex({ model: "tiny", dataset: "nope" }));
    expect(noDataset.code).toBe("NOT_FOUND");
    expect((await failure(job("missing"))).code).toBe("NOT_FOUND");
    expect((await failure(cancel("missing"))).code).toBe("NOT_FOUND");
    expect(await jobCount()).toBe(before);
  });

  it.runIf(run)(
    "cancelJob stops a running job and a queued one (waiting for its model and modality's writer)",
    async () => {
      // held at its 11th image, the job is still running when the cancel comes, however fast it is
      const gate = gateImage(largeImages[10]!);
      const running = await startIndex({ model: "tiny", dataset: "large", modality: "IMAGES", batchSize: 1 });
      try {
        await gate.reached(async () => !active(await job(running.id)));
        const queued = await startIndex({
          model: "tiny",
          dataset: "small",
          modality: "IMAGES",
          batchSize: 1,
        });
        expect(queued.status).toBe("QUEUED");
        expect(await cancel(queued.id)).toMatchObject({ status: "CANCELLED", attempts: 0 });
        // here the cancel records the request, stops the job and waits for it to stop: the job is
        // let past the held image once the request is recorded
        const cancelling = cancel(running.id);
        await until(running.id, (j) => j.cancelRequested, 10);
        await gate.release();
        const cancelled = await cancelling;
        expect(cancelled).toMatchObject({ status: "CANCELLED", cancelRequested: true });
        expect(cancelled.progress === null || cancelled.progress!.done < cancelled.progress!.total!).toBe(
          true,
        );
        expect((await failure(cancel(running.id))).code).toBe("CONFLICT");
        // stays cancelled: polled again, it is not picked up
        expect((await job(queued.id)).status).toBe("CANCELLED");
      } finally {
        await gate.release();
      }
    },
  );

  it.runIf(run)(
    "a restart in the middle of a job leaves it interrupted; the same start resumes the same job",
    async () => {
      const input: StartIndexInput = { model: "tiny", dataset: "large", modality: "IMAGES", batchSize: 1 };
      // the job cannot pass the 41st image until released: it is midway when the server stops (the
      // cancelled job above indexed the first dozen or so, and this one carries on after them)
      const gate = gateImage(largeImages[40]!);
      const first = await startIndex(input);
      await gate.reached(async () => !active(await job(first.id)));
      const midway = await job(first.id);
      expect(midway.status).toBe("RUNNING");
      // the server's runner stops its jobs at their next safe point: after the held image
      const closed = server!.close();
      await gate.release();
      await closed;
      server = undefined;
      await start();
      const stopped = await job(first.id);
      expect(stopped).toMatchObject({ status: "INTERRUPTED", attempts: 1 });
      const stoppedAt = stopped.progress!.done;
      expect(stoppedAt).toBeLessThan(stopped.progress!.total!);

      const resumed = await startIndex(input);
      expect(resumed.id).toBe(first.id);
      const done = await until(first.id, (j) => !active(j));
      expect(done).toMatchObject({ status: "COMPLETED", attempts: 2 });
      const result = JSON.parse(done.result!).results[0];
      expect(result).toMatchObject({ resumed: true, status: "completed" });
      expect(result.processed + result.failed).toBe(result.total);
      // nothing duplicated: one job for the request, one point per image in the collection
      const jobs = await api().request(TestJobsDocument, { first: 100 });
      const same = await Promise.all(jobs.jobs.edges.map((e) => job(e.node.id)));
      expect(same.filter((j) => j.id === first.id)).toHaveLength(1);
      const { models } = await api().request(TestModelsDocument, {});
      const imagesIndex = models[0]!.indexes.filter((i) => i.modality === "IMAGES");
      expect(imagesIndex.map((i) => i.dataset)).toContain("large");
      // the images collection holds one point per image of small and large: none written twice
      const images = (await api().request(TestDatasetsDocument, {})).datasets
        .filter((d) => d.name === "small" || d.name === "large")
        .reduce((n, d) => n + d.imageCount, 0);
      for (const index of imagesIndex) expect(index.points).toBe(images);
    },
  );

  it.runIf(run)(
    "retryJob schedules a failed job again (it resumes); CONFLICT for a job that is not failed",
    async () => {
      // The registered copy of the bundle is away: the job fails loudly with the reason.
      const bundle = path.join(config.modelsDir, "tiny");
      renameSync(bundle, `${bundle}-away`);
      let failed: Job;
      try {
        const started = await startIndex({
          model: "tiny",
          dataset: "small",
          modality: "REPORTS",
          batchSize: 2,
        });
        failed = await until(started.id, (j) => j.status === "FAILED").catch(async () => job(started.id));
      } finally {
        renameSync(`${bundle}-away`, bundle);
      }
      expect(failed).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(failed.error).toMatch(/cannot be loaded/);
      const retry = async (id: string) => (await api().request(TestRetryJobDocument, { id })).retryJob;
      expect((await retry(failed.id)).id).toBe(failed.id);
      const done = await until(failed.id, (j) => j.status === "COMPLETED");
      expect(done).toMatchObject({ attempts: 2, error: null });
      expect((await failure(retry(failed.id))).code).toBe("CONFLICT");
      // No queue configured: readiness says so (null), and is not held against the server.
      const ready = await (await fetch(`${server!.url}/readyz`)).json();
      expect(ready).toMatchObject({ ok: true, queue: null });
    },
  );

  // the queue, not the database, is under test here: once is enough
  it.runIf(run && dialect === "sqlite")(
    "with REDIS_URL unreachable: /readyz is 503 naming the queue, and a start is UNAVAILABLE with nothing scheduled",
    async () => {
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as { port: number };
          probe.close(() => resolve(port));
        });
      });
      const queued = await startApiServer(
        await openApiServices({ ...config, redisUrl: `redis://127.0.0.1:${port}` }),
        { port: 0 },
      );
      try {
        const res = await fetch(`${queued.url}/readyz`);
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ ok: false, database: true, queue: false });
        const refused = await failure(
          testClient(queued.url).request(TestStartIndexDocument, {
            input: { model: "tiny", dataset: "small", modality: "IMAGES" },
          }),
        );
        expect(refused.code).toBe("UNAVAILABLE");
        expect(refused.message).toMatch(/queue/);
      } finally {
        await queued.close();
      }
    },
  );
});
