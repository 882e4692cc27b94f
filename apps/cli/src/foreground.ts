import {
  type ExecutedJob,
  executeJob,
  getJob,
  type Job,
  type JobKind,
  type JobProgress,
  prepareJob,
  type Services,
} from "@cxr/services";
import { CliError, EXIT } from "./errors.ts";
import { createProgress, type Progress } from "./progress.ts";

/**
 * A long command runs its use case as a job in the foreground: prepare (validate, create or find
 * the open job of the same request) then execute, with Ctrl-C wired to an AbortSignal. The first
 * Ctrl-C stops the job at its next safe point, leaves it `interrupted` (the same command resumes
 * it) and exits 130; a second one exits at once (the job is still resumable, as after a kill).
 */

let current: AbortController | undefined;
/** True while the job followed is queued on the workers (a Ctrl-C then detaches at once). */
let detaching = false;

/** main.ts's SIGINT handler: true when a job took the interrupt (the process then exits by itself). */
export function interruptJob(): boolean {
  if (current === undefined || current.signal.aborted) return false;
  current.abort(new Error("interrupted (Ctrl-C)"));
  process.stderr.write(
    detaching ? "\n" : "\ncxr: stopping at the next safe point (Ctrl-C again to quit at once)\n",
  );
  return true;
}

export async function runJob<R>(
  services: Services,
  kind: JobKind,
  parameters: unknown,
  onEvent?: (event: never) => void,
): Promise<ExecutedJob<R>> {
  const job = await prepareJob(services, kind, parameters);
  const controller = new AbortController();
  current = controller;
  try {
    return await executeJob<R>(services, job.id, {
      signal: controller.signal,
      ...(onEvent === undefined ? {} : { onEvent: onEvent as (event: unknown) => void }),
    });
  } catch (error) {
    if (controller.signal.aborted) {
      throw new CliError(
        `interrupted: job ${job.id} is resumable (run the same command again; cxr jobs show ${job.id})`,
        EXIT.interrupted,
      );
    }
    throw error;
  } finally {
    current = undefined;
  }
}

/** How long a queued job may wait before the CLI says that no worker has taken it yet. */
const NO_WORKER_NOTICE_MS = 5000;
const POLL_MS = 500;

/** Whether a long command goes through the job queue: REDIS_URL set and no --local. */
export function useQueue(services: Services, local: boolean | undefined): boolean {
  return services.config.redisUrl !== undefined && local !== true;
}

/**
 * A long command with REDIS_URL set: the job is started through services' runner (the BullMQ
 * queues; validation refuses bad requests here, as in the foreground) and followed from its row
 * until it settles; `cxr worker` processes execute it. Progress is the row's envelope. No worker
 * after a few seconds: said once, and it keeps waiting. Ctrl-C detaches (exit 130): the job goes on
 * on the workers. A failed job exits 1 with the row's error; a cancelled one too.
 */
export async function followQueuedJob(
  services: Services,
  kind: JobKind,
  parameters: unknown,
  onProgress: (progress: JobProgress) => void,
): Promise<Job> {
  const started = await services.jobs.start(kind, parameters);
  const id = started.id;
  process.stderr.write(
    `cxr: job ${id} queued (REDIS_URL is set: a \`cxr worker\` executes it; --local runs it here)\n`,
  );
  const controller = new AbortController();
  current = controller;
  detaching = true;
  const since = Date.now();
  let noticed = false;
  let lastProgress = "";
  try {
    for (;;) {
      const job = await getJob(services, id);
      if (job.progress !== null) {
        const seen = JSON.stringify([job.progress.phase, job.progress.done, job.progress.total]);
        if (seen !== lastProgress) {
          lastProgress = seen;
          onProgress(job.progress);
        }
      }
      if (job.status === "completed") return job;
      if (job.status === "failed" || job.status === "cancelled" || job.status === "interrupted") {
        throw new CliError(
          `job ${id} ${job.status}${job.error ? `: ${job.error}` : ""} (cxr jobs show ${id}${job.status === "failed" ? `; cxr jobs retry ${id}` : ""})`,
          EXIT.failed,
        );
      }
      if (!noticed && job.status === "queued" && Date.now() - since >= NO_WORKER_NOTICE_MS) {
        noticed = true;
        process.stderr.write(
          `cxr: queued as job ${id}; waiting for a worker (start one with \`cxr worker\`)\n`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          controller.signal.removeEventListener("abort", wake);
          resolve();
        }, POLL_MS);
        controller.signal.addEventListener("abort", wake, { once: true });
      });
      if (controller.signal.aborted) {
        throw new CliError(
          `detached: job ${id} stays ${job.status} in the queue and the workers carry on with it (follow it: cxr jobs show ${id}; stop it: cxr jobs cancel ${id})`,
          EXIT.interrupted,
        );
      }
    }
  } finally {
    current = undefined;
    detaching = false;
  }
}

/** One progress line for a job followed from its row (the sum over shards or cells). */
export function rowProgress(
  label: string,
  unit: string,
): {
  onProgress: (p: JobProgress) => void;
  finish: (summary: string) => void;
} {
  let bar: Progress | undefined;
  return {
    onProgress(p) {
      if (p.total === null) return;
      bar ??= createProgress(label, { total: p.total, unit });
      bar.tick(p.done, p.total);
    },
    finish(summary) {
      bar?.done(summary);
    },
  };
}
