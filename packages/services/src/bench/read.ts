import {
  type Direction,
  type Mismatch,
  type Protocol,
  parseProtocol,
  protocolKey,
  type QueryRef,
  type ResultRecord,
  type RunCounts,
  type SummaryRecord,
  sha256Hex,
  summarizeResults,
  verifyResult,
} from "@cxr/eval";
import { BenchError } from "./errors.ts";
import { type BenchRepository, prismaBenchRepository, type StoredRun } from "./repository.ts";
import { type BenchDb, type RunContext, recordFromRow } from "./store.ts";

/** Benchmark runs as the database holds them: listing, one run with its records, and verification. */

export interface BenchRunSummary {
  runId: string;
  status: string;
  protocolVersion: string;
  protocolKey: string;
  dataset: string;
  split: string;
  datasetFingerprint: string;
  corruption: string;
  levels: number[];
  seed: number;
  textField: string;
  models: { id: string; fingerprint: string }[];
  /** Finished result rows (two per (model, level): both directions) and how many the run needs. */
  results: number;
  expectedResults: number;
  softwareVersion: string;
  executionProvider: string | null;
  hardware: string | null;
  counts: RunCounts | null;
  outputDir: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface BenchRunDetail {
  run: BenchRunSummary & { protocol: Protocol };
  queries: Record<Direction, QueryRef[]>;
  results: ResultRecord[];
  summaries: SummaryRecord[];
}

function summaryOf(row: StoredRun): BenchRunSummary & { protocol: Protocol } {
  const protocol = parseProtocol(JSON.parse(row.paramsJson));
  return {
    runId: row.id,
    status: row.status,
    protocolVersion: row.protocolVersion,
    protocolKey: row.protocolKey,
    dataset: row.datasetName,
    split: row.split,
    datasetFingerprint: row.datasetFingerprint,
    corruption: protocol.corruption.family,
    levels: protocol.levels,
    seed: protocol.seed,
    textField: protocol.textField,
    models: row.models
      .map((m) => ({ id: m.modelId, fingerprint: m.modelFingerprint }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    results: row.results,
    expectedResults: row.models.length * protocol.levels.length * 2,
    softwareVersion: row.softwareVersion,
    executionProvider: row.executionProvider,
    hardware: row.hardware,
    counts: row.countsJson === null ? null : (JSON.parse(row.countsJson) as RunCounts),
    outputDir: row.outputDir,
    error: row.error,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    protocol,
  };
}

/** Every run, newest first. */
export function listBenchRuns(db: BenchDb): Promise<BenchRunSummary[]> {
  return listRunsIn(prismaBenchRepository(db));
}

/** `listBenchRuns` on any repository. */
export async function listRunsIn(repo: BenchRepository): Promise<BenchRunSummary[]> {
  const rows = await repo.listRuns();
  return rows.map((r) => {
    const { protocol: _protocol, ...summary } = summaryOf(r);
    return summary;
  });
}

/** A run's stored result records (read back from the rows), its query lists and its summaries. */
export function loadBenchRun(
  db: BenchDb,
  runId: string,
  options: { referenceModel?: string | null } = {},
): Promise<BenchRunDetail> {
  return loadRunFrom(prismaBenchRepository(db), runId, options);
}

/** `loadBenchRun` on any repository. */
export async function loadRunFrom(
  repo: BenchRepository,
  runId: string,
  options: { referenceModel?: string | null } = {},
): Promise<BenchRunDetail> {
  const row = await repo.findRun(runId);
  if (row === null)
    throw new BenchError("UNKNOWN_RUN", `no benchmark run "${runId}" (see \`cxr bench list\`)`, { runId });
  const run = summaryOf(row);
  const context: RunContext = {
    runId: row.id,
    protocol: run.protocol,
    protocolKey: row.protocolKey,
    datasetId: row.datasetName,
    datasetFingerprint: row.datasetFingerprint,
  };
  const queryRows = await repo.runQueries(runId);
  const queries: Record<Direction, QueryRef[]> = { "image->text": [], "text->image": [] };
  for (const q of queryRows) queries[q.direction as Direction].push({ id: q.itemId, group: q.studyId });
  const resultRows = await repo.runResults(runId);
  const modelOrder = new Map(run.models.map((m, i) => [m.id, i]));
  const results = resultRows
    .map((r) => recordFromRow(r, context))
    .sort(
      (a, b) =>
        (modelOrder.get(a.modelId) ?? 0) - (modelOrder.get(b.modelId) ?? 0) ||
        a.level - b.level ||
        (a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0),
    );
  const summaries = summarizeResults(results, options.referenceModel);
  return { run, queries, results, summaries };
}

export interface RecomputeReport {
  runId: string;
  /** sha256 of the stored paramsJson equals the stored protocolKey, and it is the key of the parsed protocol. */
  protocolKeyOk: boolean;
  /** Result rows checked. */
  checked: number;
  /** Every stored number that the stored ranks do not give (empty when all agree). */
  mismatches: Array<Mismatch & { modelId: string; corruption: string; level: number; direction: string }>;
  ok: boolean;
}

/**
 * Recomputes every metric and interval of every stored result of a run from its stored per-query
 * ranks and query list (@cxr/eval's verifyResult, what the leaderboard server runs), and compares
 * with the stored values: the flat columns and metricsJson both.
 */
export function recomputeFromDatabase(
  db: BenchDb,
  runId: string,
  tolerance = 1e-12,
): Promise<RecomputeReport> {
  return recomputeRun(prismaBenchRepository(db), runId, tolerance);
}

/** `recomputeFromDatabase` on any repository. */
export async function recomputeRun(
  repo: BenchRepository,
  runId: string,
  tolerance = 1e-12,
): Promise<RecomputeReport> {
  const { run, queries } = await loadRunFrom(repo, runId);
  const row = await repo.findRun(runId);
  if (row === null) throw new BenchError("UNKNOWN_RUN", `no benchmark run "${runId}"`, { runId });
  const protocolKeyOk =
    sha256Hex(row.paramsJson) === row.protocolKey && protocolKey(run.protocol) === row.protocolKey;
  const context: RunContext = {
    runId,
    protocol: run.protocol,
    protocolKey: row.protocolKey,
    datasetId: row.datasetName,
    datasetFingerprint: row.datasetFingerprint,
  };
  const rows = await repo.runResults(runId);
  const mismatches: RecomputeReport["mismatches"] = [];
  for (const stored of rows) {
    const record = recordFromRow(stored, context);
    const where = {
      modelId: record.modelId,
      corruption: record.corruption,
      level: record.level,
      direction: record.direction,
    };
    for (const m of verifyResult(record, queries[record.direction], tolerance))
      mismatches.push({ ...m, ...where });
    // The flat columns against metricsJson (which verifyResult just checked against the ranks).
    const pairs: Array<[string, number, number | undefined]> = [
      ["level column", stored.level, record.level],
      ["recall@1 column", stored.recallAt1, record.metrics["recall@1"]],
      ["recall@5 column", stored.recallAt5, record.metrics["recall@5"]],
      ["recall@10 column", stored.recallAt10, record.metrics["recall@10"]],
      ["mrr column", stored.mrr, record.metrics.mrr],
      ["medianRank column", stored.medianRank, record.metrics.medianRank],
      ["meanRank column", stored.meanRank, record.metrics.meanRank],
      ["queries column", stored.queries, queries[record.direction].length],
    ];
    for (const [what, column, value] of pairs) {
      // A recall@K the protocol does not ask for has no value to compare (its column holds -1).
      if (value === undefined) continue;
      // Relative: the Float columns may come back rounded to 15 significant digits (SQLite).
      if (!(Math.abs(column - value) <= tolerance * Math.max(1, Math.abs(value))))
        mismatches.push({ what, claimed: column, recomputed: value, ...where });
    }
  }
  return {
    runId,
    protocolKeyOk,
    checked: rows.length,
    mismatches,
    ok: protocolKeyOk && mismatches.length === 0,
  };
}
