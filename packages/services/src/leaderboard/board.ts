import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Database } from "@cxr/db";
import {
  DIRECTIONS,
  type Direction,
  metricNames,
  type Protocol,
  parseProtocol,
  type QueryRef,
  type RecordFile,
  type ResultRecord,
  sha256Hex,
  summarizeResults,
} from "@cxr/eval";
import { checkClaims, checkSafeName, checkSubmission, readSubmission } from "./check.ts";
import { LeaderboardError } from "./errors.ts";
import { AUC_PREFIX, rankWithUncertainty } from "./ranking.ts";

/** Boards, append-only entries, provenance and the filtered, ranked view (README.md, "Leaderboard"). */

export type LeaderboardDb = Pick<Database, "prisma">;

export const PROVENANCES = ["submitted", "verified", "disputed", "reported"] as const;
export type Provenance = (typeof PROVENANCES)[number];

/** The first 16 hex digits of sha256("<datasetFingerprint>\n<protocolKey>"). */
export function boardKey(datasetFingerprint: string, protocolKey: string): string {
  return sha256Hex(`${datasetFingerprint}\n${protocolKey}`).slice(0, 16);
}

export interface BoardInfo {
  id: string;
  datasetName: string;
  split: string;
  datasetFingerprint: string;
  protocolVersion: string;
  protocolKey: string;
  protocol: Protocol;
  /** The parameters in words, e.g. "occlusion grid 8, fill black, cells; levels 0,0.5; seed 1; ...". */
  description: string;
  datasetAccess: string;
  entries: number;
  createdAt: string;
}

export interface EntryCell {
  direction: Direction;
  level: number;
  metrics: Record<string, number>;
  ci: Record<string, { low: number; high: number }>;
}

export interface EntryInfo {
  id: string;
  boardId: string;
  modelName: string;
  modelFingerprint: string;
  license: string;
  inDomain: boolean;
  /** As of the view's time: a verification after it does not show. */
  provenance: Provenance;
  citation: string | null;
  runId: string | null;
  submissionId: string | null;
  createdAt: string;
  supersededAt: string | null;
  checkedAt: string | null;
  cells: EntryCell[];
  summaries: ReturnType<typeof summarizeResults>;
  check: VerificationSummary | null;
}

export interface VerificationSummary {
  outcome: "verified" | "disputed";
  /** The server's own run. */
  runId: string;
  /** Queries whose rank differs (ids, at most 100 per cell), and the metric deltas (server - entry). */
  differences: { direction: Direction; level: number; queries: string[]; deltas: Record<string, number> }[];
  /** The provenance the entry was created with (before any verification). */
  previous: Provenance;
  /** Earlier verifications of the entry, oldest first: when, and what they found. */
  earlier?: { at: string; outcome: "verified" | "disputed" }[];
}

type EntryRow = Awaited<ReturnType<LeaderboardDb["prisma"]["leaderboardEntry"]["findFirstOrThrow"]>>;
type BoardRow = Awaited<ReturnType<LeaderboardDb["prisma"]["leaderboardBoard"]["findFirstOrThrow"]>>;

function describe(p: Protocol): string {
  const c = p.corruption;
  const corruption =
    c.family === "occlusion" ? `occlusion (grid ${c.grid}, fill ${c.fill}, ${c.pattern})` : c.family;
  return [
    `split ${p.corpus.split}`,
    `text ${p.textField}`,
    corruption,
    `levels ${p.levels.join(",")}`,
    `seed ${p.seed}`,
    `views ${p.views.join("+")}`,
    `corpus ${[p.corpus.split, ...p.corpus.distractorSplits].join("+")}`,
    `bootstrap ${p.bootstrap.samples} x ${p.bootstrap.confidence}`,
  ].join("; ");
}

function boardInfo(row: BoardRow, entries: number): BoardInfo {
  const protocol = parseProtocol(JSON.parse(row.paramsJson));
  return {
    id: row.id,
    datasetName: row.datasetName,
    split: row.split,
    datasetFingerprint: row.datasetFingerprint,
    protocolVersion: row.protocolVersion,
    protocolKey: row.protocolKey,
    protocol,
    description: describe(protocol),
    datasetAccess: row.datasetAccess,
    entries,
    createdAt: row.createdAt.toISOString(),
  };
}

function provenanceAt(row: EntryRow, asOf: Date | null): Provenance {
  if (asOf !== null && row.checkedAt !== null && row.checkedAt > asOf && row.checkJson !== null) {
    // As of then: the last verification before asOf, else what the entry was created with.
    const summary = JSON.parse(row.checkJson) as VerificationSummary;
    const before = (summary.earlier ?? []).filter((c) => new Date(c.at) <= asOf).at(-1);
    return before?.outcome ?? summary.previous;
  }
  return row.provenance as Provenance;
}

function entryInfo(row: EntryRow, asOf: Date | null): EntryInfo {
  const stored = JSON.parse(row.metricsJson) as { cells: EntryCell[]; summaries: EntryInfo["summaries"] };
  const visibleCheck = asOf === null || (row.checkedAt !== null && row.checkedAt <= asOf);
  return {
    id: row.id,
    boardId: row.boardId,
    modelName: row.modelName,
    modelFingerprint: row.modelFingerprint,
    license: row.license,
    inDomain: row.inDomain,
    provenance: provenanceAt(row, asOf),
    citation: row.citation,
    runId: row.runId,
    submissionId: row.submissionId,
    createdAt: row.createdAt.toISOString(),
    supersededAt:
      row.supersededAt !== null && (asOf === null || row.supersededAt <= asOf)
        ? row.supersededAt.toISOString()
        : null,
    checkedAt: visibleCheck ? (row.checkedAt?.toISOString() ?? null) : null,
    cells: stored.cells,
    summaries: stored.summaries,
    check: visibleCheck && row.checkJson !== null ? (JSON.parse(row.checkJson) as VerificationSummary) : null,
  };
}

/** The credentialed sources (their images and reports need a data use agreement). */
function datasetAccessOf(adapter: string | undefined): "open" | "credentialed" {
  return adapter !== undefined && /mimic|chexpert|padchest/i.test(adapter) ? "credentialed" : "open";
}

export interface AcceptOptions {
  provenance: Provenance;
  submitter: string;
  /** sha256 of the payload: the same payload twice is one submission. Absent for local publishes. */
  contentHash?: string;
  payload?: string;
  /** Per model id: the weight license; default "unknown". */
  licenses?: Record<string, string>;
  inDomain?: Record<string, boolean>;
  split: string;
}

export interface AcceptResult {
  boardId: string;
  entryIds: string[];
  submissionId: string | null;
  /** True when this payload was accepted before: nothing was written. */
  duplicate: boolean;
}

/** Writes a checked record file: the board (created on first use), one entry per model, superseding. */
async function accept(db: LeaderboardDb, file: RecordFile, options: AcceptOptions): Promise<AcceptResult> {
  const run = file.run;
  const id = boardKey(run.dataset.fingerprint, run.protocolKey);
  if (options.contentHash !== undefined) {
    const existing = await db.prisma.submission.findUnique({
      where: { contentHash: options.contentHash },
      include: { entries: { select: { id: true } } },
    });
    if (existing !== null)
      return {
        boardId: id,
        entryIds: existing.entries.map((e) => e.id),
        submissionId: existing.id,
        duplicate: true,
      };
  }
  if (options.contentHash === undefined) {
    // Publishing the same local run again changes nothing (scripts/start.sh publishes on every start).
    const current = await db.prisma.leaderboardEntry.findMany({
      where: { boardId: id, runId: run.runId, supersededAt: null, submissionId: null },
      select: { id: true, modelFingerprint: true },
    });
    if (
      current.length > 0 &&
      run.models.every((m) => current.some((e) => e.modelFingerprint === m.fingerprint))
    )
      return { boardId: id, entryIds: current.map((e) => e.id), submissionId: null, duplicate: true };
  }
  const dataset = await db.prisma.dataset.findFirst({ where: { name: run.dataset.id } });
  return db.prisma.$transaction(async (tx) => {
    const board = await tx.leaderboardBoard.findUnique({ where: { id } });
    if (board === null) {
      await tx.leaderboardBoard.create({
        data: {
          id,
          datasetName: run.dataset.id,
          split: run.protocol.corpus.split,
          datasetFingerprint: run.dataset.fingerprint,
          protocolVersion: run.protocolVersion,
          protocolKey: run.protocolKey,
          paramsJson: JSON.stringify(run.protocol),
          queriesJson: JSON.stringify(run.queries),
          datasetAccess: datasetAccessOf(dataset?.adapter),
        },
      });
    }
    const submission =
      options.contentHash === undefined
        ? null
        : await tx.submission.create({
            data: {
              submitter: options.submitter,
              contentHash: options.contentHash,
              payloadJson: options.payload ?? "",
            },
          });
    const now = new Date();
    const entryIds: string[] = [];
    for (const model of run.models) {
      const results = file.results.filter((r) => r.modelId === model.id);
      const cells: EntryCell[] = results.map((r) => ({
        direction: r.direction,
        level: r.level,
        metrics: r.metrics,
        ci: r.ci,
      }));
      await tx.leaderboardEntry.updateMany({
        where: { boardId: id, modelFingerprint: model.fingerprint, supersededAt: null },
        data: { supersededAt: now },
      });
      const entry = await tx.leaderboardEntry.create({
        data: {
          boardId: id,
          modelName: model.id,
          modelFingerprint: model.fingerprint,
          license: options.licenses?.[model.id] ?? "unknown",
          inDomain: options.inDomain?.[model.id] ?? false,
          provenance: options.provenance,
          runId: run.runId,
          recordJson: JSON.stringify({ run, results }),
          metricsJson: JSON.stringify({ cells, summaries: summarizeResults(results, null) }),
          submissionId: submission?.id ?? null,
          createdAt: now,
        },
      });
      entryIds.push(entry.id);
    }
    return { boardId: id, entryIds, submissionId: submission?.id ?? null, duplicate: false };
  });
}

/** The server's own query list for a split and protocol: a completed local run's, else the board's. */
async function serverQueries(
  db: LeaderboardDb,
  datasetFingerprint: string,
  protocolKey: string,
): Promise<Record<Direction, QueryRef[]> | null> {
  const run = await db.prisma.benchmarkRun.findFirst({
    where: { datasetFingerprint, protocolKey, status: "completed" },
    orderBy: { startedAt: "desc" },
  });
  if (run !== null) {
    const rows = await db.prisma.benchmarkQuery.findMany({
      where: { runId: run.id },
      orderBy: { ordinal: "asc" },
    });
    const out: Record<Direction, QueryRef[]> = { "image->text": [], "text->image": [] };
    for (const q of rows) out[q.direction as Direction].push({ id: q.itemId, group: q.studyId });
    return out;
  }
  const board = await db.prisma.leaderboardBoard.findUnique({
    where: { id: boardKey(datasetFingerprint, protocolKey) },
  });
  return board === null ? null : (JSON.parse(board.queriesJson) as Record<Direction, QueryRef[]>);
}

export interface SubmitOptions {
  submitter: string;
  maxBytes?: number;
  licenses?: Record<string, string>;
  inDomain?: Record<string, boolean>;
}

/**
 * A submission: the record file's text, checked in full (check.ts) before anything is written. The
 * same bytes twice are one submission. Entries start as "submitted".
 */
export async function submitRecordFile(
  db: LeaderboardDb,
  text: string,
  options: SubmitOptions,
): Promise<AcceptResult> {
  checkSafeName(options.submitter, "submitter");
  for (const [model, license] of Object.entries(options.licenses ?? {}))
    checkSafeName(license, `licenses.${model}`);
  // The cheap checks first (size, JSON, shape, key), then the query list the server holds and the claims.
  const { file, contentHash } = readSubmission(text, options.maxBytes);
  checkClaims(file, await serverQueries(db, file.run.dataset.fingerprint, file.run.protocolKey));
  return accept(db, file, {
    provenance: "submitted",
    submitter: options.submitter,
    contentHash,
    payload: text,
    split: file.run.protocol.corpus.split,
    ...(options.licenses ? { licenses: options.licenses } : {}),
    ...(options.inDomain ? { inDomain: options.inDomain } : {}),
  });
}

/** A finished run's record file as `cxr bench` wrote it (`<outputDir>/run.json`), or a typed refusal. */
export async function runRecordText(db: LeaderboardDb, runId: string): Promise<string> {
  const row = await db.prisma.benchmarkRun.findUnique({ where: { id: runId } });
  if (row === null)
    throw new LeaderboardError("RUN_NOT_PUBLISHABLE", `no benchmark run "${runId}" (see \`cxr bench list\`)`);
  if (row.status !== "completed" || row.outputDir === null)
    throw new LeaderboardError(
      "RUN_NOT_PUBLISHABLE",
      `run ${runId} is ${row.status}; only a completed run can be published`,
    );
  try {
    return await readFile(path.join(row.outputDir, "run.json"), "utf8");
  } catch {
    throw new LeaderboardError(
      "RUN_NOT_PUBLISHABLE",
      `the record file of run ${runId} is missing (run \`cxr bench\` with the same arguments again to rewrite it)`,
    );
  }
}

/**
 * Publishes a local run to the local board. Its record file is checked like a submission and its
 * ranks must equal the ones in the database; since this server computed them, the entries are
 * "verified". The weight license comes from the registered model.
 */
export async function publishRun(
  db: LeaderboardDb,
  runId: string,
  options: { inDomain?: Record<string, boolean> } = {},
): Promise<AcceptResult> {
  const text = await runRecordText(db, runId);
  const { file } = checkSubmission(text, { maxBytes: Number.MAX_SAFE_INTEGER });
  if (file.run.runId !== runId)
    throw new LeaderboardError(
      "RUN_NOT_PUBLISHABLE",
      `the record file names run ${file.run.runId}, not ${runId}`,
    );
  const rows = await db.prisma.benchmarkResult.findMany({ where: { runId } });
  for (const r of file.results) {
    const row = rows.find(
      (x) => x.modelId === r.modelId && x.direction === r.direction && Math.abs(x.level - r.level) < 1e-12,
    );
    const stored =
      row === undefined ? null : Array.from(new Int32Array(new Uint8Array(row.ranks).slice().buffer));
    if (stored === null || stored.length !== r.ranks.length || stored.some((v, i) => v !== r.ranks[i]))
      throw new LeaderboardError(
        "RUN_NOT_PUBLISHABLE",
        `the record file of run ${runId} differs from the database (${r.modelId}, level ${r.level}, ${r.direction})`,
      );
  }
  const models = await db.prisma.model.findMany({ where: { id: { in: file.run.models.map((m) => m.id) } } });
  const licenses = Object.fromEntries(models.map((m) => [m.id, m.license]));
  return accept(db, file, {
    provenance: "verified",
    submitter: "local",
    licenses,
    split: file.run.protocol.corpus.split,
    ...(options.inDomain ? { inDomain: options.inDomain } : {}),
  });
}

/** A number from a paper: shown beside the board with its citation, never ranked. */
export async function addReportedEntry(
  db: LeaderboardDb,
  input: {
    boardId: string;
    modelName: string;
    license: string;
    citation: string;
    cells: EntryCell[];
  },
): Promise<string> {
  checkSafeName(input.modelName, "modelName");
  checkSafeName(input.license, "license");
  if (input.citation.length > 500 || /[<>]/.test(input.citation) || /^[=+\-@]/.test(input.citation))
    throw new LeaderboardError("UNSAFE_TEXT", "citation must be plain text under 500 characters", "citation");
  await requireBoard(db, input.boardId);
  const entry = await db.prisma.leaderboardEntry.create({
    data: {
      boardId: input.boardId,
      modelName: input.modelName,
      modelFingerprint: `reported:${sha256Hex(`${input.modelName}\n${input.citation}`)}`,
      license: input.license,
      provenance: "reported",
      citation: input.citation,
      recordJson: "{}",
      metricsJson: JSON.stringify({ cells: input.cells, summaries: [] }),
    },
  });
  return entry.id;
}

async function requireBoard(db: LeaderboardDb, id: string): Promise<BoardRow> {
  const row = await db.prisma.leaderboardBoard.findUnique({ where: { id } });
  if (row === null)
    throw new LeaderboardError(
      "UNKNOWN_BOARD",
      `no leaderboard board "${id}" (see \`cxr leaderboard list\`)`,
    );
  return row;
}

export async function listBoards(db: LeaderboardDb): Promise<BoardInfo[]> {
  const rows = await db.prisma.leaderboardBoard.findMany({
    orderBy: [{ datasetName: "asc" }, { createdAt: "asc" }],
    include: { _count: { select: { entries: { where: { supersededAt: null } } } } },
  });
  return rows.map((r) => boardInfo(r, r._count.entries));
}

/**
 * The board's query list of one direction, in the order every entry's ranks follow, with each
 * query's study (the bootstrap group): with the entries' ranks, what anyone needs to recompute
 * every number, interval and tie group of the board.
 */
export async function boardQueries(db: LeaderboardDb, id: string, direction: Direction): Promise<QueryRef[]> {
  const row = await requireBoard(db, id);
  if (!(DIRECTIONS as readonly string[]).includes(direction))
    throw new LeaderboardError("INVALID_ARGUMENT", `direction must be one of ${DIRECTIONS.join(", ")}`);
  return (JSON.parse(row.queriesJson) as Record<Direction, QueryRef[]>)[direction];
}

export async function getBoard(db: LeaderboardDb, id: string): Promise<BoardInfo> {
  const row = await requireBoard(db, id);
  const n = await db.prisma.leaderboardEntry.count({ where: { boardId: id, supersededAt: null } });
  return boardInfo(row, n);
}

export async function getEntry(db: LeaderboardDb, id: string, asOf: Date | null = null): Promise<EntryInfo> {
  const row = await db.prisma.leaderboardEntry.findUnique({ where: { id } });
  if (row === null) throw new LeaderboardError("UNKNOWN_ENTRY", `no leaderboard entry "${id}"`);
  return entryInfo(row, asOf);
}

/** The stored evidence of an entry: its run record and result records (ranks included). */
export async function entryRecord(
  db: LeaderboardDb,
  id: string,
): Promise<{ run: RecordFile["run"]; results: ResultRecord[] } | null> {
  const row = await db.prisma.leaderboardEntry.findUnique({ where: { id } });
  if (row === null) throw new LeaderboardError("UNKNOWN_ENTRY", `no leaderboard entry "${id}"`);
  const parsed = JSON.parse(row.recordJson) as { run?: RecordFile["run"]; results?: ResultRecord[] };
  return parsed.run === undefined ? null : { run: parsed.run, results: parsed.results ?? [] };
}

export interface DrillDownStep {
  direction: Direction;
  from: number;
  to: number;
  /** Queries (image or report ids) a hit at `from` and a miss at `to`, with their study. */
  fallen: QueryRef[];
  /** A miss at `from` and a hit at `to` (occlusion can help). */
  risen: QueryRef[];
}

/** Which queries fall from hit (rank <= k) to miss as the level rises, per consecutive pair of levels. */
export async function entryDrillDown(
  db: LeaderboardDb,
  id: string,
  k = 1,
  limit = 1000,
): Promise<DrillDownStep[]> {
  if (!Number.isInteger(k) || k < 1)
    throw new LeaderboardError("INVALID_ARGUMENT", "k must be a whole number >= 1");
  const record = await entryRecord(db, id);
  if (record === null) return [];
  const out: DrillDownStep[] = [];
  for (const direction of DIRECTIONS) {
    const queries = record.run.queries[direction];
    const cells = record.results.filter((r) => r.direction === direction).sort((a, b) => a.level - b.level);
    for (let i = 0; i + 1 < cells.length; i++) {
      const a = cells[i]!;
      const b = cells[i + 1]!;
      const fallen: QueryRef[] = [];
      const risen: QueryRef[] = [];
      a.ranks.forEach((r, q) => {
        const hitA = r <= k;
        const hitB = b.ranks[q]! <= k;
        if (hitA && !hitB && fallen.length < limit) fallen.push(queries[q]!);
        if (!hitA && hitB && risen.length < limit) risen.push(queries[q]!);
      });
      out.push({ direction, from: a.level, to: b.level, fallen, risen });
    }
  }
  return out;
}

export interface ViewQuery {
  board?: string | null;
  dataset?: string | null;
  split?: string | null;
  textField?: string | null;
  corruption?: string | null;
  /** Which direction's numbers the view shows and sorts by (default image->text). */
  direction?: Direction | null;
  provenance?: Provenance[] | null;
  license?: string | null;
  inDomain?: boolean | null;
  /**
   * Sort metric (default recall@1) at `level` (default the board's lowest: clean), or `auc:<metric>`
   * (the robustness AUC over every level; `level` is not used). Ranks and tie groups are those of it.
   */
  metric?: string | null;
  level?: number | null;
  /** Pin the view to a time: entries created after it, and later supersessions and checks, do not show. */
  asOf?: Date | null;
  /** Include superseded entries (never ranked). */
  includeSuperseded?: boolean | null;
}

export interface ViewRow {
  board: BoardInfo;
  entry: EntryInfo;
  /** The sorted metric at the sorted level and direction, with its interval. */
  value: number | null;
  low: number | null;
  high: number | null;
  /** Null for superseded and reported entries (never ranked). */
  rankLow: number | null;
  rankHigh: number | null;
  rankLabel: string | null;
  tieGroup: number | null;
}

export interface LeaderboardView {
  asOf: string;
  metric: string;
  direction: Direction;
  level: number | null;
  rows: ViewRow[];
}

/**
 * The filtered view, board by board (entries of different boards are never ranked together): each
 * board's current measured entries are ranked with uncertainty on the sorted metric (ranking.ts)
 * before the filters apply, so that hiding a row never changes another row's rank.
 */
export async function leaderboardView(db: LeaderboardDb, query: ViewQuery = {}): Promise<LeaderboardView> {
  const asOf = query.asOf ?? new Date();
  const metric = query.metric ?? "recall@1";
  const direction = query.direction ?? "image->text";
  if (!(DIRECTIONS as readonly string[]).includes(direction))
    throw new LeaderboardError("INVALID_ARGUMENT", `direction must be one of ${DIRECTIONS.join(", ")}`);
  if (Number.isNaN(asOf.getTime())) throw new LeaderboardError("INVALID_ARGUMENT", "asOf is not a time");
  const boards = await db.prisma.leaderboardBoard.findMany({
    where: {
      createdAt: { lte: asOf },
      ...(query.board ? { id: query.board } : {}),
      ...(query.dataset ? { datasetName: query.dataset } : {}),
      ...(query.split ? { split: query.split } : {}),
    },
    orderBy: [{ datasetName: "asc" }, { createdAt: "asc" }],
  });
  if (query.board && boards.length === 0) await requireBoard(db, query.board);
  const rows: ViewRow[] = [];
  for (const b of boards) {
    const info = boardInfo(b, 0);
    const p = info.protocol;
    if (query.textField && p.textField !== query.textField) continue;
    if (query.corruption && p.corruption.family !== query.corruption) continue;
    const auc = metric.startsWith(AUC_PREFIX);
    const base = auc ? metric.slice(AUC_PREFIX.length) : metric;
    if (!metricNames(p.recallAt).includes(base))
      throw new LeaderboardError(
        "INVALID_ARGUMENT",
        `metric must be one of ${metricNames(p.recallAt).join(", ")}, or auc:<one of them> (robustness AUC over the levels)`,
      );
    const level = query.level ?? p.levels[0]!;
    if (!auc && !p.levels.includes(level))
      throw new LeaderboardError(
        "INVALID_ARGUMENT",
        `level ${level} is not one of board ${b.id}'s levels (${p.levels.join(", ")})`,
      );
    const entryRows = await db.prisma.leaderboardEntry.findMany({
      where: { boardId: b.id, createdAt: { lte: asOf } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const current = (e: EntryRow) => e.supersededAt === null || e.supersededAt > asOf;
    const measured = entryRows.filter((e) => current(e) && e.provenance !== "reported");
    const queries = (JSON.parse(b.queriesJson) as Record<Direction, QueryRef[]>)[direction];
    const ranked = rankWithUncertainty(
      measured.map((e) => {
        const rec = JSON.parse(e.recordJson) as { results: ResultRecord[] };
        const ranksAt = (at: number) => {
          const cell = rec.results.find((r) => r.direction === direction && r.level === at);
          if (cell === undefined) throw new Error(`entry ${e.id} has no ${direction} result at level ${at}`);
          return cell.ranks;
        };
        return auc
          ? { id: e.id, ranks: ranksAt(p.levels[0]!), ranksByLevel: p.levels.map(ranksAt) }
          : { id: e.id, ranks: ranksAt(level) };
      }),
      {
        metric,
        recallAt: p.recallAt,
        groups: queries.map((q) => q.group),
        samples: p.bootstrap.samples,
        confidence: p.bootstrap.confidence,
        seed: p.seed,
        // an AUC spans every level: its stream is named "all"
        label: `${b.id}:${direction}:${auc ? "all" : level}:${metric}`,
        levels: p.levels,
      },
    );
    const rankOf = new Map(ranked.map((r, i) => [r.id, { ...r, order: i }]));
    const boardRows: (ViewRow & { order: number })[] = [];
    for (const e of entryRows) {
      if (!current(e) && !query.includeSuperseded) continue;
      const entry = entryInfo(e, asOf);
      info.entries += current(e) ? 1 : 0;
      if (query.provenance && query.provenance.length > 0 && !query.provenance.includes(entry.provenance))
        continue;
      if (query.license && entry.license !== query.license) continue;
      if (query.inDomain !== null && query.inDomain !== undefined && entry.inDomain !== query.inDomain)
        continue;
      const cell = entry.cells.find((c) => c.direction === direction && c.level === level);
      const summary = auc
        ? entry.summaries.find((s) => s.direction === direction && s.metric === base)
        : undefined;
      const r = rankOf.get(e.id);
      boardRows.push({
        board: info,
        entry,
        // an AUC has no stored interval: its uncertainty is in the rank interval
        value: auc ? (summary?.auc ?? r?.value ?? null) : (cell?.metrics[metric] ?? null),
        low: auc ? null : (cell?.ci[metric]?.low ?? null),
        high: auc ? null : (cell?.ci[metric]?.high ?? null),
        rankLow: r?.rankLow ?? null,
        rankHigh: r?.rankHigh ?? null,
        rankLabel: r?.rankLabel ?? null,
        tieGroup: r?.tieGroup ?? null,
        order: r?.order ?? Number.MAX_SAFE_INTEGER,
      });
    }
    boardRows.sort((x, y) => x.order - y.order || (x.entry.createdAt < y.entry.createdAt ? 1 : -1));
    rows.push(...boardRows.map(({ order: _o, ...row }) => row));
  }
  return { asOf: asOf.toISOString(), metric, direction, level: query.level ?? null, rows };
}
