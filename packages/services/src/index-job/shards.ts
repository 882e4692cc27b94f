import type { IndexJobModel as IndexJob, IndexShardModel as IndexShard, ModelModel as Model } from "@cxr/db";
import type { ModelEncoder } from "@cxr/encoders";
import { IndexSearchError } from "./errors.ts";
import { type DatasetRef, itemIds, type Modality } from "./items.ts";
import {
  appendFailures,
  checkIndexRequest,
  completeModality,
  encodeBatch,
  type IndexDatasetOptions,
  type IndexResult,
  type ItemFailure,
  type ModalityIndexResult,
  openModality,
  recordModalityFailure,
  withoutJobFailure,
} from "./job.ts";
import { firstLine, requireModel } from "./model.ts";
import { prismaIndexRepository } from "./repository.ts";

/**
 * The index job fanned out (the queue runner): `planIndexShards` opens the IndexJob of each
 * modality (as the in-process path does) and splits its remaining items, in the dataset's stable
 * order, into shards of `shardSize` items (IndexShard rows, deterministic: (indexJobId, index));
 * `runIndexShard` encodes and upserts one shard's items under the same deterministic point ids,
 * with the shard's own resume cursor; `finishIndexShards`, once every shard is completed, sums
 * the shards into the IndexJob and completes it as the in-process path does (carry-over, alias
 * swap). Every step is idempotent: a repeated delivery rewrites the same points and rows.
 */

export interface PlannedModality {
  modality: Modality;
  /** Set when the live index is up to date: nothing to encode. */
  upToDate: boolean;
  indexJobId: string | null;
  /** The shards (ids of IndexShard rows), in order. */
  shards: Array<{ id: string; index: number; total: number }>;
}

export async function planIndexShards(
  options: IndexDatasetOptions,
  shardSize: number,
): Promise<PlannedModality[]> {
  const { modalities, model, dataset } = await checkIndexRequest(options);
  const { db } = options;
  const planned: PlannedModality[] = [];
  for (const modality of modalities) {
    const opened = await openModality(options, model, dataset, modality);
    if (!("job" in opened)) {
      planned.push({ modality, upToDate: true, indexJobId: null, shards: [] });
      continue;
    }
    const job = opened.job;
    const existing = await db.prisma.indexShard.findMany({
      where: { indexJobId: job.id },
      orderBy: { index: "asc" },
    });
    if (existing.length === 0) {
      // The items after the job's own cursor (an in-process run may have written some already).
      const ids = await itemIds(db, dataset, modality, job.cursor);
      const rows: Array<{ index: number; after: string | null; upTo: string; total: number }> = [];
      for (let start = 0, index = 0; start < ids.length; start += shardSize, index++) {
        const slice = ids.slice(start, start + shardSize);
        rows.push({
          index,
          after: start === 0 ? job.cursor : ids[start - 1]!,
          upTo: slice.at(-1)!,
          total: slice.length,
        });
      }
      // Created in one transaction: a plan delivered twice finds them all (the unique key refuses a second set).
      await db.prisma
        .$transaction(rows.map((r) => db.prisma.indexShard.create({ data: { indexJobId: job.id, ...r } })))
        .catch(async (error: unknown) => {
          if ((await db.prisma.indexShard.count({ where: { indexJobId: job.id } })) === 0) throw error;
        });
    }
    const shards = await db.prisma.indexShard.findMany({
      where: { indexJobId: job.id },
      orderBy: { index: "asc" },
      select: { id: true, index: true, total: true },
    });
    planned.push({ modality, upToDate: false, indexJobId: job.id, shards });
  }
  return planned;
}

export interface ShardBatch {
  shard: IndexShard;
  /** Items written or failed in this batch. */
  handled: number;
}

/**
 * Encodes and upserts the items of one shard after its cursor, recording the cursor after each
 * batch only if nobody moved it meanwhile (a second delivery of the same shard running at the same
 * time: JOB_CONFLICT, the other one goes on). A completed shard returns at once.
 */
export async function runIndexShard(
  options: Pick<IndexDatasetOptions, "db" | "store" | "config" | "textField" | "batchSize" | "signal">,
  shardId: string,
  getEncoder: (model: Model, batchSize: number) => Promise<ModelEncoder>,
  onBatch?: (batch: ShardBatch) => void | Promise<void>,
): Promise<IndexShard> {
  const { db, store } = options;
  let shard = await db.prisma.indexShard.findUniqueOrThrow({ where: { id: shardId } });
  if (shard.status === "completed") return shard;
  const job = await db.prisma.indexJob.findUniqueOrThrow({ where: { id: shard.indexJobId } });
  const model = await requireModel(prismaIndexRepository(db), job.modelId);
  const datasetRow = await db.prisma.dataset.findUniqueOrThrow({ where: { id: job.datasetId } });
  const dataset: DatasetRef = { id: datasetRow.id, name: datasetRow.name };
  const modality = job.modality as Modality;
  const batchSize = options.batchSize ?? options.config.encodeBatchSize;
  const encoder = () => getEncoder(model, batchSize);
  // The next batch is read and encoded while the current one is written and recorded (as in-process).
  const encodeAfter = (cursor: string | null) => {
    const pending = encodeBatch(options, model, dataset, modality, cursor, batchSize, encoder, shard.upTo);
    pending.catch(() => undefined);
    return pending;
  };
  let next: ReturnType<typeof encodeAfter> | undefined;
  try {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
    next = encodeAfter(shard.cursor ?? shard.after);
    for (;;) {
      const { points, failed } = await next;
      next = undefined;
      if (points === null) break;
      next = encodeAfter(points.lastId);
      if (points.points.length > 0) await store.upsert(job.collection, points.points);
      const recorded = await db.prisma.indexShard.updateMany({
        where: { id: shard.id, cursor: shard.cursor },
        data: {
          cursor: points.lastId,
          processed: { increment: points.points.length },
          failed: { increment: failed.length },
          ...(failed.length > 0 ? { error: appendFailures(shard.error, failed) } : {}),
        },
      });
      if (recorded.count !== 1) {
        throw new IndexSearchError(
          "JOB_CONFLICT",
          `shard ${shard.index} of index job ${job.id} is being run by another delivery: its cursor moved`,
          { model: model.id, dataset: dataset.name, modality, jobId: job.id },
        );
      }
      shard = await db.prisma.indexShard.findUniqueOrThrow({ where: { id: shard.id } });
      await onBatch?.({ shard, handled: points.points.length + failed.length });
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
    }
  } finally {
    // Never leave an encode running on an encoder that may be closed next.
    await next?.catch(() => undefined);
  }
  return db.prisma.indexShard.update({ where: { id: shard.id }, data: { status: "completed" } });
}

/** Items handled (processed + failed) and the total of every open modality of an index request. */
export async function shardProgress(
  db: IndexDatasetOptions["db"],
  indexJobIds: string[],
): Promise<{ done: number; total: number }> {
  const jobs = await db.prisma.indexJob.findMany({ where: { id: { in: indexJobIds } } });
  const sums = await db.prisma.indexShard.aggregate({
    where: { indexJobId: { in: indexJobIds } },
    _sum: { processed: true, failed: true },
  });
  return {
    done:
      jobs.reduce((n, j) => n + j.processed + j.failed, 0) +
      (sums._sum.processed ?? 0) +
      (sums._sum.failed ?? 0),
    total: jobs.reduce((n, j) => n + j.total, 0),
  };
}

/**
 * The parent's step, once every shard is completed: each open modality's shards are summed into
 * its IndexJob (cursor, processed, failed, failure lines), which is then completed as in-process
 * (carry-over, alias swap, old versions dropped). A modality whose index is live and up to date
 * (including one this step already completed) reports "up-to-date".
 */
export async function finishIndexShards(options: IndexDatasetOptions): Promise<IndexResult> {
  const { modalities, model, dataset } = await checkIndexRequest(options);
  const { db } = options;
  const results: ModalityIndexResult[] = [];
  for (const modality of modalities) {
    const open = await prismaIndexRepository(db).openJob({
      modelId: model.id,
      datasetId: dataset.id,
      modality,
    });
    if (open === null) {
      const opened = await openModality({ ...options, reindex: false }, model, dataset, modality);
      if ("job" in opened) {
        throw new IndexSearchError(
          "JOB_FAILED",
          `index job of ${dataset.name} ${modality} was not planned (job ${options.jobId ?? "?"}): start it again`,
          { model: model.id, dataset: dataset.name, modality },
        );
      }
      results.push(opened);
      continue;
    }
    let job: IndexJob = open;
    try {
      const shards = await db.prisma.indexShard.findMany({
        where: { indexJobId: job.id },
        orderBy: { index: "asc" },
      });
      const pending = shards.filter((s) => s.status !== "completed");
      if (pending.length > 0) {
        throw new IndexSearchError(
          "JOB_FAILED",
          `${pending.length} of ${shards.length} shards of index job ${job.id} are not completed`,
          { model: model.id, dataset: dataset.name, modality, jobId: job.id },
        );
      }
      const failures: ItemFailure[] = [];
      let error = withoutJobFailure(job.error);
      for (const s of shards) {
        if (s.error === null) continue;
        for (const line of s.error.split("\n")) {
          const at = line.indexOf(": ");
          if (line.startsWith("… and ")) continue;
          failures.push({ itemId: "", item: line.slice(0, at), reason: line.slice(at + 2) });
        }
      }
      if (failures.length > 0) error = appendFailures(error, failures);
      // Summed once: the shards are removed in the same transaction, so a repeated finish adds nothing.
      const [updated] = await db.prisma.$transaction([
        db.prisma.indexJob.update({
          where: { id: job.id },
          data: {
            cursor: shards.at(-1)?.upTo ?? job.cursor,
            processed: { increment: shards.reduce((n, s) => n + s.processed, 0) },
            failed: { increment: shards.reduce((n, s) => n + s.failed, 0) },
            error,
          },
        }),
        db.prisma.indexShard.deleteMany({ where: { indexJobId: job.id } }),
      ]);
      job = updated;
      results.push(
        await completeModality(
          options,
          model,
          dataset,
          modality,
          { job, resumed: false, rebuildReason: null, resumedAt: 0 },
          job,
          failures,
        ),
      );
    } catch (error) {
      throw await recordModalityFailure(options, model, dataset, modality, job, error);
    }
  }
  return { model: model.id, dataset: dataset.name, results };
}

export { firstLine };
