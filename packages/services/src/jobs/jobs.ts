import { hostname } from "node:os";
import { firstLine } from "@cxr/config";
import type { Database, JobModel as JobRow } from "@cxr/db";
import type { Services } from "../context/open.ts";
import { ServiceError } from "../errors/service-error.ts";
import { JOB_DEFINITIONS, jobKey, type StepProgress } from "./definitions.ts";
import { JobError } from "./errors.ts";
import {
  type ExecuteOptions,
  JOB_KINDS,
  JOB_STATUSES,
  type Job,
  type JobKind,
  type JobProgress,
  type JobStatus,
  RESUMABLE_JOB_STATUSES,
} from "./types.ts";

/**
 * The recipe of every job: `prepareJob` (validate, create or find the row, return it) and
 * `executeJob` (run it by id: status, attempts, progress, cancellation and outcome recorded in the
 * row). Runners (in-process, a queue worker) and the CLI's foreground commands call these two.
 */

type JobDb = Pick<Services, "database">;

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function jobFromRow(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind as JobKind,
    key: row.key,
    parameters: parseJson(row.parametersJson),
    status: row.status as JobStatus,
    progress: parseJson(row.progressJson) as JobProgress | null,
    result: parseJson(row.resultJson),
    attempts: row.attempts,
    error: row.error,
    cancelRequested: row.cancelRequested,
    owner: row.owner,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
}

function checkKind(kind: string): JobKind {
  if (!(JOB_KINDS as readonly string[]).includes(kind)) {
    throw new JobError("INVALID_ARGUMENT", `job kind must be ${JOB_KINDS.join(", ")}, got "${kind}"`);
  }
  return kind as JobKind;
}

/**
 * prepare: validates the parameters (the use case's own typed errors; nothing written when they are
 * wrong), then returns the open job of the same request (queued, running, interrupted or failed:
 * executing it resumes) or a new queued one.
 */
export async function prepareJob(services: Services, kind: string, input: unknown): Promise<Job> {
  const definition = JOB_DEFINITIONS[checkKind(kind)];
  const parameters = await definition.prepare(services, input);
  const key = jobKey(definition.kind, parameters);
  const { prisma } = await services.database();
  const open = await prisma.job.findFirst({
    where: { key, status: { in: [...RESUMABLE_JOB_STATUSES] } },
    orderBy: { createdAt: "desc" },
  });
  if (open !== null) return jobFromRow(open);
  const row = await prisma.job.create({
    data: { kind: definition.kind, key, parametersJson: JSON.stringify(parameters), status: "queued" },
  });
  return jobFromRow(row);
}

export async function getJob(services: JobDb, id: string): Promise<Job> {
  const { prisma } = await services.database();
  const row = await prisma.job.findUnique({ where: { id } });
  if (row === null)
    throw new JobError("UNKNOWN_JOB", `no job "${id}" (see \`cxr jobs list\`)`, { jobId: id });
  return jobFromRow(row);
}

export const MAX_JOB_PAGE = 100;

export interface JobPage {
  jobs: Job[];
  /** Pass as `after` for the next page; null on the last page. */
  endCursor: string | null;
  hasNextPage: boolean;
  total: number;
}

/** Newest first, keyset pages (`after` = the last id of the previous page). */
export async function listJobs(
  services: JobDb,
  options: { first?: number; after?: string | null; status?: string | null; kind?: string | null } = {},
): Promise<JobPage> {
  const first = options.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > MAX_JOB_PAGE) {
    throw new JobError(
      "INVALID_ARGUMENT",
      `first must be a whole number in 1..${MAX_JOB_PAGE}, got ${first}`,
    );
  }
  if (options.status != null && !(JOB_STATUSES as readonly string[]).includes(options.status)) {
    throw new JobError(
      "INVALID_ARGUMENT",
      `status must be ${JOB_STATUSES.join(", ")}, got "${options.status}"`,
    );
  }
  const { prisma } = await services.database();
  const where = {
    ...(options.status != null ? { status: options.status } : {}),
    ...(options.kind != null ? { kind: checkKind(options.kind) } : {}),
  };
  const cursor = options.after != null ? await prisma.job.findUnique({ where: { id: options.after } }) : null;
  if (options.after != null && cursor === null) {
    throw new JobError("INVALID_ARGUMENT", `after names no job: "${options.after}"`);
  }
  const rows = await prisma.job.findMany({
    where:
      cursor === null
        ? where
        : {
            ...where,
            OR: [
              { createdAt: { lt: cursor.createdAt } },
              { createdAt: cursor.createdAt, id: { lt: cursor.id } },
            ],
          },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: first + 1,
  });
  const jobs = rows.slice(0, first).map(jobFromRow);
  return {
    jobs,
    hasNextPage: rows.length > first,
    endCursor: rows.length > first ? jobs.at(-1)!.id : null,
    total: await prisma.job.count({ where }),
  };
}

/**
 * Asks for a cancel. A job nobody is executing (queued, interrupted, failed) is cancelled at once;
 * a running one gets `cancelRequested`, which the executing process (this one or another) sees at
 * its next safe point. A finished job is JOB_FINISHED.
 */
export async function requestCancel(services: JobDb, id: string): Promise<Job> {
  const job = await getJob(services, id);
  const { prisma } = await services.database();
  if (job.status === "completed" || job.status === "cancelled") {
    throw new JobError("JOB_FINISHED", `job ${id} is ${job.status}: nothing to cancel`, { jobId: id });
  }
  if (job.status === "running") {
    await prisma.job.update({ where: { id }, data: { cancelRequested: true } });
  } else {
    await prisma.job.updateMany({
      where: { id, status: job.status },
      data: { status: "cancelled", cancelRequested: true, finishedAt: new Date() },
    });
  }
  return getJob(services, id);
}

/** Why an execution stopped when it was cancelled (the signal's reason). */
export class CancelRequested extends Error {
  override readonly name = "CancelRequested";
}

const ONE_WRITER_CODES = ["JOB_CONFLICT", "RUN_IN_PROGRESS"];

/** How often, at most, progress is written to the row (and cancelRequested read back). */
const PROGRESS_WRITE_MS = 1000;

export interface ExecutedJob<R = unknown> {
  job: Job;
  /** The use case's full result (the row keeps its summary). */
  result: R;
}

/**
 * execute: runs the job by id. Records `running` (attempts + 1, owner), then progress at most once a
 * second and at each phase change, reading `cancelRequested` back each time. Outcomes:
 * completed (result summary kept); the caller's signal aborted -> `interrupted` (resumable) and the
 * abort reason rethrown; cancel requested -> `cancelled` and JOB_CANCELLED; a conflict (another
 * process runs the same work) -> the row is left as the other process keeps it; any other error ->
 * `failed` with its first line, and the error rethrown unchanged (faces print it as before).
 * Idempotent: a completed job returns its stored summary as the result without running again.
 */
export async function executeJob<R = unknown>(
  services: Services,
  id: string,
  options: ExecuteOptions = {},
): Promise<ExecutedJob<R>> {
  const { prisma } = await services.database();
  let job = await getJob(services, id);
  if (job.status === "completed") return { job, result: job.result as R };
  if (job.status === "cancelled") {
    throw new JobError("JOB_CANCELLED", `job ${id} was cancelled`, { jobId: id });
  }
  const definition = JOB_DEFINITIONS[job.kind];
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  job = jobFromRow(await startAttempt(prisma, id));
  if (job.cancelRequested) controller.abort(new CancelRequested(`job ${id} was cancelled`));

  // The rate is measured from where this execution started counting what it counts now: a count
  // starts again when it goes back (images, then reports; a pull's next archive) or changes unit
  // (a pull's bytes, then studies).
  let counting: { unit: string; done: number; at: number } | undefined;
  let lastWrite = 0;
  let lastPhase = "";
  let last: JobProgress | null = null;
  let writing: Promise<void> = Promise.resolve();
  const progress = (step: StepProgress) => {
    const unit = step.unit ?? definition.unit;
    if (counting === undefined || counting.unit !== unit || step.done < counting.done) {
      counting = { unit, done: step.done, at: Date.now() };
    }
    const elapsed = (Date.now() - counting.at) / 1000;
    const rate = elapsed > 0.5 && step.done > counting.done ? (step.done - counting.done) / elapsed : null;
    const envelope = progressEnvelope(id, job.kind, unit, step, rate);
    last = envelope;
    options.onProgress?.(envelope);
    const now = Date.now();
    if (now - lastWrite < (options.progressIntervalMs ?? PROGRESS_WRITE_MS) && step.phase === lastPhase)
      return writing;
    lastWrite = now;
    lastPhase = step.phase;
    // Written in order, off the job's path; a cancel from another process is read back here.
    writing = writing
      .then(async () => {
        const row = await prisma.job.update({
          where: { id },
          data: { progressJson: JSON.stringify(envelope) },
          select: { cancelRequested: true },
        });
        if (row.cancelRequested && !controller.signal.aborted) {
          controller.abort(new CancelRequested(`job ${id} was cancelled`));
        }
      })
      .catch(() => undefined);
    return writing;
  };

  try {
    const result = (await definition.execute({
      services,
      jobId: id,
      parameters: job.parameters,
      signal: controller.signal,
      progress,
      event: (event) => options.onEvent?.(event),
    })) as R;
    await writing;
    job = jobFromRow(
      await prisma.job.update({
        where: { id },
        data: {
          status: "completed",
          finishedAt: new Date(),
          resultJson: JSON.stringify(definition.summarize(result)),
          ...(last === null ? {} : { progressJson: JSON.stringify(last) }),
        },
      }),
    );
    return { job, result };
  } catch (error) {
    await writing;
    // Where it stopped, for `cxr jobs show` (progress writes are throttled).
    if (last !== null) {
      await prisma.job
        .update({ where: { id }, data: { progressJson: JSON.stringify(last) } })
        .catch(() => undefined);
    }
    const reason = controller.signal.aborted ? controller.signal.reason : undefined;
    if (reason instanceof CancelRequested) {
      await prisma.job.update({
        where: { id },
        data: { status: "cancelled", finishedAt: new Date(), error: "cancelled on request" },
      });
      throw new JobError("JOB_CANCELLED", `job ${id} was cancelled`, { jobId: id }, { cause: error });
    }
    if (controller.signal.aborted) {
      await prisma.job.update({
        where: { id },
        data: { status: "interrupted", error: "interrupted: the same start resumes it" },
      });
      throw error;
    }
    // Another process is executing the same work (its index cursor moved, its bench lock is held):
    // the row is that process's to keep.
    if (error instanceof ServiceError && ONE_WRITER_CODES.includes(error.code)) throw error;
    await prisma.job
      .update({ where: { id }, data: { status: "failed", error: firstLine(error) } })
      .catch(() => undefined);
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Marks a job's row running for one more attempt, owned by this process: what every runner does
 * when it takes a job (executeJob here, a queue's plan step in queue/steps.ts).
 */
export function startAttempt(prisma: Database["prisma"], id: string) {
  return prisma.job.update({
    where: { id },
    data: {
      status: "running",
      attempts: { increment: 1 },
      startedAt: new Date(),
      finishedAt: null,
      error: null,
      owner: `${hostname()}:${process.pid}`,
    },
  });
}

/** The one progress envelope (docs: "Jobs"), with the ETA derived from the rate when both are known. */
export function progressEnvelope(
  jobId: string,
  kind: JobProgress["kind"],
  unit: string,
  step: { phase: string; done: number; total: number | null },
  rate: number | null,
): JobProgress {
  return {
    jobId,
    kind,
    phase: step.phase,
    done: step.done,
    total: step.total,
    unit,
    rate,
    eta: rate !== null && step.total !== null ? Math.max(0, (step.total - step.done) / rate) : null,
  };
}
