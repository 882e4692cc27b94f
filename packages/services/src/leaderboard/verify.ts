import { stat } from "node:fs/promises";
import path from "node:path";
import { readManifest } from "@cxr/encoders";
import { computeMetrics, type Direction, metricNames, type ResultRecord } from "@cxr/eval";
import type { BenchOptions, BenchResult } from "../bench/run.ts";
import { runBench } from "../bench/run.ts";
import { entryRecord, type LeaderboardDb, type Provenance, type VerificationSummary } from "./board.ts";
import { LeaderboardError } from "./errors.ts";

/**
 * Verification by re-run (docs/leaderboard.md, "Verifying"): where this server holds the model bundle
 * and the dataset split with the entry's fingerprints, it runs the benchmark again with the entry's
 * protocol and compares the ranks query by query: equal -> "verified", different -> "disputed" with
 * the differing queries and the metric deltas. It is a job (kind "verify", jobs/definitions.ts):
 * `planVerification` is its prepare (every refusal typed, nothing written), `finishVerification` its
 * last step after the benchmark ran through the bench job's path.
 */

/** The benchmark parameters of a verification (plain JSON, those of a bench job). */
export type VerifyBenchParameters = Omit<BenchOptions, "db" | "config" | "onProgress" | "signal" | "jobId">;

export interface VerificationPlan {
  entryId: string;
  /** The entry's board and model fingerprint: a re-run of the same (board, model) is one benchmark. */
  boardId: string;
  modelFingerprint: string;
  /** The server's model id holding the entry's model fingerprint. */
  modelId: string;
  bench: VerifyBenchParameters;
}

async function bundleInPlace(bundlePath: string): Promise<boolean> {
  try {
    const manifest = await readManifest(bundlePath);
    for (const file of Object.keys(manifest.files)) {
      const info = await stat(path.join(bundlePath, file));
      if (!info.isFile() || info.size === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * What a verification of the entry would run, or why it cannot run here: UNKNOWN_ENTRY;
 * NOT_VERIFIABLE (a reported number: no run to repeat); NO_BUNDLE (no model with the entry's
 * fingerprint, or its bundle files are missing); FINGERPRINT_MISMATCH (field `modelFingerprint`: a
 * model of the entry's name with other weights; field `datasetFingerprint`: the split with other
 * content); NO_DATASET (no split of the board's dataset name and split). Reads only.
 */
export async function planVerification(db: LeaderboardDb, entryId: string): Promise<VerificationPlan> {
  if (typeof entryId !== "string" || entryId.length === 0)
    throw new LeaderboardError("INVALID_ARGUMENT", "a verification needs an entry id");
  const row = await db.prisma.leaderboardEntry.findUnique({
    where: { id: entryId },
    include: { board: true },
  });
  if (row === null) throw new LeaderboardError("UNKNOWN_ENTRY", `no leaderboard entry "${entryId}"`);
  const record = await entryRecord(db, entryId);
  if (record === null || row.provenance === "reported")
    throw new LeaderboardError("NOT_VERIFIABLE", "a reported number has no run to repeat");

  const model = await db.prisma.model.findFirst({
    where: { fingerprint: row.modelFingerprint },
    orderBy: { id: "asc" },
  });
  if (model === null) {
    const namesake = await db.prisma.model.findUnique({ where: { id: row.modelName } });
    if (namesake !== null)
      throw new LeaderboardError(
        "FINGERPRINT_MISMATCH",
        `this server's model "${row.modelName}" has other weights than the entry's (fingerprint ${namesake.fingerprint.slice(0, 12)}… vs ${row.modelFingerprint.slice(0, 12)}…)`,
        "modelFingerprint",
      );
    throw new LeaderboardError(
      "NO_BUNDLE",
      `this server holds no model bundle with the entry's fingerprint ${row.modelFingerprint.slice(0, 12)}… (cxr models add)`,
      "modelFingerprint",
    );
  }
  if (!(await bundleInPlace(model.bundlePath)))
    throw new LeaderboardError(
      "NO_BUNDLE",
      `the bundle of model "${model.id}" is not in place on this server (cxr doctor)`,
      "modelFingerprint",
    );

  const splits = await db.prisma.split.findMany({
    where: { name: row.board.split, dataset: { name: row.board.datasetName } },
    include: { dataset: true },
  });
  const split = splits.find((s) => s.fingerprint === row.board.datasetFingerprint);
  if (split === undefined) {
    if (splits.length > 0)
      throw new LeaderboardError(
        "FINGERPRINT_MISMATCH",
        `this server's split ${row.board.datasetName}/${row.board.split} has other content than the board's (fingerprint ${(splits[0]!.fingerprint ?? "none").slice(0, 12)}… vs ${row.board.datasetFingerprint.slice(0, 12)}…)`,
        "datasetFingerprint",
      );
    throw new LeaderboardError(
      "NO_DATASET",
      `this server holds no split ${row.board.datasetName}/${row.board.split} (cxr ingest)`,
      "datasetFingerprint",
    );
  }

  const p = record.run.protocol;
  const c = p.corruption;
  return {
    entryId,
    boardId: row.boardId,
    modelFingerprint: row.modelFingerprint,
    modelId: model.id,
    bench: {
      models: [model.id],
      dataset: split.dataset.name,
      split: p.corpus.split,
      corruption: c.family,
      levels: p.levels,
      seed: p.seed,
      textField: p.textField,
      ...(c.family === "occlusion" ? { grid: c.grid, fill: c.fill, pattern: c.pattern } : {}),
      views: p.views,
      distractorSplits: p.corpus.distractorSplits,
      bootstrapSamples: p.bootstrap.samples,
      confidence: p.bootstrap.confidence,
      ...(p.bootstrap.unit ? { bootstrapUnit: p.bootstrap.unit } : {}),
      excludeUndecodable: (p.excludedImages ?? []).length > 0,
      // Every corrupted image rendered afresh, none from the corruption cache.
      cache: false,
    },
  };
}

/**
 * Compares the server's run with the entry's stored ranks and records the outcome on the entry
 * (provenance, checkJson, checkedAt). The deltas are server minus entry, the entry's metrics
 * recomputed from its stored ranks (the evidence every number on the board comes from).
 */
export async function finishVerification(
  db: LeaderboardDb,
  entryId: string,
  bench: Pick<BenchResult, "runId" | "record">,
): Promise<VerificationSummary> {
  const row = await db.prisma.leaderboardEntry.findUnique({
    where: { id: entryId },
    include: { board: true },
  });
  if (row === null) throw new LeaderboardError("UNKNOWN_ENTRY", `no leaderboard entry "${entryId}"`);
  const record = await entryRecord(db, entryId);
  if (record === null) throw new LeaderboardError("NOT_VERIFIABLE", "a reported number has no run to repeat");
  if (bench.record.run.protocolKey !== row.board.protocolKey)
    throw new LeaderboardError(
      "NOT_VERIFIABLE",
      "the re-run's protocol key differs from the board's (undecodable images differ?)",
    );
  const queries = bench.record.run.queries;
  const differences: VerificationSummary["differences"] = [];
  for (const mine of bench.record.results) {
    const theirs = record.results.find((r) => r.direction === mine.direction && r.level === mine.level);
    const theirIds = record.run.queries?.[mine.direction as Direction]?.map((q) => q.id);
    const diff = compare(
      mine,
      theirs,
      queries[mine.direction].map((q) => q.id),
      theirIds,
    );
    if (diff !== null)
      differences.push({ direction: mine.direction as Direction, level: mine.level, ...diff });
  }
  const outcome = differences.length === 0 ? "verified" : "disputed";
  // A view pinned before this check shows what the entry was then: the verifications before it are kept.
  const last = row.checkJson === null ? null : (JSON.parse(row.checkJson) as VerificationSummary);
  const summary: VerificationSummary = {
    outcome,
    runId: bench.runId,
    differences,
    previous: (last?.previous ?? row.provenance) as Provenance,
    earlier:
      last === null || row.checkedAt === null
        ? []
        : [...(last.earlier ?? []), { at: row.checkedAt.toISOString(), outcome: last.outcome }],
  };
  await db.prisma.leaderboardEntry.update({
    where: { id: entryId },
    data: { provenance: outcome, checkJson: JSON.stringify(summary), checkedAt: new Date() },
  });
  return summary;
}

/**
 * Synchronous verification in the caller's process (plan, benchmark, finish): what the "verify"
 * job runs, for callers without a job (scripts, tests of the comparison).
 */
export async function verifyEntry(
  db: LeaderboardDb,
  config: BenchOptions["config"],
  entryId: string,
): Promise<VerificationSummary> {
  const plan = await planVerification(db, entryId);
  const bench = await runBench({ ...plan.bench, db, config });
  return finishVerification(db, entryId, bench);
}

/** At most this many differing query ids are kept per cell. */
const MAX_QUERIES = 100;

function compare(
  mine: ResultRecord,
  theirs: ResultRecord | undefined,
  ids: string[],
  theirIds: string[] | undefined,
): { queries: string[]; deltas: Record<string, number> } | null {
  const differing: string[] = [];
  const sameList =
    theirIds === undefined || (theirIds.length === ids.length && theirIds.every((id, q) => id === ids[q]));
  for (let q = 0; q < ids.length; q++) {
    if ((!sameList || theirs?.ranks[q] !== mine.ranks[q]) && differing.length < MAX_QUERIES)
      differing.push(ids[q]!);
  }
  if (differing.length === 0 && theirs !== undefined && theirs.ranks.length === mine.ranks.length)
    return null;
  let theirMetrics: Record<string, number> = theirs?.metrics ?? {};
  try {
    if (theirs !== undefined && theirs.ranks.length > 0)
      theirMetrics = computeMetrics(theirs.ranks, mine.recallAt);
  } catch {
    // ranks that are not positive whole numbers: the stored claims are all there is to compare
  }
  const deltas: Record<string, number> = {};
  for (const name of metricNames(mine.recallAt))
    deltas[name] = (mine.metrics[name] ?? 0) - (theirMetrics[name] ?? 0);
  return { queries: differing, deltas };
}
