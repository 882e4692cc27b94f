// biome-ignore-all lint/suspicious/noExplicitAny: the tampered record files are JSON edited in place
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { postgresAvailable, type TempDatabase, tempDatabase } from "@cxr/db/testing";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addModel,
  exportView,
  getEntry,
  isLeaderboardError,
  type LeaderboardError,
  leaderboardView,
  listBoards,
  planVerification,
  publishRun,
  rankWithUncertainty,
  runBench,
  submitRecordFile,
  verifyEntry,
} from "../src/index.ts";
import { independentRanking, seedDataset } from "../src/testing/index.ts";

/**
 * The leaderboard on SQLite with real tiny models and real benchmark runs: publishing, ranks with
 * uncertainty against an independent computation on the stored ranks, submissions from a second
 * data folder (accepted, tampered, hostile), verification by re-run, exports pinned with asOf.
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-leaderboard-"));
const temps: TempDatabase[] = [];
const dbs: Database[] = [];
afterAll(async () => {
  for (const db of dbs) await db.close();
  for (const t of temps) await t.drop();
  rmSync(work, { recursive: true, force: true });
});

async function folder(
  name: string,
  models: { id: string; dimension: number }[],
  dialect: "sqlite" | "postgresql",
) {
  const temp = await tempDatabase(dialect);
  temps.push(temp);
  const db = await openDatabase(temp.config);
  dbs.push(db);
  const config = loadConfig(
    {
      CXR_DATA_DIR: path.join(work, name),
      DATABASE_URL: temp.config.database.url,
      CXR_EXECUTION_PROVIDERS: "cpu",
      CXR_CPU_THREADS: "1",
      CXR_BATCH_SIZE: "4",
    },
    work,
  );
  for (const m of models) {
    const bundle = path.join(work, `${name}-bundle-${m.id}`);
    await writeTinyBundle(bundle, { id: m.id, dimension: m.dimension });
    await addModel(db, config, bundle);
  }
  await seedDataset(db, { dir: path.join(work, `${name}-set`), name: "set", studies: 16, side: 24 });
  await db.prisma.split.updateMany({ data: { fingerprint: "v2:".padEnd(67, "a") } });
  const bench = (model: string, seed = 1) =>
    runBench({
      db,
      config: config,
      models: [model],
      dataset: "set",
      split: "train",
      levels: [0, 0.5],
      seed,
      grid: 4,
      bootstrapSamples: 50,
      outDir: path.join(work, name, `run-${model}-${seed}`),
      cache: false,
    });
  return { db, config, bench };
}

async function refusal(promise: Promise<unknown>): Promise<LeaderboardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isLeaderboardError(error)).toBe(true);
  return error as LeaderboardError;
}

/** The oracle (src/testing/independent-ranking.ts) as "id -> label" for recall@1 at 95%. */
function independentRanks(
  entries: { id: string; ranks: number[] }[],
  groups: string[],
  label: string,
  seed: number,
  B: number,
) {
  return independentRanking(entries, groups, {
    metric: "recall@1",
    seed,
    label,
    samples: B,
    confidence: 0.95,
  });
}

it("separates entries whose paired difference is significant and ties the rest, as the independent computation does", () => {
  // 30 studies of 1-2 images; "strong" finds nearly every report first, "twin" is strong with two
  // queries worse, "weak" rarely: strong and twin tie, weak is alone below them.
  const groups = Array.from({ length: 45 }, (_, q) => `s${String(q % 30).padStart(2, "0")}`);
  const strong = groups.map((_, q) => (q % 9 === 0 ? 3 : 1));
  const twin = strong.map((r, q) => (q === 4 || q === 5 ? 2 : r));
  const weak = groups.map((_, q) => (q % 4 === 0 ? 1 : 5));
  const entries = [
    { id: "weak", ranks: weak },
    { id: "twin", ranks: twin },
    { id: "strong", ranks: strong },
  ];
  const got = rankWithUncertainty(entries, {
    metric: "recall@1",
    recallAt: [1, 5, 10],
    groups,
    samples: 400,
    confidence: 0.95,
    seed: 7,
    label: "b",
  });
  const expected = independentRanks(entries, groups, "b", 7, 400);
  expect(got.map((r) => [r.id, r.rankLabel])).toEqual([
    ["strong", expected.find((e) => e.id === "strong")!.label],
    ["twin", expected.find((e) => e.id === "twin")!.label],
    ["weak", expected.find((e) => e.id === "weak")!.label],
  ]);
  expect(got.map((r) => r.rankLabel)).toEqual(["1-2", "1-2", "3"]);
  expect(got.map((r) => r.tieGroup)).toEqual([1, 1, 2]);
  // whatever the sort metric (higher or lower better), the ranks are those of that metric
  for (const metric of ["recall@5", "mrr", "medianRank", "meanRank"]) {
    const ranked = rankWithUncertainty(entries, {
      metric,
      recallAt: [1, 5, 10],
      groups,
      samples: 400,
      confidence: 0.95,
      seed: 7,
      label: `b:${metric}`,
    });
    const oracle = independentRanking(entries, groups, {
      metric,
      seed: 7,
      label: `b:${metric}`,
      samples: 400,
      confidence: 0.95,
    });
    expect(
      ranked.map((r) => [r.id, r.rankLabel, r.tieGroup]),
      metric,
    ).toEqual(oracle.map((o) => [o.id, o.label, o.tieGroup]));
    expect(ranked.at(-1)!.id, metric).toBe("weak");
  }
});

const pgUp = await postgresAvailable();

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("the leaderboard on $dialect", ({ dialect, run }) => {
  let local: Awaited<ReturnType<typeof folder>>;
  let runs: Record<string, string> = {};
  beforeAll(async () => {
    if (!run) return;
    local = await folder(
      `local-${dialect}`,
      [
        { id: "tiny", dimension: 8 },
        { id: "tiny-b", dimension: 8 },
        { id: "tiny-c", dimension: 3 },
      ],
      dialect,
    );
    runs = {};
    for (const m of ["tiny", "tiny-b", "tiny-c"]) runs[m] = (await local.bench(m)).runId;
  }, 240_000);

  it.runIf(run)(
    "publishes local runs to one board and ranks them with intervals that an independent computation agrees with",
    async () => {
      for (const m of ["tiny", "tiny-b", "tiny-c"]) await publishRun(local.db, runs[m]!);
      const boards = await listBoards(local.db);
      expect(boards).toHaveLength(1);
      expect(boards[0]!.entries).toBe(3);
      const view = await leaderboardView(local.db, { metric: "recall@1" });
      expect(view.rows.map((r) => r.entry.provenance)).toEqual(["verified", "verified", "verified"]);
      const board = boards[0]!;
      const stored = await local.db.prisma.leaderboardEntry.findMany({ where: { boardId: board.id } });
      const queries = JSON.parse(
        (await local.db.prisma.leaderboardBoard.findUniqueOrThrow({ where: { id: board.id } })).queriesJson,
      )["image->text"] as { group: string }[];
      const entries = stored.map((e) => ({
        id: e.id,
        ranks: (
          JSON.parse(e.recordJson).results as { level: number; direction: string; ranks: number[] }[]
        ).find((r) => r.level === 0 && r.direction === "image->text")!.ranks,
      }));
      const expected = independentRanks(
        entries,
        queries.map((q) => q.group),
        `${board.id}:image->text:0:recall@1`,
        1,
        50,
      );
      const got = Object.fromEntries(view.rows.map((r) => [r.entry.id, r.rankLabel]));
      for (const e of expected) expect(got[e.id]).toBe(e.label);
      // any sort metric at any level and direction: the ranks of that metric, recomputed the long way
      const queriesOf = JSON.parse(
        (await local.db.prisma.leaderboardBoard.findUniqueOrThrow({ where: { id: board.id } })).queriesJson,
      ) as Record<string, { group: string }[]>;
      for (const [metric, level, direction] of [
        ["mrr", 0, "image->text"],
        ["recall@5", 0.5, "image->text"],
        ["recall@10", 0, "text->image"],
        ["medianRank", 0.5, "text->image"],
        ["meanRank", 0.5, "image->text"],
        ["auc:mrr", null, "image->text"],
        ["auc:recall@1", null, "text->image"],
      ] as const) {
        const sorted = await leaderboardView(local.db, { metric, level, direction });
        const ranksAt = (e: (typeof stored)[number], at: number) =>
          (JSON.parse(e.recordJson).results as { level: number; direction: string; ranks: number[] }[]).find(
            (r) => r.level === at && r.direction === direction,
          )!.ranks;
        const oracle = independentRanking(
          stored.map((e) => ({
            id: e.id,
            ranks: ranksAt(e, level ?? 0),
            ranksByLevel: [ranksAt(e, 0), ranksAt(e, 0.5)],
          })),
          queriesOf[direction]!.map((q) => q.group),
          {
            metric,
            seed: 1,
            label: `${board.id}:${direction}:${level ?? "all"}:${metric}`,
            samples: 50,
            confidence: 0.95,
            levels: [0, 0.5],
          },
        );
        if (level === null) {
          // the AUC's value is the entry's stored robustness summary
          for (const r of sorted.rows)
            expect(r.value).toBe(
              r.entry.summaries.find((s) => s.direction === direction && s.metric === metric.slice(4))!.auc,
            );
        }
        expect(
          sorted.rows.map((r) => [r.entry.id, r.rankLabel, r.tieGroup]),
          `${metric} at ${level}, ${direction}`,
        ).toEqual(oracle.map((o) => [o.id, o.label, o.tieGroup]));
      }
      // tiny and tiny-b have the same weights: the same ranks, so they share a tie group
      const byName = Object.fromEntries(view.rows.map((r) => [r.entry.modelName, r]));
      expect(byName.tiny!.tieGroup).toBe(byName["tiny-b"]!.tieGroup);
      // the same board gives the same groups
      const again = await leaderboardView(local.db, { metric: "recall@1" });
      expect(again.rows.map((r) => r.rankLabel)).toEqual(view.rows.map((r) => r.rankLabel));
    },
  );

  it.runIf(run)(
    "supersedes an older entry of the same model, keeps it readable, and never ranks other protocols together",
    async () => {
      const before = await leaderboardView(local.db, {});
      const old = before.rows.find((r) => r.entry.modelName === "tiny")!.entry.id;
      const t0 = new Date();
      await new Promise((r) => setTimeout(r, 20));
      // the same run again changes nothing; a newer run of the same model supersedes
      expect((await publishRun(local.db, runs.tiny!)).duplicate).toBe(true);
      await publishRun(local.db, (await local.bench("tiny")).runId);
      const after = await leaderboardView(local.db, {});
      expect(after.rows.filter((r) => r.entry.modelName === "tiny")).toHaveLength(1);
      expect((await getEntry(local.db, old)).supersededAt).not.toBeNull();
      const pinned = await leaderboardView(local.db, { asOf: t0 });
      expect(pinned.rows.find((r) => r.entry.modelName === "tiny")!.entry.id).toBe(old);
      // another seed is another protocol key: another board, ranked on its own
      await publishRun(local.db, (await local.bench("tiny", 2)).runId);
      const all = await leaderboardView(local.db, {});
      const boards = new Set(all.rows.map((r) => r.board.id));
      expect(boards.size).toBe(2);
      for (const id of boards) {
        const rows = all.rows.filter((r) => r.board.id === id);
        expect(Math.max(...rows.map((r) => r.rankHigh ?? 0))).toBe(rows.length);
        expect(new Set(rows.map((r) => r.board.protocolKey)).size).toBe(1);
      }
    },
    120_000,
  );

  it.runIf(run)(
    "accepts a run submitted from a second data folder, once, and refuses tampered or hostile ones writing nothing",
    async () => {
      const remote = await folder(`remote-${dialect}`, [{ id: "tiny-c", dimension: 3 }], dialect);
      const run = await remote.bench("tiny-c");
      const text = readFileSync(run.files.json, "utf8");
      const entriesBefore = await local.db.prisma.leaderboardEntry.count();
      const bad: [string, string, string | null][] = [];
      const file = JSON.parse(text);
      const edit = (f: (x: any) => void) => {
        const copy = structuredClone(file);
        f(copy);
        return JSON.stringify(copy);
      };
      bad.push(["{not json", "MALFORMED_JSON", null]);
      bad.push([" ".repeat(100 * 1024 * 1024), "PAYLOAD_TOO_LARGE", null]);
      bad.push([edit((x) => (x.format = "cxr-bench-file/2")), "WRONG_FORMAT", "format"]);
      bad.push([edit((x) => (x.run.protocolKey = "0".repeat(64))), "PROTOCOL_MISMATCH", "run.protocolKey"]);
      bad.push([
        edit((x) => {
          const v = x.results[0].metrics["recall@5"];
          x.results[0].metrics["recall@5"] = v === 0 ? Number.MIN_VALUE : v * (1 + Number.EPSILON);
        }),
        "CLAIM_MISMATCH",
        "results[0].metrics.recall@5",
      ]);
      bad.push([edit((x) => x.results[1].ranks.pop()), "INVALID_RANKS", "results[1].ranks"]);
      bad.push([edit((x) => (x.results[0].ranks[2] = 10_000)), "INVALID_RANKS", "results[0].ranks[2]"]);
      bad.push([
        edit((x) => {
          const q = x.run.queries["image->text"];
          [q[0], q[1]] = [q[1], q[0]];
        }),
        "QUERY_LIST_MISMATCH",
        "run.queries.image->text[0]",
      ]);
      bad.push([
        edit((x) => {
          x.run.models[0].id = "<b>x</b>";
        }),
        "UNSAFE_TEXT",
        "run.models[0].id",
      ]);
      bad.push([
        edit((x) => {
          x.run.models[0].id = "=HYPERLINK(1)";
        }),
        "UNSAFE_TEXT",
        "run.models[0].id",
      ]);
      for (const [payload, code, field] of bad) {
        const error = await refusal(submitRecordFile(local.db, payload, { submitter: "lab" }));
        expect([error.code, error.field]).toEqual([code, field]);
      }
      expect(await local.db.prisma.leaderboardEntry.count()).toBe(entriesBefore);
      expect(await local.db.prisma.submission.count()).toBe(0);

      const accepted = await submitRecordFile(local.db, text, {
        submitter: "lab",
        licenses: { "tiny-c": "MIT" },
      });
      expect(accepted.duplicate).toBe(false);
      const twice = await submitRecordFile(local.db, text, { submitter: "lab" });
      expect(twice).toMatchObject({ duplicate: true, submissionId: accepted.submissionId });
      expect(await local.db.prisma.submission.count()).toBe(1);
      const entry = await getEntry(local.db, accepted.entryIds[0]!);
      expect(entry.provenance).toBe("submitted");

      // verification re-runs the benchmark here (same bundle, same split fingerprint): same ranks
      const t = new Date();
      await new Promise((r) => setTimeout(r, 20));
      const check = await verifyEntry(local.db, local.config, entry.id);
      expect(check.outcome).toBe("verified");
      expect((await getEntry(local.db, entry.id)).provenance).toBe("verified");
      // as of before the check, it was still "submitted"
      expect((await getEntry(local.db, entry.id, t)).provenance).toBe("submitted");

      // tampered evidence: two stored ranks changed -> a re-run disputes it, naming those queries
      const row = await local.db.prisma.leaderboardEntry.findUniqueOrThrow({ where: { id: entry.id } });
      const record = JSON.parse(row.recordJson);
      const cell = record.results.find((r: any) => r.direction === "text->image" && r.level === 0.5);
      for (const q of [1, 2]) cell.ranks[q] = cell.ranks[q] === 1 ? 2 : 1;
      await local.db.prisma.leaderboardEntry.update({
        where: { id: entry.id },
        data: { recordJson: JSON.stringify(record) },
      });
      const t2 = new Date();
      await new Promise((r) => setTimeout(r, 20));
      const disputed = await verifyEntry(local.db, local.config, entry.id);
      expect(disputed.outcome).toBe("disputed");
      expect(disputed.previous).toBe("submitted");
      // views pinned before either check keep what they showed: submitted, then verified
      expect((await getEntry(local.db, entry.id, t)).provenance).toBe("submitted");
      expect((await getEntry(local.db, entry.id, t2)).provenance).toBe("verified");
      expect(disputed.differences).toEqual([
        {
          direction: "text->image",
          level: 0.5,
          queries: [record.run.queries["text->image"][1].id, record.run.queries["text->image"][2].id],
          deltas: expect.any(Object),
        },
      ]);
      expect((await getEntry(local.db, entry.id)).provenance).toBe("disputed");

      // what this server cannot re-run is refused before anything runs
      const runsBefore = await local.db.prisma.benchmarkRun.count();
      await local.db.prisma.split.updateMany({ data: { fingerprint: "v2:".padEnd(67, "d") } });
      try {
        const changed = await refusal(planVerification(local.db, entry.id));
        expect([changed.code, changed.field]).toEqual(["FINGERPRINT_MISMATCH", "datasetFingerprint"]);
      } finally {
        await local.db.prisma.split.updateMany({ data: { fingerprint: "v2:".padEnd(67, "a") } });
      }
      expect((await refusal(planVerification(local.db, "no-such-entry"))).code).toBe("UNKNOWN_ENTRY");
      expect(await local.db.prisma.benchmarkRun.count()).toBe(runsBefore);
    },
    240_000,
  );

  it.runIf(run)(
    "exports a filtered view with its permalink and as-of time, re-opened to the same rows",
    async () => {
      const permalink = (asOf: string) => `http://host/leaderboard?metric=mrr&asOf=${asOf}`;
      const first = await exportView(local.db, { metric: "mrr", provenance: ["verified"] }, permalink);
      expect(first.csv).toContain(`# asOf,${first.view.asOf}`);
      expect(JSON.parse(first.json)).toMatchObject({
        asOf: first.view.asOf,
        permalink: permalink(first.view.asOf),
      });
      await publishRun(local.db, (await local.bench("tiny-b")).runId); // a later change the pinned view must not show
      const again = await exportView(
        local.db,
        { metric: "mrr", provenance: ["verified"], asOf: new Date(first.view.asOf) },
        permalink,
      );
      expect(again.json).toBe(first.json);
      expect(again.csv).toBe(first.csv);
    },
  );
});
