import type { DatasetModel as Dataset, IndexJobModel as IndexJob, ModelModel as Model } from "@cxr/db";
import {
  type DatasetRef,
  type Modality,
  type ReportItem,
  reportKey,
  reportText,
} from "../../src/index-job/items.ts";
import {
  type IndexRepository,
  type IndexTarget,
  type NewIndexJob,
  OPEN_INDEX_STATUSES,
  type RecordedBatch,
} from "../../src/index-job/repository.ts";

/** A stored report of the in-memory repository (reports only: images would read files). */
export interface MemoryReport {
  id: string;
  datasetId: string;
  split: string;
  studyId: string;
  studyExternalId: string;
  fullText: string;
  findings: string | null;
  impression: string | null;
}

/**
 * An in-memory IndexRepository: our own interface on arrays, so that the unit tier runs the
 * indexing recipe without a database (the Prisma implementation is tested by the integration tier).
 */
export class MemoryIndexRepository implements IndexRepository {
  readonly models: Model[] = [];
  readonly datasets: Dataset[] = [];
  readonly jobs: IndexJob[] = [];
  readonly reports: MemoryReport[] = [];
  #ids = 0;
  #clock = 0;

  /** Strictly increasing times, so "newest" is well defined however fast the test runs. */
  #now(): Date {
    return new Date(Date.UTC(2026, 0, 1) + ++this.#clock);
  }

  #matches(job: IndexJob, target: IndexTarget): boolean {
    return (
      job.modelId === target.modelId && job.datasetId === target.datasetId && job.modality === target.modality
    );
  }

  async findModel(id: string) {
    return this.models.find((m) => m.id === id) ?? null;
  }

  async findDataset(name: string) {
    return this.datasets.find((d) => d.name === name) ?? null;
  }

  async openJob(target: IndexTarget) {
    const open = this.jobs.filter((j) => this.#matches(j, target) && OPEN_INDEX_STATUSES.includes(j.status));
    return open.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0] ?? null;
  }

  async lastCompleted(target: IndexTarget) {
    const done = this.jobs.filter((j) => this.#matches(j, target) && j.status === "completed");
    return done.sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))[0] ?? null;
  }

  async jobCollections(modelId: string, modality: Modality, openOnly: boolean) {
    return this.jobs
      .filter(
        (j) =>
          j.modelId === modelId &&
          j.modality === modality &&
          (!openOnly || OPEN_INDEX_STATUSES.includes(j.status)),
      )
      .map((j) => j.collection);
  }

  async createJob({ jobId, ...job }: NewIndexJob) {
    const now = this.#now();
    const row: IndexJob = {
      id: `job${++this.#ids}`,
      ...job,
      status: "pending",
      cursor: null,
      processed: 0,
      failed: 0,
      error: null,
      startedAt: now,
      updatedAt: now,
      finishedAt: null,
      jobId: jobId ?? null,
    };
    this.jobs.push(row);
    return { ...row };
  }

  #update(id: string, data: Partial<IndexJob>): IndexJob {
    const row = this.jobs.find((j) => j.id === id);
    if (!row) throw new Error(`no index job ${id}`);
    Object.assign(row, data, { updatedAt: this.#now() });
    return { ...row };
  }

  async startJob(id: string, update: { total: number; error: string | null; jobId?: string }) {
    return this.#update(id, {
      status: "running",
      total: update.total,
      finishedAt: null,
      error: update.error,
      ...(update.jobId === undefined ? {} : { jobId: update.jobId }),
    });
  }

  async recordBatch(id: string, expectedCursor: string | null, batch: RecordedBatch) {
    const row = this.jobs.find((j) => j.id === id);
    if (!row || row.cursor !== expectedCursor) return null;
    return this.#update(id, {
      cursor: batch.cursor,
      processed: row.processed + batch.processed,
      failed: row.failed + batch.failed,
      ...(batch.error === undefined ? {} : { error: batch.error }),
    });
  }

  async completeJob(id: string) {
    return this.#update(id, { status: "completed", finishedAt: this.#now() });
  }

  async findJob(id: string) {
    return this.jobs.find((j) => j.id === id) ?? null;
  }

  async failJob(id: string, error: string) {
    this.#update(id, { status: "failed", error });
  }

  async countItems(dataset: DatasetRef, modality: Modality) {
    return modality === "reports" ? this.reports.filter((r) => r.datasetId === dataset.id).length : 0;
  }

  async pageImages() {
    return [];
  }

  async pageReports(
    dataset: DatasetRef,
    after: string | null,
    limit: number,
    field: Parameters<IndexRepository["pageReports"]>[3],
    upTo: string | null = null,
  ): Promise<ReportItem[]> {
    return this.reports
      .filter(
        (r) =>
          r.datasetId === dataset.id && (after === null || r.id > after) && (upTo === null || r.id <= upTo),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map((r) => {
        const { text, textField } = reportText(r, field);
        return {
          id: r.id,
          key: reportKey(dataset.name, r.studyExternalId),
          label: r.studyExternalId,
          payload: {
            dataset: dataset.name,
            split: r.split,
            studyId: r.studyId,
            studyExternalId: r.studyExternalId,
            modality: "reports",
            reportId: r.id,
            textField,
          },
          text,
          textField,
        };
      });
  }
}
