import { type ErrorKind, ServiceError } from "../errors/service-error.ts";

export type JobErrorCode =
  /** No job with this id. */
  | "UNKNOWN_JOB"
  /** A bad kind, parameters or page argument. */
  | "INVALID_ARGUMENT"
  /** The job is finished (completed, failed for good, cancelled): nothing to cancel. */
  | "JOB_FINISHED"
  /** The job was cancelled while it ran. */
  | "JOB_CANCELLED";

const KIND: Record<JobErrorCode, ErrorKind> = {
  UNKNOWN_JOB: "not-found",
  INVALID_ARGUMENT: "invalid",
  JOB_FINISHED: "conflict",
  JOB_CANCELLED: "failed",
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
