import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "@cxr/db";
import { postgresAvailable, type TempDatabase, tempDatabase } from "@cxr/db/testing";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { checkRecordFile, type ResultRecord } from "@cxr/eval";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  addModel,
  BenchError,
  type BenchOptions,
  decodeRanks,
  encodeRanks,
  listBenchRuns,
  loadBenchRun,
  protocolView,
  recomputeFromDatabase,
  runBench,
} from "../src/index.ts";
import { seedDataset } from "../src/testing/index.ts";

/**
 * runBench on both databases with a tiny bundle and a seeded dataset: what is stored, that a record
 * read back from the rows is the record written, continuation of an unfinished run, and the errors.
 * The CLI, the synthetic set, SIGKILL and the demo model are in ../../../test/bench.test.ts.
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-services-bench-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(work, `${name}-${++n}`);
const pgUp = await postgresAvailable();

const numbers = (r: ResultRecord) => ({
  cell: `${r.modelId} ${r.level} ${r.direction}`,
  metrics: r.metrics,
  ci: r.ci,
  ranks: r.ranks,
});

async function rejection(promise: Promise<unknown>): Promise<BenchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BenchError);
  return error as BenchError;
}

it("ranks round-trip as little-endian int32", () => {
  const bytes = encodeRanks([1, 2, 300, 70000]);
  expect(Array.from(bytes.subarray(0, 8))).toEqual([1, 0, 0, 0, 2, 0, 0, 0]);
  expect(decodeRanks(bytes)).toEqual([1, 2, 300, 70000]);
  expect(decodeRanks(Buffer.from(bytes).subarray(4))).toEqual([2, 300, 70000]);
});

it("maps source views to protocol views", () => {
  expect(["PA", "AP", "ap", "AP AXIAL", "FRONTAL"].map(protocolView)).toEqual(Array(5).fill("frontal"));
  expect(["LATERAL", "LL", "RL"].map(protocolView)).toEqual(["lateral", "lateral", "lateral"]);
  expect([null, "", "SWIMMERS"].map(protocolView)).toEqual(["other", "other", "other"]);
});

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("benchmark runs on $dialect", ({ dialect, run }) => {
  let temp: TempDatabase | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    await temp?.drop();
    db = undefined;
    temp = undefined;
  });

  async function setup() {
    temp = await tempDatabase(dialect);
    db = await openDatabase(temp.config);
    const config = {
      dataDir: fresh("data"),
      modelsDir: fresh("models"),
      executionProviders: ["cpu" as const],
      cpuThreads: 1,
      encodeBatchSize: 4,
    };
    for (const id of ["tiny-a", "tiny-b"]) {
      const bundle = fresh(id);
      await writeTinyBundle(bundle, { id });
      await addModel(db, config, bundle);
    }
    // 15 studies: 12 in train (one without a report), images PA and LATERAL alternately.
    await seedDataset(db, { dir: fresh("set"), name: "set", studies: 15, emptyReports: [2], side: 24 });
    const base: BenchOptions = {
      db,
      config,
      models: ["tiny-a", "tiny-b"],
      dataset: "set",
      split: "train",
      levels: [0, 0.5, 0.75],
      seed: 3,
      grid: 4,
      bootstrapSamples: 50,
    };
    return { db, config, base };
  }

  it.runIf(run)(
    "stores the run, its queries and every result; records read back equal those written",
    async () => {
      const { db, base } = await setup();
      // The seeded dataset has no split fingerprint yet: not ready.
      expect((await rejection(runBench(base))).code).toBe("DATASET_NOT_READY");
      await db.prisma.split.updateMany({ data: { fingerprint: "f".repeat(64) } });

      const events: string[] = [];
      const result = await runBench({ ...base, onProgress: (e) => events.push(e.phase) });
      expect(result.resumed).toBe(false);
      expect(events[0]).toBe("start");
      expect(events.at(-1)).toBe("write");
      const { run, results } = result.record;
      expect(run.counts).toMatchObject({ studies: 12, excludedStudies: 1, imageQueries: 11 });
      expect(run.counts.otherViewImages).toBe(6);
      expect(run.queries["image->text"].map((q) => q.id)).toContain("s0000/s0000_0.png");
      expect(results).toHaveLength(2 * 3 * 2);

      const file = checkRecordFile(JSON.parse(readFileSync(result.files.json, "utf8")));
      expect(file.problems).toEqual([]);
      const loaded = await loadBenchRun(db, result.runId, { referenceModel: "tiny-a" });
      expect(loaded.run.status).toBe("completed");
      expect(loaded.run.results).toBe(12);
      expect(loaded.run.expectedResults).toBe(12);
      expect(loaded.queries).toEqual(run.queries);
      expect(loaded.results).toEqual(results);
      expect(loaded.summaries.find((s) => s.modelId === "tiny-b")?.referenceModel).toBe("tiny-a");

      const report = await recomputeFromDatabase(db, result.runId);
      expect(report).toMatchObject({ ok: true, checked: 12, protocolKeyOk: true, mismatches: [] });
      expect((await listBenchRuns(db)).map((r) => r.runId)).toEqual([result.runId]);
    },
  );

  it.runIf(run)(
    "continues an unfinished run: finished cells read back, the rest computed, same numbers",
    async () => {
      const { db, base } = await setup();
      await db.prisma.split.updateMany({ data: { fingerprint: "f".repeat(64) } });
      const whole = await runBench({ ...base, cache: false });

      // A second run of the same command starts a new run (the first is completed) ...
      const second = await runBench({ ...base, cache: false });
      expect(second.runId).not.toBe(whole.runId);
      // ... which we now leave as a killed process would: running, with some cells missing.
      await db.prisma.benchmarkResult.deleteMany({
        where: { runId: second.runId, OR: [{ modelId: "tiny-b" }, { level: 0.75 }] },
      });
      await db.prisma.benchmarkRun.update({
        where: { id: second.runId },
        data: { status: "running", finishedAt: null },
      });
      const resumed: string[] = [];
      const third = await runBench({
        ...base,
        cache: false,
        onProgress: (e) => {
          if (e.phase === "level-done" && e.resumed) resumed.push(`${e.modelId} ${e.level}`);
        },
      });
      expect(third.runId).toBe(second.runId);
      expect(third.resumed).toBe(true);
      expect(third.resumedCells).toBe(2);
      expect(resumed.sort()).toEqual(["tiny-a 0", "tiny-a 0.5"]);
      expect(third.record.results.map(numbers)).toEqual(whole.record.results.map(numbers));
      expect((await recomputeFromDatabase(db, third.runId)).ok).toBe(true);

      // Another model set or protocol does not continue it.
      await db.prisma.benchmarkRun.update({ where: { id: third.runId }, data: { status: "running" } });
      const other = await runBench({ ...base, models: ["tiny-a"], cache: false });
      expect(other.runId).not.toBe(third.runId);
      const otherSeed = await runBench({ ...base, seed: 4, cache: false });
      expect(otherSeed.runId).not.toBe(third.runId);
    },
  );

  it.runIf(run)("refuses what it cannot run, with a code", async () => {
    const { db, base } = await setup();
    await db.prisma.split.updateMany({ data: { fingerprint: "f".repeat(64) } });
    expect((await rejection(runBench({ ...base, models: ["nope"] }))).code).toBe("UNKNOWN_MODEL");
    expect((await rejection(runBench({ ...base, models: [] }))).code).toBe("INVALID_ARGUMENT");
    expect((await rejection(runBench({ ...base, models: ["tiny-a", "tiny-a"] }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect((await rejection(runBench({ ...base, dataset: "nope" }))).code).toBe("UNKNOWN_DATASET");
    expect((await rejection(runBench({ ...base, split: "val" }))).code).toBe("UNKNOWN_SPLIT");
    expect((await rejection(runBench({ ...base, levels: [0, 1.5] }))).code).toBe("INVALID_ARGUMENT");
    expect((await rejection(runBench({ ...base, corruption: "jpeg", levels: [0, 1] }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect((await rejection(runBench({ ...base, distractorSplits: ["val"] }))).code).toBe("UNKNOWN_SPLIT");
    expect((await rejection(loadBenchRun(db, "nope"))).code).toBe("UNKNOWN_RUN");
    // Images of unknown view take part in no protocol view: nothing to query.
    await db.prisma.image.updateMany({ data: { view: null } });
    const none = await rejection(runBench(base));
    expect(none.code).toBe("NO_QUERIES");
    expect(none.kind).not.toBe("failed");
    expect(await db.prisma.benchmarkRun.count()).toBe(0);
  });
});
