import path from "node:path";
import { fileURLToPath } from "node:url";
import { firstLine } from "@cxr/config";
import { Queue, Worker } from "bullmq";
import type { Services } from "../../context/open.ts";
import { JobError } from "../errors.ts";
import { JOB_KINDS, type JobKind } from "../types.ts";
import { connection, type QueueJobData } from "./names.ts";

/**
 * `cxr worker`: one BullMQ Worker per named queue, each running the sandboxed processor
 * (processor.ts) in child processes, `concurrency` jobs at a time. A queue's global concurrency
 * (across every worker, e.g. one job per GPU) is set on the queue itself. A job that fails for good
 * in a way the processor could not record (a stall over the limit) is recorded here.
 */

const PROCESSOR = path.join(path.dirname(fileURLToPath(import.meta.url)), "processor.ts");

export interface WorkerOptions {
  queues?: readonly string[];
  /** Jobs at a time per queue in this process (each in its own child process); default 1. */
  concurrency?: number;
  /** Caps the queues' concurrency across all workers (stored in Redis); undefined leaves it. */
  globalConcurrency?: number;
  /** Called when a queue job starts, completes or fails (ids and reasons only). */
  onEvent?: (event: {
    event: "active" | "completed" | "failed";
    queue: string;
    id: string;
    reason?: string;
  }) => void;
}

export interface RunningWorkers {
  queues: JobKind[];
  /** Stops taking jobs and waits for the running ones (a job still running when killed is retried elsewhere). */
  close(): Promise<void>;
}

export function checkQueues(queues: readonly string[] | undefined): JobKind[] {
  const names = queues === undefined || queues.length === 0 ? [...JOB_KINDS] : [...new Set(queues)];
  for (const q of names) {
    if (!(JOB_KINDS as readonly string[]).includes(q)) {
      throw new JobError("INVALID_ARGUMENT", `queue must be ${JOB_KINDS.join(", ")}, got "${q}"`);
    }
  }
  return names as JobKind[];
}

export async function startWorkers(services: Services, options: WorkerOptions = {}): Promise<RunningWorkers> {
  const config = services.config;
  if (config.redisUrl === undefined) {
    throw new JobError("INVALID_ARGUMENT", "a worker needs REDIS_URL (the queues live in Redis)");
  }
  const queues = checkQueues(options.queues);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new JobError("INVALID_ARGUMENT", `concurrency must be a whole number in 1..64, got ${concurrency}`);
  }
  const { prisma } = await services.database();
  const workers: Worker[] = [];
  for (const name of queues) {
    if (options.globalConcurrency !== undefined) {
      const queue = new Queue(name, {
        connection: connection(config, { worker: false }),
        prefix: config.queue.prefix,
      });
      try {
        await queue.setGlobalConcurrency(options.globalConcurrency);
      } catch (error) {
        throw new JobError("QUEUE_UNAVAILABLE", `cannot set the global concurrency: ${firstLine(error)}`);
      } finally {
        await queue.close().catch(() => undefined);
      }
    }
    const worker = new Worker<QueueJobData>(name, PROCESSOR, {
      connection: connection(config, { worker: true }),
      prefix: config.queue.prefix,
      concurrency,
      useWorkerThreads: false,
      lockDuration: config.queue.lockMs,
      stalledInterval: config.queue.stalledMs,
      maxStalledCount: config.queue.maxStalled,
    });
    worker.on("error", (error) =>
      services.logger.warn("worker error", { queue: name, error: firstLine(error) }),
    );
    worker.on("active", (job) => options.onEvent?.({ event: "active", queue: name, id: job.id ?? "" }));
    worker.on("completed", (job) => options.onEvent?.({ event: "completed", queue: name, id: job.id ?? "" }));
    worker.on("failed", (job, error) => {
      options.onEvent?.({ event: "failed", queue: name, id: job?.id ?? "", reason: firstLine(error) });
      if (job === undefined) return;
      void (async () => {
        // Failed for good (not waiting for a retry): the row says so, whoever failed it.
        if ((await job.getState()) !== "failed") return;
        // Only the execution this failure belongs to: a retry since (queued, or running again with a
        // later start) is left alone.
        const failedAt = new Date(job.finishedOn ?? Date.now());
        await prisma.job.updateMany({
          where: { id: job.data.jobId, status: "running", startedAt: { lte: failedAt } },
          data: { status: "failed", error: firstLine(error), finishedAt: new Date() },
        });
      })().catch(() => undefined);
    });
    workers.push(worker);
  }
  return {
    queues,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
