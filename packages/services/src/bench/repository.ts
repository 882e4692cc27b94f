import type { Database, ModelModel as Model } from "@cxr/db";
import type { ResultRow } from "./store.ts";

/**
 * What a benchmark run reads and writes in the database, and nothing else: the models, the split to
 * benchmark (studies, images, reports), the BenchmarkRun row with its models and queries (the run's
 * identity and resume state) and its result rows. `runBench` (run.ts) is a recipe over this
 * interface; `prismaBenchRepository` runs it on the database (tested by the integration tier), and
 * the unit tier runs the same recipe on an in-memory implementation
 * (test/support/memory-bench-repository.ts).
 */

export interface BenchDatasetRow {
  id: string;
  name: string;
  status: string;
}

export interface BenchSplitRow {
  id: string;
  fingerprint: string | null;
}

export interface ReportTexts {
  findings: string | null;
  impression: string | null;
  fullText: string | null;
}

/** A study of the split with its images and report, as the benchmark reads them. */
export interface BenchStudyRow {
  externalId: string;
  patientId: string | null;
  report: ReportTexts | null;
  images: { externalId: string; path: string; sha256: string; view: string | null }[];
}

/** One query of a run, in `BenchmarkQuery` order (per direction, by ordinal). */
export interface StoredQuery {
  direction: string;
  ordinal: number;
  itemId: string;
  studyId: string;
}

/** What identifies a run apart from its model set: the protocol, the data and the split. */
export interface RunIdentity {
  protocolKey: string;
  datasetId: string;
  split: string;
  datasetFingerprint: string;
}

export interface BenchRunRow {
  id: string;
  startedAt: Date;
  outputDir: string | null;
  models: { modelId: string; modelFingerprint: string }[];
}

/** The facts of a run that each process running it records (replaced when a run is continued). */
export interface RunEnvironment {
  softwareVersion: string;
  executionProvider: string;
  hardware: string;
  countsJson: string;
  jobId?: string;
}

export interface NewBenchRun extends RunIdentity, RunEnvironment {
  protocolVersion: string;
  paramsJson: string;
  models: { modelId: string; modelFingerprint: string }[];
}

/** A stored run as the read side lists and loads it. */
export interface StoredRun extends BenchRunRow, RunIdentity {
  status: string;
  protocolVersion: string;
  paramsJson: string;
  softwareVersion: string;
  executionProvider: string | null;
  hardware: string | null;
  countsJson: string | null;
  error: string | null;
  finishedAt: Date | null;
  /** The dataset's name (runs name datasets by name, not row id). */
  datasetName: string;
  /** Result rows stored for the run. */
  results: number;
}

/** The columns of a result row (store.ts `resultRowData`). */
export type ResultRowData = Omit<ResultRow, "id" | "ranks"> & { ranks: Uint8Array<ArrayBuffer> };

/** Run statuses a new benchmark with the same identity continues instead of starting anew. */
export const UNFINISHED_RUN_STATUSES = ["pending", "running", "failed"];

export interface BenchRepository {
  findModel(id: string): Promise<Model | null>;
  findDataset(name: string): Promise<BenchDatasetRow | null>;
  findSplit(datasetId: string, name: string): Promise<BenchSplitRow | null>;
  /** The dataset's split names (any order). */
  splitNames(datasetId: string): Promise<string[]>;
  /** The split's studies with images and report, ascending by external id. */
  splitStudies(splitId: string): Promise<BenchStudyRow[]>;
  /** The report texts of the split's studies (distractors). */
  splitReports(splitId: string): Promise<ReportTexts[]>;
  /** Unfinished (pending, running, failed) runs of the identity, newest first, with their models. */
  unfinishedRuns(identity: RunIdentity): Promise<BenchRunRow[]>;
  /** The run's queries, ascending by ordinal. */
  runQueries(runId: string): Promise<StoredQuery[]>;
  /** Creates a running run with its models, then its queries. */
  createRun(run: NewBenchRun, queries: StoredQuery[]): Promise<BenchRunRow>;
  /** Marks a continued run running again (its error cleared) with this process's environment. */
  restartRun(id: string, environment: RunEnvironment): Promise<void>;
  setOutputDir(id: string, outputDir: string): Promise<void>;
  /** Result rows stored for the run (two per finished (model, level) cell). */
  countResults(runId: string): Promise<number>;
  completeRun(id: string, finishedAt: Date): Promise<void>;
  failRun(id: string, error: string): Promise<void>;
  /** The result rows of one (run, model, corruption), ascending by direction. */
  cellRows(runId: string, modelId: string, corruption: string): Promise<ResultRow[]>;
  /** Every stored run, newest first (the read side: list, load, recompute). */
  listRuns(): Promise<StoredRun[]>;
  findRun(id: string): Promise<StoredRun | null>;
  /** Every result row of the run. */
  runResults(runId: string): Promise<ResultRow[]>;
  /** Deletes the `stale` rows and creates `rows`, in one transaction (a kill leaves a cell whole or absent). */
  replaceCell(stale: string[], rows: ResultRowData[]): Promise<void>;
}

/** The repository on the product's database. */
export function prismaBenchRepository(db: Pick<Database, "prisma">): BenchRepository {
  const { prisma } = db;
  return {
    findModel: (id) => prisma.model.findUnique({ where: { id } }),
    findDataset: (name) => prisma.dataset.findUnique({ where: { name } }),
    findSplit: (datasetId, name) =>
      prisma.split.findUnique({ where: { datasetId_name: { datasetId, name } } }),
    async splitNames(datasetId) {
      const rows = await prisma.split.findMany({ where: { datasetId }, select: { name: true } });
      return rows.map((s) => s.name);
    },
    splitStudies: (splitId) =>
      prisma.study.findMany({
        where: { splitId },
        include: { images: true, report: true },
        orderBy: { externalId: "asc" },
      }),
    splitReports: (splitId) =>
      prisma.report.findMany({
        where: { study: { splitId } },
        select: { findings: true, impression: true, fullText: true },
      }),
    unfinishedRuns: (identity) =>
      prisma.benchmarkRun.findMany({
        where: { ...identity, status: { in: UNFINISHED_RUN_STATUSES } },
        include: { models: true },
        orderBy: { startedAt: "desc" },
      }),
    runQueries: (runId) => prisma.benchmarkQuery.findMany({ where: { runId }, orderBy: { ordinal: "asc" } }),
    async createRun({ jobId, models, ...run }, queries) {
      const created = await prisma.benchmarkRun.create({
        data: {
          ...run,
          status: "running",
          ...(jobId === undefined ? {} : { jobId }),
          models: { create: models },
        },
        include: { models: true },
      });
      const rows = queries.map((q) => ({ runId: created.id, ...q }));
      for (let s = 0; s < rows.length; s += 500) {
        await prisma.benchmarkQuery.createMany({ data: rows.slice(s, s + 500) });
      }
      return created;
    },
    async restartRun(id, { jobId, ...environment }) {
      await prisma.benchmarkRun.update({
        where: { id },
        data: { status: "running", error: null, ...environment, ...(jobId === undefined ? {} : { jobId }) },
      });
    },
    async setOutputDir(id, outputDir) {
      await prisma.benchmarkRun.update({ where: { id }, data: { outputDir } });
    },
    countResults: (runId) => prisma.benchmarkResult.count({ where: { runId } }),
    async completeRun(id, finishedAt) {
      await prisma.benchmarkRun.update({
        where: { id },
        data: { status: "completed", finishedAt, error: null },
      });
    },
    async failRun(id, error) {
      await prisma.benchmarkRun.update({ where: { id }, data: { status: "failed", error } });
    },
    cellRows: (runId, modelId, corruption) =>
      prisma.benchmarkResult.findMany({
        where: { runId, modelId, corruption },
        orderBy: { direction: "asc" },
      }),
    async listRuns() {
      const rows = await prisma.benchmarkRun.findMany({
        include: storedRunInclude,
        orderBy: { startedAt: "desc" },
      });
      return rows.map(storedRun);
    },
    async findRun(id) {
      const row = await prisma.benchmarkRun.findUnique({ where: { id }, include: storedRunInclude });
      return row === null ? null : storedRun(row);
    },
    runResults: (runId) => prisma.benchmarkResult.findMany({ where: { runId } }),
    async replaceCell(stale, rows) {
      await prisma.$transaction([
        prisma.benchmarkResult.deleteMany({ where: { id: { in: stale } } }),
        ...rows.map((data) => prisma.benchmarkResult.create({ data })),
      ]);
    },
  };
}

const storedRunInclude = {
  models: true,
  dataset: { select: { name: true } },
  _count: { select: { results: true } },
} as const;

function storedRun<
  T extends Omit<StoredRun, "datasetName" | "results"> & {
    dataset: { name: string };
    _count: { results: number };
  },
>({ dataset, _count, ...row }: T): StoredRun {
  return { ...row, datasetName: dataset.name, results: _count.results };
}
