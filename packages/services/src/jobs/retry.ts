import type { Services } from "../context/open.ts";
import { JobError } from "./errors.ts";
import { getJob } from "./jobs.ts";
import type { Job } from "./types.ts";

/**
 * A failed job scheduled again (`cxr jobs retry`, the API's retryJob): the row goes back to queued
 * (attempts kept) and the runner enqueues it; its domain rows (index shards' cursors, the
 * benchmark's stored cells) make it resume rather than restart.
 */
export async function retryJob(services: Services, jobId: string): Promise<Job> {
  const job = await getJob(services, jobId);
  if (job.status !== "failed") {
    throw new JobError("JOB_NOT_FAILED", `job ${jobId} is ${job.status}: only a failed job can be retried`, {
      jobId,
    });
  }
  const { prisma } = await services.database();
  await prisma.job.updateMany({
    where: { id: jobId, status: "failed" },
    data: { status: "queued", error: null, finishedAt: null, cancelRequested: false },
  });
  await services.jobs.enqueue(jobId);
  return getJob(services, jobId);
}

/**
 * Whether the job queue answers (for /readyz and `cxr doctor`): undefined when no queue is
 * configured (no REDIS_URL: jobs run in-process), null when Redis answers, else why not.
 */
export async function queueReachable(
  services: Pick<Services, "config" | "jobs">,
): Promise<string | null | undefined> {
  if (services.config.redisUrl === undefined) return undefined;
  const runner = services.jobs as { ping?: () => Promise<string | null> };
  return runner.ping === undefined ? undefined : runner.ping();
}
