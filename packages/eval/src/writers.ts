import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { metricNames } from "./metrics.ts";
import type { RecordFile, ResultRecord, RunRecord, SummaryRecord } from "./records.ts";

async function writeAtomic(path: string, text: string) {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * The JSON record file: the run, every result (with its ranks) and the summaries. One record per line,
 * so that a file with hundreds of thousands of ranks stays greppable and diffable.
 */
export function recordFileJson(file: RecordFile): string {
  const list = (items: readonly unknown[]) =>
    items.length ? `[\n${items.map((i) => JSON.stringify(i)).join(",\n")}\n]` : "[]";
  return `{"format":${JSON.stringify(file.format)},\n"run":${JSON.stringify(file.run)},\n"results":${list(
    file.results,
  )},\n"summaries":${list(file.summaries)}}\n`;
}

export async function writeRecordFile(path: string, file: RecordFile): Promise<void> {
  await writeAtomic(path, recordFileJson(file));
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = Array.isArray(v) ? v.join(";") : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

const RESULT_COLUMNS = [
  "runId",
  "protocolVersion",
  "protocolKey",
  "datasetId",
  "datasetFingerprint",
  "modelId",
  "modelFingerprint",
  "executionProvider",
  "corruption",
  "grid",
  "fill",
  "pattern",
  "seed",
  "textField",
  "corpusSplit",
  "distractorSplits",
  "views",
  "level",
  "direction",
  "queries",
  "candidates",
  "excludedStudies",
] as const;

/** One CSV row per result record: its parameters, every metric and its interval (ranks left out). */
export function resultsCsv(results: readonly ResultRecord[]): string {
  const metrics = metricNames(results[0]?.recallAt ?? [1, 5, 10]);
  const header = [...RESULT_COLUMNS, ...metrics.flatMap((m) => [m, `${m}_low`, `${m}_high`])];
  const rows = results.map((r) => [
    ...RESULT_COLUMNS.map((c) => r[c]),
    ...metrics.flatMap((m) => [r.metrics[m], r.ci[m]?.low, r.ci[m]?.high]),
  ]);
  return toCsv(header, rows);
}

/** Unaggregated rows: one per (model, corruption, level, direction, query) with its rank. */
export function ranksCsv(run: RunRecord, results: readonly ResultRecord[]): string {
  const rows: unknown[][] = [];
  for (const r of results) {
    const qs = run.queries[r.direction];
    r.ranks.forEach((rank, i) => {
      rows.push([r.modelId, r.corruption, r.level, r.direction, qs[i]?.id, qs[i]?.group, rank]);
    });
  }
  return toCsv(["modelId", "corruption", "level", "direction", "queryId", "group", "rank"], rows);
}

export function summariesCsv(summaries: readonly SummaryRecord[]): string {
  const rows = summaries.map((s) => [
    s.protocolKey,
    s.modelId,
    s.corruption,
    s.direction,
    s.metric,
    s.clean,
    s.auc,
    s.relativeRobustness,
    s.corruptionError,
    s.referenceModel,
    s.relativeDrop.map((d) => `${d.level}:${d.value ?? ""}`).join(";"),
  ]);
  return toCsv(
    [
      "protocolKey",
      "modelId",
      "corruption",
      "direction",
      "metric",
      "clean",
      "auc",
      "relativeRobustness",
      "corruptionError",
      "referenceModel",
      "relativeDrop",
    ],
    rows,
  );
}

export async function writeCsv(path: string, csv: string): Promise<void> {
  await writeAtomic(path, csv);
}
