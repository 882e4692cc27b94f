import { type Direction, metricNames, type ResultRecord } from "@cxr/eval";
import { type BenchConfig, runBench } from "../bench/run.ts";
import { entryRecord, type LeaderboardDb, type Provenance, type VerificationSummary } from "./board.ts";
import { LeaderboardError } from "./errors.ts";

/**
 * Re-runs the benchmark of an entry on this server, where it holds the model bundle and the dataset
 * split with the entry's fingerprints, and compares the ranks: equal -> "verified", different ->
 * "disputed" with the differing queries and metric deltas. Synchronous (it runs `runBench` in the
 * caller's process); a jobs queue can wrap it unchanged.
 */
export async function verifyEntry(
  db: LeaderboardDb,
  config: BenchConfig,
  entryId: string,
): Promise<VerificationSummary> {
  const row = await db.prisma.leaderboardEntry.findUnique({
    where: { id: entryId },
    include: { board: true },
  });
  if (row === null) throw new LeaderboardError("UNKNOWN_ENTRY", `no leaderboard entry "${entryId}"`);
  const record = await entryRecord(db, entryId);
  if (record === null || row.provenance === "reported")
    throw new LeaderboardError("NOT_VERIFIABLE", "a reported number has no run to repeat");
  const model = await db.prisma.model.findFirst({ where: { fingerprint: row.modelFingerprint } });
  const split = await db.prisma.split.findFirst({
    where: { fingerprint: row.board.datasetFingerprint, name: row.board.split },
    include: { dataset: true },
  });
  if (model === null || split === null)
    throw new LeaderboardError(
      "NOT_VERIFIABLE",
      `this server does not hold ${model === null ? "the model bundle" : "the dataset split"} with the entry's fingerprint`,
    );
  const p = record.run.protocol;
  const c = p.corruption;
  const bench = await runBench({
    db,
    config,
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
    cache: false,
  });
  if (bench.record.run.protocolKey !== row.board.protocolKey)
    throw new LeaderboardError(
      "NOT_VERIFIABLE",
      "the re-run's protocol key differs from the board's (undecodable images differ?)",
    );
  const queries = bench.record.run.queries;
  const differences: VerificationSummary["differences"] = [];
  for (const mine of bench.record.results) {
    const theirs = record.results.find((r) => r.direction === mine.direction && r.level === mine.level);
    const diff = compare(
      mine,
      theirs,
      queries[mine.direction].map((q) => q.id),
    );
    if (diff !== null)
      differences.push({ direction: mine.direction as Direction, level: mine.level, ...diff });
  }
  const outcome = differences.length === 0 ? "verified" : "disputed";
  const summary: VerificationSummary = {
    outcome,
    runId: bench.runId,
    differences,
    previous: row.provenance as Provenance,
  };
  await db.prisma.leaderboardEntry.update({
    where: { id: entryId },
    data: { provenance: outcome, checkJson: JSON.stringify(summary), checkedAt: new Date() },
  });
  return summary;
}

function compare(
  mine: ResultRecord,
  theirs: ResultRecord | undefined,
  ids: string[],
): { queries: string[]; deltas: Record<string, number> } | null {
  const differing: string[] = [];
  for (let q = 0; q < ids.length; q++) {
    if (theirs?.ranks[q] !== mine.ranks[q] && differing.length < 100) differing.push(ids[q]!);
  }
  if (differing.length === 0 && theirs !== undefined && theirs.ranks.length === mine.ranks.length)
    return null;
  const deltas: Record<string, number> = {};
  for (const name of metricNames(mine.recallAt))
    deltas[name] = (mine.metrics[name] ?? 0) - (theirs?.metrics[name] ?? 0);
  return { queries: differing, deltas };
}
