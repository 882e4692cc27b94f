/**
 * Jobs: every long use case (index, bench, ingest, a dataset or model pull, verify: a leaderboard entry's re-run) is prepare + execute. `prepare` validates the
 * request, creates or finds its `Job` row and returns at once; `execute` runs it by id with an
 * AbortSignal and reports one progress envelope. The row is the one source of truth for the job's
 * state, so any runner (in-process today, a queue worker later) starts jobs by id alone.
 */

export const JOB_KINDS = ["index", "bench", "ingest", "dataset-pull", "model-pull", "verify"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * queued       prepared, not started yet
 * running      an execution is under way (or its process died: the next start resumes it)
 * interrupted  stopped by its caller (Ctrl-C, server shutdown): the next start resumes it
 * completed    done; a new start of the same request creates a new job
 * failed       ran and failed: the next start resumes it
 * cancelled    stopped on request; a new start creates a new job (the domain rows it drove keep
 *              their resume state, so the new job still continues where this one stopped)
 */
export const JOB_STATUSES = ["queued", "running", "interrupted", "completed", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a start of the same request resumes instead of creating a new job. */
export const RESUMABLE_JOB_STATUSES: readonly JobStatus[] = ["queued", "running", "interrupted", "failed"];

/** The one progress envelope of every job kind. Counts only, never content. */
export interface JobProgress {
  jobId: string;
  kind: JobKind;
  /** What it is doing now, e.g. "images encoding", "encode", "ingest". */
  phase: string;
  done: number;
  /** null while unknown. */
  total: number | null;
  /** What done and total count: "items", "cells", "studies". */
  unit: string;
  /** Units per second in this execution (null until measurable). */
  rate: number | null;
  /** Seconds left at this rate (null while unknown). */
  eta: number | null;
}

/** A job as every face sees it (the row, JSON fields parsed). */
export interface Job {
  id: string;
  kind: JobKind;
  key: string;
  parameters: unknown;
  status: JobStatus;
  progress: JobProgress | null;
  /** The use case's result summary once completed. */
  result: unknown;
  attempts: number;
  error: string | null;
  cancelRequested: boolean;
  /** "<host>:<pid>" of the process that last executed it. */
  owner: string | null;
  createdAt: Date;
  startedAt: Date | null;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface ExecuteOptions {
  /** Aborting it stops the job at its next safe point and leaves it `interrupted` (resumable). */
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
  /**
   * Least time between two progress writes to the row (each also reads `cancelRequested` back);
   * default 1000 ms. Phase changes and the outcome are always written.
   */
  progressIntervalMs?: number;
  /**
   * The use case's own progress events (IndexProgress, BenchProgress, IngestProgress), for a face
   * that prints them in its own way; the envelope above is the same for every kind.
   */
  onEvent?: (event: unknown) => void;
}

/**
 * Runs jobs. A runner is handed job ids; the state lives in the `Job` row, and execution is
 * resumable (a job whose process died is executed again from its domain rows' cursors), so a queue
 * implementation (BullMQ: `enqueue` adds `{ jobId }` to a queue, a worker calls `executeJob`) fits
 * the same interface.
 */
export interface JobRunner {
  /** prepare + enqueue: validates, creates or finds the open job of the same request, schedules it, returns it at once. */
  start(kind: JobKind, parameters: unknown): Promise<Job>;
  /** Schedules an existing job by id (a no-op when it is already running here or finished). */
  enqueue(jobId: string): Promise<void>;
  /** Resolves with the row once the job is no longer running in this runner. */
  wait(jobId: string): Promise<Job>;
  /**
   * Cancels: a queued job here at once; a running one at its next safe point (`cancelRequested`
   * is set in the row, which the executing process checks between batches, whichever process it is).
   */
  cancel(jobId: string): Promise<Job>;
  /** Stops every job running here, leaving them `interrupted` (resumable); waits for them. */
  close(): Promise<void>;
}
