// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Config, loadConfig } from "@cxr/config";
import { addModel } from "@cxr/services";
import { seedDataset, type TempDatabase, tempDatabase, writeTinyBundle } from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiServices, type StartedApiServer, startApiServer } from "../src/index.ts";

/**
 * Jobs over the API, end to end: the real server on a free port, a tiny model and seeded datasets
 * in SQLite; jobs started over GraphQL run in the server process (the in-process runner).
 */

const JOB =
  "id jobId kind status attempts error cancelRequested result progress { phase done total unit rate eta }";

describe("jobs over the API", () => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-api-jobs-"));
  let temp: TempDatabase | undefined;
  let config: Config;
  let server: StartedApiServer | undefined;

  async function start(): Promise<StartedApiServer> {
    server = await startApiServer(await openApiServices(config), { port: 0 });
    return server;
  }

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${server!.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: any[] };
  }

  async function job(id: string): Promise<any> {
    const body = await gql(`query($id: ID!) { job(id: $id) { ${JOB} } }`, { id });
    expect(body.errors).toBeUndefined();
    return body.data.job;
  }

  async function until(id: string, done: (job: any) => boolean): Promise<any> {
    const seen: string[] = [];
    for (;;) {
      const j = await job(id);
      seen.push(`${Date.now() % 100000} ${j.status} ${j.progress?.done}`);
      if (done(j)) return j;
      // Well under the server's request rate limit.
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (j.status !== "QUEUED" && j.status !== "RUNNING") throw new Error(`job ended: ${seen.join(", ")}`);
    }
  }

  const startIndex = async (input: Record<string, unknown>) => {
    const body = await gql(`mutation($input: StartIndexInput!) { startIndex(input: $input) { ${JOB} } }`, {
      input,
    });
    expect(body.errors).toBeUndefined();
    return body.data.startIndex;
  };

  beforeAll(async () => {
    temp = await tempDatabase("sqlite");
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
    await services.close();
    await start();
  });

  afterAll(async () => {
    await server?.close();
    await temp?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it("startIndex returns the job at once; it runs in the server to completion", async () => {
    const started = await startIndex({ model: "tiny", dataset: "small", modality: "IMAGES", batchSize: 2 });
    expect(started).toMatchObject({ kind: "INDEX", attempts: expect.any(Number) });
    expect(["QUEUED", "RUNNING"]).toContain(started.status);
    const done = await until(started.id, (j) => j.status !== "QUEUED" && j.status !== "RUNNING");
    expect(done).toMatchObject({ status: "COMPLETED", attempts: 1, error: null });
    expect(done.progress).toMatchObject({ unit: "items", phase: "images done" });
    expect(done.progress.done).toBe(done.progress.total);
    expect(JSON.parse(done.result)).toMatchObject({
      model: "tiny",
      dataset: "small",
      results: [{ modality: "images", status: "completed", processed: done.progress.total }],
    });
    // The database id works too, and the job is a Node.
    expect((await job(started.jobId)).id).toBe(started.id);
    const node = await gql(`query($id: ID!) { node(id: $id) { ... on Job { jobId status } } }`, {
      id: started.id,
    });
    expect(node.data.node).toEqual({ jobId: started.jobId, status: "COMPLETED" });
    const list = await gql(`{ jobs(first: 10, status: COMPLETED) { totalCount edges { node { id } } } }`);
    expect(list.data.jobs.edges.map((e: any) => e.node.id)).toContain(started.id);
  });

  it("refuses a bad start with a typed code and creates nothing", async () => {
    const before = (await gql(`{ jobs { totalCount } }`)).data.jobs.totalCount;
    const body = await gql(`mutation { startIndex(input: { model: "nope", dataset: "small" }) { id } }`);
    expect(body.errors![0].extensions.code).toBe("NOT_FOUND");
    const missing = await gql(`{ job(id: "missing") { id } }`);
    expect(missing.errors![0].extensions.code).toBe("NOT_FOUND");
    expect((await gql(`{ jobs { totalCount } }`)).data.jobs.totalCount).toBe(before);
  });

  it("cancelJob stops a running job and a queued one (waiting for its model and modality's writer)", async () => {
    const running = await startIndex({ model: "tiny", dataset: "large", modality: "REPORTS", batchSize: 1 });
    const queued = await startIndex({ model: "tiny", dataset: "small", modality: "REPORTS", batchSize: 1 });
    expect(queued.status).toBe("QUEUED");
    const cancelQueued = await gql(`mutation($id: ID!) { cancelJob(id: $id) { ${JOB} } }`, { id: queued.id });
    expect(cancelQueued.data.cancelJob).toMatchObject({ status: "CANCELLED", attempts: 0 });
    const cancelRunning = await gql(`mutation($id: ID!) { cancelJob(id: $id) { ${JOB} } }`, {
      id: running.id,
    });
    expect(cancelRunning.errors).toBeUndefined();
    const cancelled = cancelRunning.data.cancelJob;
    expect(cancelled).toMatchObject({ status: "CANCELLED", cancelRequested: true });
    expect(cancelled.progress === null || cancelled.progress.done < cancelled.progress.total).toBe(true);
    const again = await gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: running.id });
    expect(again.errors![0].extensions.code).toBe("CONFLICT");
  });

  it("a restart in the middle of a job leaves it interrupted; the same start resumes the same job", async () => {
    const input = { model: "tiny", dataset: "large", modality: "IMAGES", batchSize: 1 };
    const first = await startIndex(input);
    const midway = await until(first.id, (j) => j.progress?.done >= 3);
    expect(midway.status).toBe("RUNNING");
    await server!.close(); // the server's runner stops its jobs at their next safe point
    server = undefined;
    await start();
    const stopped = await job(first.id);
    expect(stopped).toMatchObject({ status: "INTERRUPTED", attempts: 1 });
    const stoppedAt = stopped.progress.done;
    expect(stoppedAt).toBeLessThan(stopped.progress.total);

    const resumed = await startIndex(input);
    expect(resumed.id).toBe(first.id);
    const done = await until(first.id, (j) => j.status !== "QUEUED" && j.status !== "RUNNING");
    expect(done).toMatchObject({ status: "COMPLETED", attempts: 2 });
    const result = JSON.parse(done.result).results[0];
    expect(result).toMatchObject({ resumed: true, status: "completed" });
    expect(result.processed + result.failed).toBe(result.total);
  });

  it("retryJob schedules a failed job again (it resumes); CONFLICT for a job that is not failed", async () => {
    // The registered copy of the bundle is away: the job fails loudly with the reason.
    const bundle = path.join(config.modelsDir, "tiny");
    renameSync(bundle, `${bundle}-away`);
    let failed: any;
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
    const retried = await gql(`mutation($id: ID!) { retryJob(id: $id) { ${JOB} } }`, { id: failed.id });
    expect(retried.errors).toBeUndefined();
    const done = await until(failed.id, (j) => j.status === "COMPLETED");
    expect(done).toMatchObject({ attempts: 2, error: null });
    const again = await gql(`mutation($id: ID!) { retryJob(id: $id) { id } }`, { id: failed.id });
    expect(again.errors![0].extensions.code).toBe("CONFLICT");
    // No queue configured: readiness says so (null), and is not held against the server.
    const ready = await (await fetch(`${server!.url}/readyz`)).json();
    expect(ready).toMatchObject({ ok: true, queue: null });
  });

  it("with REDIS_URL unreachable: /readyz is 503 naming the queue, and a start is UNAVAILABLE with nothing scheduled", async () => {
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
      const body: any = await (
        await fetch(`${queued.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            query: `mutation { startIndex(input: { model: "tiny", dataset: "small", modality: IMAGES }) { id } }`,
          }),
        })
      ).json();
      expect(body.errors[0].extensions.code).toBe("UNAVAILABLE");
      expect(body.errors[0].message).toMatch(/queue/);
    } finally {
      await queued.close();
    }
  });
});
