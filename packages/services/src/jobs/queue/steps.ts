import { firstLine } from "@cxr/config";
import type { ModelModel as Model } from "@cxr/db";
import type { ModelEncoder } from "@cxr/encoders";
import type { FlowProducer, Queue } from "bullmq";
import { UnrecoverableError } from "bullmq";
import { runBench } from "../../bench/run.ts";
import type { Services } from "../../context/open.ts";
import { ServiceError } from "../../errors/service-error.ts";
import { openEncoder } from "../../index-job/model.ts";
import { finishIndexShards, planIndexShards, runIndexShard, shardProgress } from "../../index-job/shards.ts";
import { type BenchJobParameters, benchJob, type IndexJobParameters, indexJob } from "../definitions.ts";
import { executeJob, getJob, progressEnvelope, startAttempt } from "../jobs.ts";
import { cellId, finishId, jobOptions, type QueueJobData, shardId } from "./names.ts";

/**
 * What a queue job does, run by the sandboxed processor (processor.ts) in a child process of
 * `cxr worker`. The Job row is the state: each step reads it, records what it did in it and in the
 * domain rows (IndexJob, IndexShard, the benchmark's cells), and can be delivered again at any time
 * (BullMQ is at-least-once) without changing the outcome.
 */

/** The part of a BullMQ job (or a sandboxed job) a step uses. */
export interface StepJob {
  id?: string | undefined;
  name: string;
  data: QueueJobData;
  attemptsMade: number;
  opts: { attempts?: number };
}

export interface StepTools {
  /** Adds the index flow (parent + shards). */
  flows(): FlowProducer;
  /** The queue of a kind (to look at and remove an earlier flow's jobs). */
  queue(kind: string): Queue;
}

/** Errors no retry can fix: the job fails at once, loudly, with the reason. */
export function unrecoverable(error: unknown): boolean {
  if (error instanceof UnrecoverableError) return true;
  if (!(error instanceof ServiceError)) return false;
  return (
    error.kind === "invalid" ||
    error.kind === "not-found" ||
    ["MODEL_UNAVAILABLE", "JOB_CANCELLED"].includes(error.code)
  );
}

const encoders = new Map<string, Promise<ModelEncoder>>();

/** One encoder per (model bundle, batch size) in this process: a child process serves many shards. */
function cachedEncoder(services: Services) {
  return (model: Model, batchSize: number) => {
    const key = `${model.id}\u0000${model.fingerprint}\u0000${batchSize}`;
    let encoder = encoders.get(key);
    if (encoder === undefined) {
      encoder = openEncoder(model, services.config, { batchSize });
      encoders.set(key, encoder);
      encoder.catch(() => encoders.delete(key));
    }
    return encoder;
  };
}

export async function closeCachedEncoders(): Promise<void> {
  const all = [...encoders.values()];
  encoders.clear();
  for (const e of all) await (await e.catch(() => undefined))?.close();
}

/** Marks the row running for one more attempt; returns that attempt's number. */
async function markRunning(services: Services, jobId: string): Promise<number> {
  const { prisma } = await services.database();
  return (await startAttempt(prisma, jobId)).attempts;
}

/** Writes the row's progress envelope; returns whether a cancel was asked for. */
async function writeProgress(
  services: Services,
  jobId: string,
  step: { phase: string; done: number; total: number | null },
  kind: "index" | "bench" = "index",
): Promise<boolean> {
  const { prisma } = await services.database();
  const row = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  const elapsed = row.startedAt === null ? 0 : (Date.now() - row.startedAt.getTime()) / 1000;
  const rate = elapsed > 0.5 && step.done > 0 ? step.done / elapsed : null;
  const envelope = progressEnvelope(
    jobId,
    kind,
    kind === "index" ? indexJob.unit : benchJob.unit,
    step,
    rate,
  );
  const updated = await prisma.job.update({
    where: { id: jobId },
    data: { progressJson: JSON.stringify(envelope) },
    select: { cancelRequested: true },
  });
  return updated.cancelRequested;
}

async function cancelled(services: Services, jobId: string): Promise<never> {
  const { prisma } = await services.database();
  await prisma.job.updateMany({
    where: { id: jobId, status: { notIn: ["completed", "cancelled"] } },
    data: { status: "cancelled", finishedAt: new Date(), error: "cancelled on request" },
  });
  throw new UnrecoverableError(`job ${jobId} was cancelled`);
}

function indexOptions(services: Services, parameters: IndexJobParameters, jobId: string) {
  return async () => ({
    ...parameters,
    db: await services.database(),
    store: services.store(),
    config: services.config,
    jobId,
  });
}

/** Runs one queue job. Errors are thrown as they are; `runStepRecorded` records them in the row. */
export async function runStep(services: Services, job: StepJob, tools: StepTools): Promise<unknown> {
  const data = job.data;
  const row = await getJob(services, data.jobId);
  if (row.status === "completed") return row.result;
  if (row.status === "cancelled") throw new UnrecoverableError(`job ${row.id} was cancelled`);

  if (row.kind === "bench")
    return benchStep(services, row.id, row.parameters as BenchJobParameters, data, tools);
  if (row.kind !== "index") {
    // ingest: one execution (it resumes from its own rows), as in-process.
    return (await executeJob(services, row.id)).job.result;
  }
  const parameters = row.parameters as IndexJobParameters;
  const options = indexOptions(services, parameters, row.id);

  if (data.step === "plan") {
    if (row.cancelRequested) await cancelled(services, row.id);
    const attempt = await markRunning(services, row.id);
    const planned = await planIndexShards(await options(), services.config.queue.shardSize);
    const shards = planned.flatMap((p) => p.shards.map((s) => ({ ...s, indexJobId: p.indexJobId! })));
    const indexJobIds = planned.flatMap((p) => (p.indexJobId === null ? [] : [p.indexJobId]));
    const progress = await shardProgress((await options()).db, indexJobIds);
    await writeProgress(services, row.id, { phase: "planned", ...progress });
    if (shards.length === 0) return finish(services, row.id, parameters);

    const queue = tools.queue("index");
    const parentId = finishId(row.id);
    // Shard jobs left failed or completed by an earlier flow go (their shard rows decide what is left).
    const ids = shards.map((s) => shardId(row.id, s.id));
    if ((await clearFlow(queue, parentId, ids)) === "under-way") return { shards: shards.length };
    const options_ = jobOptions(services.config);
    await tools.flows().add({
      name: "finish",
      queueName: "index",
      data: { step: "finish", jobId: row.id, indexJobIds, attempt } satisfies QueueJobData,
      opts: { ...options_, jobId: parentId },
      children: shards.map((s) => ({
        name: "shard",
        queueName: "index",
        data: { step: "shard", jobId: row.id, shardId: s.id, indexJobIds, attempt } satisfies QueueJobData,
        opts: { ...options_, jobId: shardId(row.id, s.id), failParentOnFailure: true },
      })),
    });
    return { shards: shards.length };
  }

  if (data.step === "shard") {
    if (row.cancelRequested) await cancelled(services, row.id);
    const db = await services.database();
    let last = 0;
    let cancel = false;
    const shard = await runIndexShard(
      { ...(await options()), db },
      data.shardId,
      cachedEncoder(services),
      async ({ shard }) => {
        // Progress (every shard's sum) at most once a second per process, and the cancel flag read back.
        if (Date.now() - last < 1000) return;
        last = Date.now();
        const progress = await shardProgress(db, data.indexJobIds);
        cancel = await writeProgress(services, row.id, {
          phase: `shard ${shard.index} encoding`,
          ...progress,
        });
        if (cancel) await cancelled(services, row.id);
      },
    );
    return { shard: shard.index, processed: shard.processed, failed: shard.failed };
  }

  if (data.step !== "finish") throw new UnrecoverableError(`an index job has no ${data.step} step`);
  // finish: every shard completed (BullMQ runs the parent only then).
  return finish(services, row.id, parameters);
}

/** Removes a finished earlier flow of this job (a retry), or says one is under way. */
async function clearFlow(queue: Queue, parentId: string, childIds: string[]): Promise<"under-way" | "clear"> {
  const existing = await queue.getJob(parentId);
  if (existing !== undefined) {
    const state = await existing.getState();
    // A flow already under way (this plan delivered twice): leave it.
    if (!["completed", "failed", "unknown"].includes(state)) return "under-way";
    await queue.remove(parentId, { removeChildren: true });
  }
  for (const id of childIds) {
    const old = await queue.getJob(id);
    if (old !== undefined && ["completed", "failed"].includes(await old.getState())) await old.remove();
  }
  return "clear";
}

/**
 * The benchmark fanned out: the plan finds or creates the run (its queries stored), then one child
 * per (model, level) cell computes and stores it (the resume store: a stored cell is skipped); the
 * parent runs the benchmark once more with every cell stored, which writes the files and summaries
 * from them, so the numbers are those of a single-process run.
 */
async function benchStep(
  services: Services,
  jobId: string,
  parameters: BenchJobParameters,
  data: QueueJobData,
  tools: StepTools,
): Promise<unknown> {
  const { prisma } = await services.database();
  const base = { ...parameters, db: await services.database(), config: services.config, jobId };
  const row = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  if (data.step !== "finish" && row.cancelRequested) await cancelled(services, jobId);
  if (data.step === "plan") {
    const attempt = await markRunning(services, jobId);
    const planned = await runBench({ ...base, cells: [] });
    const cells = parameters.models.flatMap((modelId) =>
      planned.record.run.protocol.levels.map((level) => ({ modelId, level })),
    );
    const stored = await prisma.benchmarkResult.count({ where: { runId: planned.runId } });
    await writeProgress(
      services,
      jobId,
      { phase: "planned", done: Math.floor(stored / 2), total: cells.length },
      "bench",
    );
    const queue = tools.queue("bench");
    const ids = cells.map((c) => cellId(jobId, c.modelId, c.level));
    if ((await clearFlow(queue, finishId(jobId), ids)) === "under-way") return { cells: cells.length };
    const options = jobOptions(services.config);
    await tools.flows().add({
      name: "finish",
      queueName: "bench",
      data: { step: "finish", jobId, indexJobIds: [], attempt } satisfies QueueJobData,
      opts: { ...options, jobId: finishId(jobId) },
      children: cells.map((c, i) => ({
        name: "cell",
        queueName: "bench",
        data: { step: "cell", jobId, cells: [c], total: cells.length, attempt } satisfies QueueJobData,
        opts: { ...options, jobId: ids[i]!, failParentOnFailure: true },
      })),
    });
    return { cells: cells.length };
  }
  if (data.step === "cell") {
    const result = await runBench({ ...base, cells: data.cells });
    const stored = await prisma.benchmarkResult.count({ where: { runId: result.runId } });
    const cancel = await writeProgress(
      services,
      jobId,
      { phase: "cells", done: Math.floor(stored / 2), total: data.total },
      "bench",
    );
    if (cancel) await cancelled(services, jobId);
    return { runId: result.runId, cells: data.cells.length };
  }
  if (data.step !== "finish") throw new UnrecoverableError(`a bench job has no ${data.step} step`);
  const result = await runBench(base);
  const summary = benchJob.summarize(result);
  const cells = result.record.results.length / 2;
  await writeProgress(services, jobId, { phase: "done", done: cells, total: cells }, "bench");
  await prisma.job.updateMany({
    where: { id: jobId, status: { notIn: ["cancelled"] } },
    data: { status: "completed", finishedAt: new Date(), error: null, resultJson: JSON.stringify(summary) },
  });
  return summary;
}

async function finish(services: Services, jobId: string, parameters: IndexJobParameters) {
  const options = await indexOptions(services, parameters, jobId)();
  const result = await finishIndexShards(options);
  const summary = indexJob.summarize(result);
  const done = result.results.reduce((n, r) => n + r.processed + r.failed, 0);
  const total = result.results.reduce((n, r) => n + r.total, 0);
  await writeProgress(services, jobId, { phase: "done", done, total });
  const { prisma } = await services.database();
  await prisma.job.updateMany({
    where: { id: jobId, status: { notIn: ["cancelled"] } },
    data: { status: "completed", finishedAt: new Date(), error: null, resultJson: JSON.stringify(summary) },
  });
  return summary;
}

/**
 * `runStep` with its outcome recorded in the row: an error no retry can fix fails the job at once
 * (thrown as BullMQ's UnrecoverableError, so no retry follows); the last attempt's error fails it;
 * an earlier attempt's error is kept as the row's `error` ("retrying ...") while it waits for the
 * next delivery (backoff).
 */
export async function runStepRecorded(services: Services, job: StepJob, tools: StepTools): Promise<unknown> {
  try {
    return await runStep(services, job, tools);
  } catch (error) {
    const { prisma } = await services.database();
    const jobId = job.data.jobId;
    const attempts = job.opts.attempts ?? 1;
    // A step of a flow records its outcome only while the row runs the attempt that added the flow
    // (a stale shard failing after a retry changes nothing); a plan step, on any open row.
    const attempt = "attempt" in job.data ? job.data.attempt : undefined;
    const where =
      attempt === undefined
        ? { id: jobId, status: { notIn: ["completed", "cancelled"] } }
        : { id: jobId, status: "running", attempts: attempt };
    const reason = `${job.data.step === "shard" ? "a shard failed: " : ""}${firstLine(error)}`;
    if (unrecoverable(error) || job.attemptsMade + 1 >= attempts) {
      await prisma.job
        .updateMany({ where, data: { status: "failed", error: reason, finishedAt: new Date() } })
        .catch(() => undefined);
      if (error instanceof UnrecoverableError) throw error;
      if (unrecoverable(error)) throw new UnrecoverableError(reason);
      throw error;
    }
    await prisma.job
      .updateMany({
        where,
        data: {
          // bench/ingest: executeJob wrote "failed"; the job is not failed until its last attempt.
          status: job.data.step === "plan" ? "queued" : "running",
          error: `retrying (attempt ${job.attemptsMade + 1} of ${attempts} failed): ${reason}`,
        },
      })
      .catch(() => undefined);
    throw error;
  }
}
