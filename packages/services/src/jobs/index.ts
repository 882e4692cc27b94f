export {
  type BenchJobParameters,
  canonicalJson,
  type DatasetPullJobEvent,
  type DatasetPullJobParameters,
  type IndexJobParameters,
  type IngestJobParameters,
  JOB_DEFINITIONS,
  jobKey,
  type ModelPullJobParameters,
  type VerifyJobParameters,
  type VerifyJobResult,
} from "./definitions.ts";
export { isJobError, JobError, type JobErrorCode } from "./errors.ts";
export {
  CancelRequested,
  type ExecutedJob,
  executeJob,
  getJob,
  type JobPage,
  jobFromRow,
  listJobs,
  MAX_JOB_PAGE,
  prepareJob,
  requestCancel,
} from "./jobs.ts";
export { BullmqJobRunner } from "./queue/runner.ts";
export { checkQueues, type RunningWorkers, startWorkers, type WorkerOptions } from "./queue/worker.ts";
export { queueReachable, retryJob } from "./retry.ts";
export { InProcessJobRunner } from "./runner.ts";
export {
  type ExecuteOptions,
  JOB_KINDS,
  JOB_STATUSES,
  type Job,
  type JobKind,
  type JobProgress,
  type JobRunner,
  type JobStatus,
  RESUMABLE_JOB_STATUSES,
} from "./types.ts";
