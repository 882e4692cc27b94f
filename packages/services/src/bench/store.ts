import type { Database } from "@cxr/db";
import {
  type Direction,
  type MetricIntervals,
  type MetricValues,
  type Protocol,
  protocolFields,
  RESULT_FORMAT,
  type ResultRecord,
  type ResumeKey,
  type ResumeStore,
  type TieRange,
} from "@cxr/eval";
import { type BenchRepository, prismaBenchRepository } from "./repository.ts";

/**
 * How result records live in the database: one `BenchmarkResult` row per (run, model, corruption,
 * level, direction) with the flat metrics in columns, everything else of the record (every metric,
 * the intervals, provenance, cell times) in `metricsJson`, and the per-query ranks as little-endian
 * int32 in `ranks`, in `BenchmarkQuery` order. The protocol fields of a record come from the run's
 * `paramsJson`, so a record read back is the record that was written.
 */

export type BenchDb = Pick<Database, "prisma">;

export const METRICS_FORMAT = "cxr-bench-metrics/1";

/** What `metricsJson` holds. */
export interface StoredMetrics {
  format: typeof METRICS_FORMAT;
  /**
   * The level exactly as the protocol has it. The Float column may come back rounded to 15
   * significant digits (SQLite through Prisma), which is why no number is read from the columns.
   */
  level: number;
  metrics: MetricValues;
  ci: MetricIntervals;
  candidates: number;
  excludedStudies: number;
  modelFingerprint: string;
  executionProvider: string;
  softwareVersion: string;
  hardware: string;
  scoringKernel: string;
  startedAt: string;
  endedAt: string;
  /** Chance levels on the direction's positive sets (absent in rows written before they existed). */
  chance?: MetricValues;
  /**
   * Exact ties: tied-query count, optimistic and pessimistic metrics, and each tied query's rank range
   * (ties are found on scores, which are not stored; `cxr bench verify` checks the ranges against
   * the ranks). Absent in rows written before they existed.
   */
  ties?: TieRange;
}

/** The run-level facts every record of a run shares. */
export interface RunContext {
  runId: string;
  protocol: Protocol;
  protocolKey: string;
  datasetId: string;
  datasetFingerprint: string;
}

export function encodeRanks(ranks: readonly number[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(ranks.length * 4);
  const view = new DataView(out.buffer);
  ranks.forEach((r, i) => {
    view.setInt32(i * 4, r, true);
  });
  return out;
}

export function decodeRanks(bytes: Uint8Array): number[] {
  if (bytes.length % 4 !== 0) throw new Error(`ranks hold ${bytes.length} bytes, not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(i * 4, true));
}

export function resultRowData(record: ResultRecord) {
  const m = record.metrics;
  const stored: StoredMetrics = {
    format: METRICS_FORMAT,
    level: record.level,
    metrics: record.metrics,
    ci: record.ci,
    candidates: record.candidates,
    excludedStudies: record.excludedStudies,
    modelFingerprint: record.modelFingerprint,
    executionProvider: record.executionProvider,
    softwareVersion: record.softwareVersion,
    hardware: record.hardware,
    scoringKernel: record.scoringKernel,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    ...(record.chance ? { chance: record.chance } : {}),
    ...(record.ties ? { ties: record.ties } : {}),
  };
  return {
    runId: record.runId,
    modelId: record.modelId,
    corruption: record.corruption,
    level: record.level,
    direction: record.direction,
    queries: record.queries,
    // -1 when the protocol does not ask for that K (protocol v1's default asks for 1, 5 and 10).
    recallAt1: m["recall@1"] ?? -1,
    recallAt5: m["recall@5"] ?? -1,
    recallAt10: m["recall@10"] ?? -1,
    mrr: m.mrr!,
    medianRank: m.medianRank!,
    meanRank: m.meanRank!,
    metricsJson: JSON.stringify(stored),
    ranks: encodeRanks(record.ranks),
  };
}

export interface ResultRow {
  id?: string;
  runId: string;
  modelId: string;
  corruption: string;
  level: number;
  direction: string;
  queries: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  mrr: number;
  medianRank: number;
  meanRank: number;
  metricsJson: string;
  ranks: Uint8Array;
}

/** The result record a row holds (the inverse of `resultRowData`). */
export function recordFromRow(row: ResultRow, run: RunContext): ResultRecord {
  const stored = JSON.parse(row.metricsJson) as StoredMetrics;
  if (stored.format !== METRICS_FORMAT)
    throw new Error(`metricsJson format ${stored.format} is not ${METRICS_FORMAT}`);
  return {
    kind: "result",
    format: RESULT_FORMAT,
    runId: row.runId,
    protocolVersion: run.protocol.version,
    protocolKey: run.protocolKey,
    ...protocolFields(run.protocol),
    datasetId: run.datasetId,
    datasetFingerprint: run.datasetFingerprint,
    modelId: row.modelId,
    modelFingerprint: stored.modelFingerprint,
    executionProvider: stored.executionProvider,
    softwareVersion: stored.softwareVersion,
    hardware: stored.hardware,
    scoringKernel: stored.scoringKernel,
    level: stored.level ?? row.level,
    direction: row.direction as Direction,
    queries: row.queries,
    candidates: stored.candidates,
    excludedStudies: stored.excludedStudies,
    metrics: stored.metrics,
    ci: stored.ci,
    ranks: decodeRanks(row.ranks),
    ...(stored.chance ? { chance: stored.chance } : {}),
    ...(stored.ties ? { ties: stored.ties } : {}),
    startedAt: stored.startedAt,
    endedAt: stored.endedAt,
  };
}

/**
 * The engine's resume store, backed by the run's result rows: a (model, level) cell is finished when
 * both directions' rows exist. Both are written in one transaction, so a kill leaves a cell whole or
 * absent.
 */
export class RepositoryResumeStore implements ResumeStore {
  constructor(
    private readonly repository: Pick<BenchRepository, "cellRows" | "replaceCell">,
    private readonly run: RunContext,
  ) {}

  /** The rows of one (model, level) cell, matched on the exact level kept in metricsJson. */
  private async cell(key: ResumeKey) {
    const rows = await this.repository.cellRows(
      this.run.runId,
      key.modelId,
      this.run.protocol.corruption.family,
    );
    return rows
      .map((row) => ({ row, record: recordFromRow(row, this.run) }))
      .filter(({ record }) => record.level === key.level);
  }

  async load(key: ResumeKey): Promise<ResultRecord[] | undefined> {
    const rows = await this.cell(key);
    if (rows.length !== 2) return undefined;
    const records = rows.map((r) => r.record);
    if (records.some((r) => r.modelFingerprint !== key.modelFingerprint)) return undefined;
    return records;
  }

  async save(key: ResumeKey, records: ResultRecord[]): Promise<void> {
    const stale = (await this.cell(key)).map((r) => r.row.id).filter((id): id is string => id !== undefined);
    await this.repository.replaceCell(stale, records.map(resultRowData));
  }
}

/** The resume store on the product's database (the `BenchmarkResult` rows). */
export class DatabaseResumeStore extends RepositoryResumeStore {
  constructor(db: BenchDb, run: RunContext) {
    super(prismaBenchRepository(db), run);
  }
}
