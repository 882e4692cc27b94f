/**
 * bench/workers: the queue runner's throughput with 1, 2 and 3 `cxr worker` processes, and its
 * overhead against the in-process runner on the same index job (issue "Scale-out", "How it is
 * judged"). Every figure is a ratio to a reference measured in this one run.
 *
 *   pnpm bench:workers [--studies 1000] [--bundle DIR] [--shard 100] [--batch 16] [--cores N]
 *
 * The job: index the images of a seeded dataset (1 or 2 images per study) with the demo model,
 * `reindex` each time so every run encodes every item. Runs, in this order: in-process, queue with 1,
 * 2 and 3 workers, queue with 1 worker again, 1 worker with 1 thread (a diagnostic: the threads'
 * effect apart from the workers'), in-process again (the repeated pairs show the drift of a shared
 * machine). CPU threads are split between the workers so that workers x threads = cores
 * (at least 1 thread each: 3 workers on 2 cores still oversubscribe, said in the output). Workers
 * are started and warmed up before the clock starts (a small index job of another dataset, one
 * shard per worker: each worker's sandboxed child process is started and has the model loaded, as
 * in a worker that has been running); a run is timed from the job's start to its row being
 * completed, so Redis, the flow, the shard rows and the sandboxed children are all counted.
 * The cold start (a worker's first job) is printed apart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../../packages/config/src/index.ts";
import { addModel, executeJob, getJob, openServices, prepareJob } from "../../packages/services/src/index.ts";
import {
  dropQueueKeys,
  poll,
  seedDataset,
  spawnWorker,
  type WorkerProcess,
} from "../../packages/services/src/testing/index.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { values } = parseArgs({
  options: {
    studies: { type: "string", default: "1000" },
    bundle: { type: "string", default: path.join(root, "packages/encoders/models/demo-cxr") },
    shard: { type: "string", default: "100" },
    batch: { type: "string", default: "16" },
    cores: { type: "string", default: String(availableParallelism()) },
    redis: { type: "string", default: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
  },
});
const cores = Number(values.cores);
const work = mkdtempSync(path.join(tmpdir(), "cxr-bench-workers-"));
const prefix = `cxrbench-${process.pid}`;
const env = {
  CXR_DATA_DIR: path.join(work, "data"),
  CXR_EXECUTION_PROVIDERS: "cpu",
  REDIS_URL: values.redis,
  CXR_QUEUE_PREFIX: prefix,
  CXR_SHARD_SIZE: values.shard,
};
const parameters = {
  modelId: "",
  datasetName: "bench",
  modality: "images",
  batchSize: Number(values.batch),
  reindex: true,
};
const workers: WorkerProcess[] = [];

try {
  // Seeding: the whole machine.
  const setup = openServices(loadConfig({ ...env, REDIS_URL: "" }, work));
  const db = await setup.database();
  const { model } = await addModel(db, setup.config, values.bundle);
  parameters.modelId = model.id;
  await seedDataset(db, {
    dir: path.join(work, "set"),
    name: "bench",
    studies: Number(values.studies),
    side: 64,
  });
  // Enough images for one shard per worker: each worker's sandboxed child is started and has the model loaded.
  await seedDataset(db, {
    dir: path.join(work, "warm"),
    name: "warm",
    studies: 2 * Number(values.shard),
    side: 64,
  });
  const items = await db.prisma.image.count({ where: { study: { dataset: { name: "bench" } } } });
  await setup.close();
  console.log(
    `bench/workers: ${items} images, model ${model.id}, shards of ${values.shard}, batches of ${values.batch}, ${cores} cores, load ${loadavg()[0]!.toFixed(1)}`,
  );

  /** In-process: the job executed in this process with every core. */
  const inProcess = async () => {
    const services = openServices(
      loadConfig({ ...env, REDIS_URL: "", CXR_CPU_THREADS: String(cores) }, work),
    );
    try {
      const job = await prepareJob(services, "index", parameters);
      const started = performance.now();
      await executeJob(services, job.id);
      return (performance.now() - started) / 1000;
    } finally {
      await services.close();
    }
  };

  /** Queue: `n` workers started and ready, then the job started through the BullMQ runner. */
  const queued = async (n: number, fixedThreads?: number) => {
    const threads = fixedThreads ?? Math.max(1, Math.floor(cores / n));
    for (let i = 0; i < n; i++) {
      workers.push(spawnWorker({ ...env, CXR_CPU_THREADS: String(threads) }, ["--queues", "index"]));
    }
    await poll(async () => (workers.every((w) => w.stderr().includes("taking")) ? true : undefined), {
      timeoutMs: 120_000,
      what: "the workers to start",
    });
    const services = openServices(loadConfig(env, work));
    try {
      // Warm-up (not timed): a job of its own, so that every worker's child process is up with the model.
      const warm = await services.jobs.start("index", { ...parameters, datasetName: "warm" });
      const warmed = await services.jobs.wait(warm.id);
      if (warmed.status !== "completed") throw new Error(`warm-up ${warmed.status}: ${warmed.error}`);
      const started = performance.now();
      const job = await services.jobs.start("index", parameters);
      const done = await poll(
        async () => {
          const j = await getJob(services, job.id);
          return ["completed", "failed", "cancelled"].includes(j.status) ? j : undefined;
        },
        { timeoutMs: 1_800_000, intervalMs: 50, what: "the job" },
      );
      const seconds = (performance.now() - started) / 1000;
      if (done.status !== "completed") throw new Error(`job ${done.status}: ${done.error}`);
      return { seconds, threads };
    } finally {
      await services.close();
      for (const w of workers.splice(0)) {
        w.stop();
        await w.exited;
      }
    }
  };

  const a1 = await inProcess();
  console.log(`  in-process (${cores} threads): ${a1.toFixed(1)} s, ${(items / a1).toFixed(1)} images/s`);
  const q: Record<number, number[]> = { 1: [], 2: [], 3: [] };
  for (const n of [1, 2, 3, 1]) {
    const { seconds, threads } = await queued(n);
    q[n]!.push(seconds);
    console.log(
      `  queue, ${n} worker${n > 1 ? "s" : ""} x ${threads} thread${threads > 1 ? "s" : ""}: ${seconds.toFixed(1)} s, ${(items / seconds).toFixed(1)} images/s${n * threads > cores ? " (oversubscribed)" : ""}`,
    );
  }
  // Diagnostic: one worker with one thread, to tell the threads' effect from the workers'.
  const single = await queued(1, 1);
  console.log(
    `  queue, 1 worker x 1 thread (diagnostic): ${single.seconds.toFixed(1)} s, ${(items / single.seconds).toFixed(1)} images/s`,
  );
  const a2 = await inProcess();
  console.log(`  in-process again: ${a2.toFixed(1)} s`);

  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const base = mean([a1, a2]);
  const one = mean(q[1]!);
  console.log("\nthroughput ratios (vs 1 worker, same run):");
  for (const n of [1, 2, 3]) console.log(`  ${n} worker(s): ${(one / mean(q[n]!)).toFixed(2)}x`);
  console.log(`  2 workers x 1 thread vs 1 worker x 1 thread: ${(single.seconds / mean(q[2]!)).toFixed(2)}x`);
  console.log(
    `queue overhead, 1 worker vs in-process on the same job: ${(((one - base) / base) * 100).toFixed(1)}% (goal <= 10%)`,
  );
} finally {
  for (const w of workers) w.kill();
  await dropQueueKeys(values.redis, prefix).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
