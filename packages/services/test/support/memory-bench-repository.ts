import type { ModelModel as Model } from "@cxr/db";
import {
  type BenchDatasetRow,
  type BenchRepository,
  type BenchRunRow,
  type BenchSplitRow,
  type BenchStudyRow,
  type NewBenchRun,
  type ResultRowData,
  type RunEnvironment,
  type RunIdentity,
  type StoredQuery,
  type StoredRun,
  UNFINISHED_RUN_STATUSES,
} from "../../src/bench/repository.ts";
import type { ResultRow } from "../../src/bench/store.ts";

/** A run of the in-memory repository: the row's fields the benchmark reads and writes. */
export interface MemoryRun extends BenchRunRow, RunIdentity, Partial<RunEnvironment> {
  protocolVersion: string;
  paramsJson: string;
  status: string;
  error: string | null;
  finishedAt: Date | null;
  queries: StoredQuery[];
}

/**
 * An in-memory BenchRepository: our own interface on arrays, so that the unit tier runs the
 * benchmark recipe without a database (the Prisma implementation is tested by the integration tier).
 */
export class MemoryBenchRepository implements BenchRepository {
  readonly models: Model[] = [];
  readonly datasets: BenchDatasetRow[] = [];
  readonly splits: (BenchSplitRow & { datasetId: string; name: string; studies: BenchStudyRow[] })[] = [];
  readonly runs: MemoryRun[] = [];
  readonly results: ResultRow[] = [];
  #ids = 0;
  #clock = 0;

  /** Strictly increasing times, so "newest" is well defined however fast the test runs. */
  #now(): Date {
    return new Date(Date.UTC(2026, 0, 1) + ++this.#clock);
  }

  #run(id: string): MemoryRun {
    const run = this.runs.find((r) => r.id === id);
    if (!run) throw new Error(`no benchmark run ${id}`);
    return run;
  }

  async findModel(id: string) {
    return this.models.find((m) => m.id === id) ?? null;
  }

  async findDataset(name: string) {
    return this.datasets.find((d) => d.name === name) ?? null;
  }

  async findSplit(datasetId: string, name: string) {
    return this.splits.find((s) => s.datasetId === datasetId && s.name === name) ?? null;
  }

  async splitNames(datasetId: string) {
    return this.splits.filter((s) => s.datasetId === datasetId).map((s) => s.name);
  }

  async splitStudies(splitId: string) {
    const split = this.splits.find((s) => s.id === splitId);
    return [...(split?.studies ?? [])].sort((a, b) => (a.externalId < b.externalId ? -1 : 1));
  }

  async splitReports(splitId: string) {
    return (await this.splitStudies(splitId)).flatMap((s) => (s.report ? [s.report] : []));
  }

  async unfinishedRuns(identity: RunIdentity) {
    return this.runs
      .filter(
        (r) =>
          r.protocolKey === identity.protocolKey &&
          r.datasetId === identity.datasetId &&
          r.split === identity.split &&
          r.datasetFingerprint === identity.datasetFingerprint &&
          UNFINISHED_RUN_STATUSES.includes(r.status),
      )
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  }

  async runQueries(runId: string) {
    return [...this.#run(runId).queries].sort((a, b) => a.ordinal - b.ordinal);
  }

  #stored(run: MemoryRun): StoredRun {
    const { queries: _queries, ...row } = run;
    return {
      softwareVersion: "",
      executionProvider: null,
      hardware: null,
      countsJson: null,
      ...row,
      datasetName: this.datasets.find((d) => d.id === run.datasetId)?.name ?? "",
      results: this.results.filter((r) => r.runId === run.id).length,
    };
  }

  async listRuns() {
    return [...this.runs]
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
      .map((r) => this.#stored(r));
  }

  async findRun(id: string) {
    const run = this.runs.find((r) => r.id === id);
    return run ? this.#stored(run) : null;
  }

  async runResults(runId: string) {
    return this.results.filter((r) => r.runId === runId);
  }

  async createRun(run: NewBenchRun, queries: StoredQuery[]) {
    const row: MemoryRun = {
      ...run,
      id: `run${++this.#ids}`,
      status: "running",
      error: null,
      outputDir: null,
      startedAt: this.#now(),
      finishedAt: null,
      queries,
    };
    this.runs.push(row);
    return row;
  }

  async restartRun(id: string, environment: RunEnvironment) {
    Object.assign(this.#run(id), { status: "running", error: null }, environment);
  }

  async setOutputDir(id: string, outputDir: string) {
    this.#run(id).outputDir = outputDir;
  }

  async countResults(runId: string) {
    return this.results.filter((r) => r.runId === runId).length;
  }

  async completeRun(id: string, finishedAt: Date) {
    Object.assign(this.#run(id), { status: "completed", finishedAt, error: null });
  }

  async failRun(id: string, error: string) {
    Object.assign(this.#run(id), { status: "failed", error });
  }

  async cellRows(runId: string, modelId: string, corruption: string) {
    return this.results
      .filter((r) => r.runId === runId && r.modelId === modelId && r.corruption === corruption)
      .sort((a, b) => (a.direction < b.direction ? -1 : 1));
  }

  async replaceCell(stale: string[], rows: ResultRowData[]) {
    for (let i = this.results.length - 1; i >= 0; i--) {
      if (stale.includes(this.results[i]!.id!)) this.results.splice(i, 1);
    }
    for (const row of rows) this.results.push({ ...row, id: `result${++this.#ids}` });
  }
}
