import { type ErrorKind, ServiceError } from "../errors/service-error.ts";

export type JobErrorCode =
  /** No job with this id. */
  | "UNKNOWN_JOB"
  /** A bad kind, parameters or page argument. */
  | "INVALID_ARGUMENT"
  /** The job is finished (completed, failed for good, cancelled): nothing to cancel. */
  | "JOB_FINISHED"
  /** The job was cancelled while it ran. */
  | "JOB_CANCELLED"
  /** Only a failed job can be retried. */
  | "JOB_NOT_FAILED"
  /** The queue (Redis, REDIS_URL) cannot be reached: nothing was scheduled. */
  | "QUEUE_UNAVAILABLE";

const KIND: Record<JobErrorCode, ErrorKind> = {
  UNKNOWN_JOB: "not-found",
  INVALID_ARGUMENT: "invalid",
  JOB_FINISHED: "conflict",
  JOB_CANCELLED: "failed",
  JOB_NOT_FAILED: "conflict",
  QUEUE_UNAVAILABLE: "unavailable",
};

export class JobError extends ServiceError {
  override readonly name = "JobError";
  declare readonly code: JobErrorCode;
  constructor(
    code: JobErrorCode,
    message: string,
    readonly details: { jobId?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(KIND[code], code, message, options);
  }
}

export function isJobError(error: unknown, code?: JobErrorCode): error is JobError {
  return error instanceof JobError && (code === undefined || error.code === code);
}
