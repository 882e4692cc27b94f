import { firstLine } from "@cxr/config";
import { Queue } from "bullmq";
import type { Services } from "../../context/open.ts";
import { JobError } from "../errors.ts";
import { getJob, prepareJob, requestCancel } from "../jobs.ts";
import type { Job, JobKind, JobRunner } from "../types.ts";
import { connection, finishId, jobOptions, planId, QUEUE_KINDS, type QueueJobData } from "./names.ts";

/** How long a call to Redis may take before the queue counts as unreachable. */
const REDIS_WAIT_MS = 5000;

/** Statuses after which `wait` returns: nothing runs the job any more (until a retry or a new start). */
const SETTLED = ["completed", "failed", "cancelled", "interrupted"];

/**
 * The queue runner (REDIS_URL set): `enqueue` adds the job's id to its kind's BullMQ queue under a
 * deterministic BullMQ id (the row's id), so scheduling the same job twice is a no-op; `cxr worker`
 * processes execute it. The row stays the one source of truth: `wait` reads it, `cancel` sets its
 * flag (the executing worker stops at its next batch). Redis unreachable: QUEUE_UNAVAILABLE
 * (kind unavailable), nothing scheduled.
 */
export class BullmqJobRunner implements JobRunner {
  readonly #services: Services;
  readonly #queues = new Map<string, Queue>();
  #closed = false;

  constructor(services: Services) {
    this.#services = services;
  }

  queue(kind: string): Queue {
    let queue = this.#queues.get(kind);
    if (queue === undefined) {
      const config = this.#services.config;
      queue = new Queue(kind, {
        connection: connection(config, { worker: false }),
        prefix: config.queue.prefix,
      });
      // Connection errors surface as typed errors of the calls; the event must not crash the process.
      queue.on("error", () => undefined);
      this.#queues.set(kind, queue);
    }
    return queue;
  }

  async #redis<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // A Redis never reached makes BullMQ wait for its connection: give up after a while instead.
      return await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer in ${REDIS_WAIT_MS / 1000} s`)),
            REDIS_WAIT_MS,
          );
        }),
      ]);
    } catch (error) {
      throw new JobError(
        "QUEUE_UNAVAILABLE",
        `the job queue (Redis at REDIS_URL) cannot be reached to ${what}: ${firstLine(error)}`,
        {},
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async start(kind: JobKind, parameters: unknown): Promise<Job> {
    const job = await prepareJob(this.#services, kind, parameters);
    await this.enqueue(job.id);
    return getJob(this.#services, job.id);
  }

  async enqueue(jobId: string): Promise<void> {
    if (this.#closed) throw new Error("the job runner was closed");
    const job = await getJob(this.#services, jobId);
    if (job.status === "completed" || job.status === "cancelled") return;
    if (!QUEUE_KINDS.includes(job.kind)) throw new JobError("INVALID_ARGUMENT", `no queue for ${job.kind}`);
    const queue = this.queue(job.kind);
    await this.#redis("schedule the job", async () => {
      const existing = await queue.getJob(planId(jobId));
      if (existing !== undefined) {
        const state = await existing.getState();
        // Waiting, delayed or running: already scheduled (a repeated start changes nothing).
        if (!["completed", "failed", "unknown"].includes(state)) return;
        // Finished in Redis while the row asks for more (a retry, a resume): schedule it again.
        await queue.remove(planId(jobId), { removeChildren: true });
      }
      await queue.add("plan", { step: "plan", jobId } satisfies QueueJobData, {
        ...jobOptions(this.#services.config),
        jobId: planId(jobId),
      });
    });
  }

  /** Polls the row (the state lives there, whichever machine runs the job). */
  async wait(jobId: string, options: { pollMs?: number } = {}): Promise<Job> {
    for (;;) {
      const job = await getJob(this.#services, jobId);
      if (SETTLED.includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
  }

  async cancel(jobId: string): Promise<Job> {
    const job = await requestCancel(this.#services, jobId);
    if (job.status === "cancelled") {
      // Not running anywhere: take its queue jobs away too (best effort; a delivery finds the row cancelled).
      const queue = this.queue(job.kind);
      await queue.remove(planId(jobId), { removeChildren: true }).catch(() => undefined);
      await queue.remove(finishId(jobId), { removeChildren: true }).catch(() => undefined);
      return job;
    }
    // Running on a worker: it stops at its next batch; the row says so (cancelRequested) meanwhile.
    return job;
  }

  /** Redis reachable (for /readyz): null when it is, else why not. */
  async ping(): Promise<string | null> {
    try {
      await this.#redis("answer", () => this.queue("index").count());
      return null;
    } catch (error) {
      return firstLine(error);
    }
  }

  /** Producers only: the jobs run in the workers and go on without this process. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#queues.values()].map((q) =>
        // A queue that never reached Redis is disconnected rather than waited for.
        Promise.race([
          q.close().catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, REDIS_WAIT_MS).unref()),
        ]).then(() => q.disconnect().catch(() => undefined)),
      ),
    );
    this.#queues.clear();
  }
}
