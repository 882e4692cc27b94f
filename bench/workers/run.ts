/**
 * bench/workers: the queue runner's throughput with 1, 2 and 3 `cxr worker` processes, and its
 * overhead against the in-process runner on the same index job (issue "Scale-out", "How it is
 * judged"). Every figure is a ratio to a reference measured in this one run.
 *
 *   pnpm bench:workers [--studies 1000] [--bundle DIR] [--shard 100] [--batch 16] [--cores N] [--pairs 6]
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
 * completed, so Redis, the flow, the shard rows and the sandboxed children are all counted. Then
 * the overhead is measured again in `--pairs` interleaved (in-process, queue) pairs on one warm
 * worker, in alternating order, and the median pair's overhead is printed with the range: on a
 * shared machine one pair can be off by 2x.
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
    pairs: { type: "string", default: "6" },
  },
});
const cores = Number(values.cores);
const pairs = Number(values.pairs);
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

  /** `n` workers started, ready and warmed up (their sandboxed children have the model loaded). */
  const startWorkers = async (n: number, threads: number) => {
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
    } finally {
      await services.close();
    }
  };
  const stopWorkers = async () => {
    for (const w of workers.splice(0)) {
      w.stop();
      await w.exited;
    }
  };

  /** The job started through the BullMQ runner and timed until its row is completed. */
  const timedQueueJob = async () => {
    const services = openServices(loadConfig(env, work));
    try {
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
      return seconds;
    } finally {
      await services.close();
    }
  };

  /** Queue: `n` workers started and warmed up, then one timed job. */
  const queued = async (n: number, fixedThreads?: number) => {
    const threads = fixedThreads ?? Math.max(1, Math.floor(cores / n));
    try {
      await startWorkers(n, threads);
      return { seconds: await timedQueueJob(), threads };
    } finally {
      await stopWorkers();
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

  // The overhead again, as interleaved pairs: one warm worker kept for all of them, each pair run
  // in alternating order (in-process first, then queue first) so that a machine getting busier or
  // quieter during the run weighs on both sides alike. The median pair is the figure to read.
  if (pairs > 0) {
    console.log(
      `\nqueue overhead in ${pairs} interleaved pairs (1 warm worker x ${cores} threads vs in-process):`,
    );
    const overheads: number[] = [];
    try {
      await startWorkers(1, cores);
      for (let i = 0; i < pairs; i++) {
        let local: number;
        let queue: number;
        if (i % 2 === 0) {
          local = await inProcess();
          queue = await timedQueueJob();
        } else {
          queue = await timedQueueJob();
          local = await inProcess();
        }
        overheads.push((queue - local) / local);
        console.log(
          `  pair ${i + 1}: in-process ${local.toFixed(1)} s, queue ${queue.toFixed(1)} s: ${(overheads.at(-1)! * 100).toFixed(1)}%`,
        );
      }
    } finally {
      await stopWorkers();
    }
    const sorted = [...overheads].sort((a, b) => a - b);
    const median =
      sorted.length % 2 === 1
        ? sorted[(sorted.length - 1) / 2]!
        : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `queue overhead, median of ${pairs} pairs: ${pct(median)} (range ${pct(sorted[0]!)} to ${pct(sorted.at(-1)!)}; goal <= 10%)`,
    );
  }
} finally {
  for (const w of workers) w.kill();
  await dropQueueKeys(values.redis, prefix).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
