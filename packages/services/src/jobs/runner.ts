import type { Services } from "../context/open.ts";
import { JOB_DEFINITIONS } from "./definitions.ts";
import { CancelRequested, executeJob, getJob, prepareJob, requestCancel } from "./jobs.ts";
import type { Job, JobKind, JobRunner } from "./types.ts";

/**
 * The embedded runner: executes jobs in this process, in the background, at most one at a time per
 * writer key (an index job holds one per (model, modality) it writes). Used by the API server; the
 * CLI runs its job in the foreground with `executeJob`. Errors of a background execution are in
 * the row (status, error), and logged without content.
 */
export class InProcessJobRunner implements JobRunner {
  readonly #services: Services;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  /** The tail of each writer key's chain: a job waits for the one before it. */
  readonly #writers = new Map<string, Promise<void>>();
  #closed = false;

  constructor(services: Services) {
    this.#services = services;
  }

  async start(kind: JobKind, parameters: unknown): Promise<Job> {
    const job = await prepareJob(this.#services, kind, parameters);
    await this.enqueue(job.id);
    return getJob(this.#services, job.id);
  }

  async enqueue(jobId: string): Promise<void> {
    if (this.#closed) throw new Error("the job runner was closed");
    if (this.#running.has(jobId)) return;
    const job = await getJob(this.#services, jobId);
    if (job.status === "completed" || job.status === "cancelled") return;
    if (this.#running.has(jobId)) return;
    const writers = [...JOB_DEFINITIONS[job.kind].writers(job.parameters)].sort();
    const previous = Promise.all(writers.map((w) => this.#writers.get(w) ?? Promise.resolve()));
    const controller = new AbortController();
    const aborted = new Promise<void>((resolve) =>
      controller.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    const done = (async () => {
      // A cancel or a close while waiting for the writer ends the wait: the job never starts.
      await Promise.race([previous, aborted]);
      if (controller.signal.aborted) return;
      try {
        await executeJob(this.#services, jobId, { signal: controller.signal });
      } catch (error) {
        this.#services.logger.warn("job stopped", {
          jobId,
          kind: job.kind,
          error: error instanceof Error ? error.name : "unknown",
        });
      }
    })().finally(() => this.#running.delete(jobId));
    // The next job of these writers waits for this one and for everything before it.
    const tail = Promise.all([previous, done]).then(() => undefined);
    for (const w of writers) this.#writers.set(w, tail);
    void tail.then(() => {
      for (const w of writers) if (this.#writers.get(w) === tail) this.#writers.delete(w);
    });
    this.#running.set(jobId, { controller, done });
  }

  async wait(jobId: string): Promise<Job> {
    await this.#running.get(jobId)?.done;
    return getJob(this.#services, jobId);
  }

  async cancel(jobId: string): Promise<Job> {
    await requestCancel(this.#services, jobId);
    // Running or waiting for its writer here: stop it now rather than at its next progress write.
    this.#running.get(jobId)?.controller.abort(new CancelRequested(`job ${jobId} was cancelled`));
    return this.wait(jobId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const { controller } of this.#running.values())
      controller.abort(new Error("the server is stopping"));
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }
}
