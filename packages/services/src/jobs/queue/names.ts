import type { Config } from "@cxr/config";
import type { ConnectionOptions, JobsOptions } from "bullmq";
import { JOB_KINDS, type JobKind } from "../types.ts";

/**
 * Names shared by the BullMQ runner (producer), `cxr worker` and the sandboxed processor: one queue
 * per job kind, deterministic BullMQ job ids derived from the Job row's id, and the data each queue
 * job carries (ids only: the row is the state).
 *
 *   queue job            BullMQ id                      what it does
 *   plan   (any kind)    <jobId>                        index, bench: plans the flow and adds it; ingest: executes the job
 *   shard  (index)       <jobId>.shard.<IndexShard.id>  encodes and upserts one shard's items
 *   finish (index)       <jobId>.finish                 the flow's parent: sums the shards, carry-over, alias swap
 *   cell   (bench)       <jobId>.cell.<model>.<level>   computes and stores one (model, level) cell
 *   finish (bench)       <jobId>.finish                 the flow's parent: writes the files from the stored cells
 */

export const QUEUE_KINDS: readonly JobKind[] = JOB_KINDS;

/**
 * `attempt`: the Job row's `attempts` when the plan added the flow. A flow's step records its failure
 * in the row only while the row is still running that attempt: a shard of an earlier flow that fails
 * after a retry (it was already taken by a worker) never fails the retried job.
 */
export type QueueJobData =
  | { step: "plan"; jobId: string }
  | { step: "shard"; jobId: string; shardId: string; indexJobIds: string[]; attempt?: number }
  | {
      step: "cell";
      jobId: string;
      cells: Array<{ modelId: string; level: number }>;
      total: number;
      attempt?: number;
    }
  | { step: "finish"; jobId: string; indexJobIds: string[]; attempt?: number };

export const planId = (jobId: string) => jobId;
export const shardId = (jobId: string, shard: string) => `${jobId}.shard.${shard}`;
export const finishId = (jobId: string) => `${jobId}.finish`;
export const cellId = (jobId: string, modelId: string, level: number) =>
  `${jobId}.cell.${modelId.replace(/[^A-Za-z0-9_-]/g, "_")}.${level}`;

/** The connection every BullMQ object of this process opens (its own ioredis client). */
export function connection(config: Config, options: { worker: boolean }): ConnectionOptions {
  const url = new URL(config.redisUrl!);
  return {
    host: url.hostname,
    port: url.port === "" ? 6379 : Number(url.port),
    ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
    // Workers wait for Redis to come back (BullMQ needs null); producers fail fast with a typed error.
    ...(options.worker
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 }),
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/** Retries with exponential backoff and a maximum; Redis keeps only recent history (the rows keep it all). */
export function jobOptions(config: Config): JobsOptions {
  return {
    attempts: config.queue.attempts,
    backoff: { type: "exponential", delay: config.queue.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
