import type {
  Database,
  DatasetModel as Dataset,
  IndexJobModel as IndexJob,
  ModelModel as Model,
} from "@cxr/db";
import {
  countItems,
  type DatasetRef,
  type ImageItem,
  type Modality,
  pageImages,
  pageReports,
  type ReportItem,
  type ReportTextField,
} from "./items.ts";

/**
 * What indexing reads and writes in the database, and nothing else: the model and dataset it names,
 * the IndexJob rows (its resume state) and the items to encode. `indexModality` (job.ts) is a recipe over this interface;
 * `prismaIndexRepository` runs it on the database (tested by the integration tier), and the unit
 * tier runs the same recipe on an in-memory implementation (test/support/memory-index-repository.ts).
 */

/** One (model, dataset, modality): what an IndexJob row is the resume state of. */
export interface IndexTarget {
  modelId: string;
  datasetId: string;
  modality: Modality;
}

/** The fields a new IndexJob row is created with. */
export interface NewIndexJob extends IndexTarget {
  alias: string;
  collection: string;
  datasetFingerprint: string | null;
  total: number;
  jobId?: string;
}

/** What one written batch adds to its IndexJob row. */
export interface RecordedBatch {
  cursor: string;
  processed: number;
  failed: number;
  /** The row's new error text, when the batch had failures. */
  error?: string;
}

/** IndexJob statuses a new run resumes instead of starting a new version. */
export const OPEN_INDEX_STATUSES = ["pending", "running", "failed"];

export interface IndexRepository {
  /** The registered model of that id, or null. */
  findModel(id: string): Promise<Model | null>;
  /** The dataset of that name (whatever its ingest status), or null. */
  findDataset(name: string): Promise<Dataset | null>;
  /** The newest open (pending, running or failed) job of the target, or null. */
  openJob(target: IndexTarget): Promise<IndexJob | null>;
  /** One job by id, or null. */
  findJob(id: string): Promise<IndexJob | null>;
  /** The last completed job of the target, or null. */
  lastCompleted(target: IndexTarget): Promise<IndexJob | null>;
  /** Collections of the model's jobs for the modality (every dataset); only open ones when asked. */
  jobCollections(modelId: string, modality: Modality, openOnly: boolean): Promise<string[]>;
  createJob(job: NewIndexJob): Promise<IndexJob>;
  /** Marks the job running with the current item count (its error text replaced by `error`). */
  startJob(id: string, update: { total: number; error: string | null; jobId?: string }): Promise<IndexJob>;
  /**
   * Records a batch only if the cursor is still `expectedCursor` (nobody else moved it); the
   * updated row, or null when another process moved it.
   */
  recordBatch(id: string, expectedCursor: string | null, batch: RecordedBatch): Promise<IndexJob | null>;
  completeJob(id: string): Promise<IndexJob>;
  failJob(id: string, error: string): Promise<void>;
  countItems(dataset: DatasetRef, modality: Modality): Promise<number>;
  /**
   * Items with id > `after` (all when null) and <= `upTo` (no bound when null: a queue shard's
   * end), ascending by id, at most `limit`.
   */
  pageImages(
    dataset: DatasetRef,
    after: string | null,
    limit: number,
    upTo?: string | null,
  ): Promise<ImageItem[]>;
  pageReports(
    dataset: DatasetRef,
    after: string | null,
    limit: number,
    field: ReportTextField,
    upTo?: string | null,
  ): Promise<ReportItem[]>;
}

/** The repository on the product's database. */
export function prismaIndexRepository(db: Pick<Database, "prisma">): IndexRepository {
  const { prisma } = db;
  return {
    findModel: (id) => prisma.model.findUnique({ where: { id } }),
    findDataset: (name) => prisma.dataset.findUnique({ where: { name } }),
    openJob: (target) =>
      prisma.indexJob.findFirst({
        where: { ...target, status: { in: OPEN_INDEX_STATUSES } },
        orderBy: { startedAt: "desc" },
      }),
    findJob: (id) => prisma.indexJob.findUnique({ where: { id } }),
    lastCompleted: (target) =>
      prisma.indexJob.findFirst({
        where: { ...target, status: "completed" },
        orderBy: { finishedAt: "desc" },
      }),
    async jobCollections(modelId, modality, openOnly) {
      const rows = await prisma.indexJob.findMany({
        where: { modelId, modality, ...(openOnly ? { status: { in: OPEN_INDEX_STATUSES } } : {}) },
        select: { collection: true },
      });
      return rows.map((r) => r.collection);
    },
    createJob: ({ jobId, ...job }) =>
      prisma.indexJob.create({
        data: { ...job, status: "pending", ...(jobId === undefined ? {} : { jobId }) },
      }),
    startJob: (id, { total, error, jobId }) =>
      prisma.indexJob.update({
        where: { id },
        data: {
          status: "running",
          total,
          finishedAt: null,
          error,
          ...(jobId === undefined ? {} : { jobId }),
        },
      }),
    async recordBatch(id, expectedCursor, batch) {
      const recorded = await prisma.indexJob.updateMany({
        where: { id, cursor: expectedCursor },
        data: {
          cursor: batch.cursor,
          processed: { increment: batch.processed },
          failed: { increment: batch.failed },
          ...(batch.error === undefined ? {} : { error: batch.error }),
        },
      });
      if (recorded.count !== 1) return null;
      return prisma.indexJob.findUniqueOrThrow({ where: { id } });
    },
    completeJob: (id) =>
      prisma.indexJob.update({ where: { id }, data: { status: "completed", finishedAt: new Date() } }),
    async failJob(id, error) {
      await prisma.indexJob.update({ where: { id }, data: { status: "failed", error } });
    },
    countItems: (dataset, modality) => countItems(db, dataset, modality),
    pageImages: (dataset, after, limit, upTo) => pageImages(db, dataset, after, limit, upTo ?? null),
    pageReports: (dataset, after, limit, field, upTo) =>
      pageReports(db, dataset, after, limit, field, upTo ?? null),
  };
}
