import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { checkRecordFile, type RecordFile, type ResultRecord } from "@cxr/eval";
import { decodeRanks, recomputeFromDatabase } from "@cxr/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cxr, repoRoot } from "./support/cli.ts";

/**
 * `cxr bench` end to end, as a user runs it: a synthetic set made with `cxr synth` and ingested with
 * `cxr ingest`, models added with `cxr models add` (a tiny random bundle standing in for the
 * reference model, and the committed demo model when it is there), the benchmark run, rerun with the
 * same seed and with another, verified from the stored ranks, and killed with SIGKILL in the middle
 * and started again.
 *
 * The test set is the synthetic set's train split (about 80% of 120 studies): the synthetic test
 * split of a light set is a handful of studies, too few candidates for a retrieval score to say
 * anything. The set's seed is not the demo model's training seed, so none of these pictures was seen
 * in training.
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-bench-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dataDir = path.join(work, "data");
const env = { CXR_DATA_DIR: dataDir, CXR_EXECUTION_PROVIDERS: "cpu", CXR_CPU_THREADS: "1" };
const STUDIES = 120;
const DEMO = path.join(repoRoot, "packages/encoders/models/demo-cxr");
const hasDemo = existsSync(path.join(DEMO, "manifest.json"));
const LEVELS = [0, 0.25, 0.5];

let db: Database;
let models: string[];

function json<T>(result: { status: number | null; stdout: string; stderr: string }): T {
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

interface BenchJson {
  runId: string;
  resumed: boolean;
  resumedCells: number;
  outDir: string;
  files: { json: string; csv: string; ranksCsv: string; summariesCsv: string; report: string };
  protocolKey: string;
  results: Omit<ResultRecord, "ranks">[];
}

/** The benchmark arguments of this file; the demo model learned whole reports, hence findings+impression. */
function benchArgs(seed: number, extra: string[] = []): string[] {
  return [
    "bench",
    "--models",
    models.join(","),
    "--dataset",
    "synth",
    "--split",
    "train",
    "--levels",
    LEVELS.join(","),
    "--seed",
    String(seed),
    "--text-field",
    "findings+impression",
    "--bootstrap",
    "200",
    "--reference",
    "tiny-ref",
    ...extra,
  ];
}

function readRecord(file: string): RecordFile {
  const { file: record, problems } = checkRecordFile(JSON.parse(readFileSync(file, "utf8")));
  expect(problems).toEqual([]);
  return record;
}

/** Every number of a result record (and its ranks), without run ids and times. */
function numbers(r: ResultRecord) {
  return {
    cell: `${r.modelId} ${r.corruption} ${r.level} ${r.direction}`,
    metrics: r.metrics,
    ci: r.ci,
    ranks: r.ranks,
    queries: r.queries,
    candidates: r.candidates,
  };
}

/** `cxr ...args` as this process's child with its real pid (no wrapper), so SIGKILL reaches the run. */
function spawnCxr(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "apps/cli/src/main.ts"), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

let first: BenchJson;
let firstRecord: RecordFile;

beforeAll(async () => {
  const synth = path.join(work, "synth");
  json(cxr(["synth", "--out", synth, "--studies", String(STUDIES), "--seed", "bench-e2e", "--json"], env));
  json(cxr(["ingest", "manifest", synth, "--name", "synth", "--json"], env));
  const tiny = path.join(work, "tiny-ref");
  await writeTinyBundle(tiny, { id: "tiny-ref" });
  json(cxr(["models", "add", tiny, "--json"], env));
  models = ["tiny-ref"];
  if (hasDemo) {
    json(cxr(["models", "add", DEMO, "--json"], env));
    models.push("demo-cxr");
  } else {
    console.warn(
      `skipping the demo model's assertions: ${DEMO} is not there yet; the plumbing runs with the tiny bundle only`,
    );
  }
  db = await openDatabase(loadConfig(env));
}, 300_000);

afterAll(async () => {
  await db?.close();
});

describe("cxr bench", () => {
  it("completes, stores the run, and its JSON record carries everything benchmark.md lists", async () => {
    first = json<BenchJson>(cxr(benchArgs(7, ["--json"]), env));
    expect(first.resumed).toBe(false);
    expect(first.outDir).toBe(path.join(dataDir, "runs", first.runId));
    firstRecord = readRecord(first.files.json);
    const { run, results, summaries } = firstRecord;

    // The run: protocol version and every parameter, fingerprints, software, provider, hardware, times, counts.
    expect(run.protocolVersion).toBe("cxr-bench/1");
    expect(run.protocol).toMatchObject({
      corruption: { family: "occlusion", grid: 8, fill: "black", pattern: "cells" },
      levels: LEVELS,
      seed: 7,
      textField: "findings+impression",
      corpus: { split: "train", distractorSplits: [] },
      views: ["frontal"],
      bootstrap: { samples: 200, confidence: 0.95 },
    });
    const dataset = await db.prisma.dataset.findUniqueOrThrow({ where: { name: "synth" } });
    const split = await db.prisma.split.findUniqueOrThrow({
      where: { datasetId_name: { datasetId: dataset.id, name: "train" } },
    });
    expect(run.dataset).toEqual({ id: "synth", fingerprint: split.fingerprint });
    for (const m of run.models) {
      const row = await db.prisma.model.findUniqueOrThrow({ where: { id: m.id } });
      expect(m.fingerprint).toBe(row.fingerprint);
      expect(m.executionProvider).toBe("cpu");
    }
    expect(run.models.map((m) => m.id)).toEqual(models);
    expect(run.software.package).toBe("@cxr/eval");
    expect(run.software.onnxruntime).toMatch(/^\d/);
    expect(run.hardware.cores).toBeGreaterThan(0);
    expect(run.hardware.cpu).not.toBe("");
    expect(run.scoringKernel).toContain("onnxruntime");
    expect(Date.parse(run.endedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
    expect(run.counts.imageQueries).toBe(split.imageCount);
    expect(run.counts.excludedStudies).toBe(0);
    expect(run.counts.textCandidates).toBeGreaterThan(1);
    expect(run.queries["image->text"]).toHaveLength(run.counts.imageQueries);

    // One flat record per model x corruption x level x direction, with its ranks; summaries per model.
    expect(results).toHaveLength(models.length * LEVELS.length * 2);
    for (const r of results) {
      expect(r.ranks).toHaveLength(r.queries);
      expect(r.datasetFingerprint).toBe(split.fingerprint);
      expect(r.metrics["recall@5"]).toBeGreaterThanOrEqual(r.metrics["recall@1"]!);
      expect(r.ci["recall@5"]!.low).toBeLessThanOrEqual(r.metrics["recall@5"]!);
    }
    const ce = summaries.find((s) => s.modelId === models.at(-1) && s.metric === "recall@5");
    expect(ce?.referenceModel).toBe("tiny-ref");
    expect(ce?.corruptionError).not.toBeNull();

    // CSV and a self-contained report next to the JSON.
    const csv = readFileSync(first.files.csv, "utf8").split("\n");
    expect(csv[0]).toContain("recall@5_low");
    expect(csv.filter((l) => l !== "")).toHaveLength(results.length + 1);
    const html = readFileSync(first.files.report, "utf8");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);

    // The database: the run, its models, its queries in order, one row per result with its ranks.
    const row = await db.prisma.benchmarkRun.findUniqueOrThrow({
      where: { id: first.runId },
      include: { models: true, _count: { select: { queries: true, results: true } } },
    });
    expect(row).toMatchObject({
      status: "completed",
      protocolVersion: "cxr-bench/1",
      protocolKey: run.protocolKey,
      split: "train",
      datasetFingerprint: split.fingerprint,
      executionProvider: "cpu",
      outputDir: first.outDir,
    });
    expect(row.finishedAt).not.toBeNull();
    expect(JSON.parse(row.paramsJson)).toEqual(run.protocol);
    expect(row.models.map((m) => m.modelId).sort()).toEqual([...models].sort());
    expect(row._count.queries).toBe(run.counts.imageQueries + run.counts.textQueries);
    expect(row._count.results).toBe(results.length);
    for (const r of results) {
      const stored = await db.prisma.benchmarkResult.findUniqueOrThrow({
        where: {
          runId_modelId_corruption_level_direction: {
            runId: first.runId,
            modelId: r.modelId,
            corruption: r.corruption,
            level: r.level,
            direction: r.direction,
          },
        },
      });
      expect(decodeRanks(stored.ranks)).toEqual(r.ranks);
      // The Float columns may come back rounded to 15 significant digits (SQLite); metricsJson is exact.
      expect(stored.recallAt5).toBeCloseTo(r.metrics["recall@5"]!, 12);
      expect(stored.mrr).toBeCloseTo(r.metrics.mrr!, 12);
      expect(JSON.parse(stored.metricsJson).metrics).toEqual(r.metrics);
      expect(JSON.parse(stored.metricsJson).ci).toEqual(r.ci);
    }

    // The rendered corrupted images are kept as viewable PNGs.
    expect(existsSync(path.join(dataDir, "corruptions", run.protocolKey))).toBe(true);

    // bench list and show find it.
    const list = json<Array<{ runId: string; status: string }>>(cxr(["bench", "list", "--json"], env));
    expect(list.find((r) => r.runId === first.runId)?.status).toBe("completed");
    const shown = cxr(["bench", "show", first.runId, "--reference", "tiny-ref"], env);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("R@5 [95% CI]");
    expect(shown.stdout).toContain("CE vs tiny-ref");
  }, 240_000);

  it("recomputing every metric from the stored per-query ranks gives the stored values", async () => {
    const report = await recomputeFromDatabase(db, first.runId);
    expect(report.mismatches).toEqual([]);
    expect(report.protocolKeyOk).toBe(true);
    expect(report.checked).toBe(models.length * LEVELS.length * 2);
    expect(report.ok).toBe(true);
    const verified = cxr(["bench", "verify", first.runId], env);
    expect(verified.status, verified.stderr).toBe(0);

    // A stored number the ranks do not give is found.
    const row = await db.prisma.benchmarkResult.findFirstOrThrow({
      where: { runId: first.runId, level: 0.25 },
    });
    await db.prisma.benchmarkResult.update({
      where: { id: row.id },
      data: { recallAt5: row.recallAt5 + 0.01 },
    });
    try {
      const bad = cxr(["bench", "verify", first.runId, "--json"], env);
      expect(bad.status).toBe(1);
      const found = JSON.parse(bad.stdout) as { mismatches: Array<{ what: string; modelId: string }> };
      expect(found.mismatches).toEqual([
        expect.objectContaining({ what: "recall@5 column", modelId: row.modelId }),
      ]);
    } finally {
      await db.prisma.benchmarkResult.update({ where: { id: row.id }, data: { recallAt5: row.recallAt5 } });
    }
  }, 240_000);

  it("rerun with the same seed (rendering afresh, no cache) reproduces every number exactly", () => {
    const again = json<BenchJson>(cxr(benchArgs(7, ["--json", "--no-cache"]), env));
    expect(again.runId).not.toBe(first.runId);
    expect(again.resumed).toBe(false);
    expect(again.protocolKey).toBe(first.protocolKey);
    const record = readRecord(again.files.json);
    expect(record.results.map(numbers)).toEqual(firstRecord.results.map(numbers));
    expect(record.summaries).toEqual(firstRecord.summaries);
  }, 240_000);

  it("with another seed the occluded images differ: the clean level is equal, occluded ranks move", () => {
    const other = json<BenchJson>(cxr(benchArgs(8, ["--json"]), env));
    expect(other.protocolKey).not.toBe(first.protocolKey);
    const record = readRecord(other.files.json);
    const cell = (r: ResultRecord) => `${r.modelId} ${r.level} ${r.direction}`;
    const base = new Map(firstRecord.results.map((r) => [cell(r), r]));
    let moved = 0;
    for (const r of record.results) {
      const a = base.get(cell(r))!;
      if (r.level === 0) {
        // No pixel is touched at level 0: same ranks and values (the bootstrap seed moves the intervals).
        expect(r.ranks).toEqual(a.ranks);
        expect(r.metrics).toEqual(a.metrics);
      } else {
        if (JSON.stringify(r.ranks) !== JSON.stringify(a.ranks)) moved++;
        // The numbers move within their intervals: the two seeds' intervals overlap.
        for (const m of ["recall@5", "mrr"]) {
          expect(r.ci[m]!.low).toBeLessThanOrEqual(a.ci[m]!.high);
          expect(a.ci[m]!.low).toBeLessThanOrEqual(r.ci[m]!.high);
        }
      }
    }
    expect(moved).toBeGreaterThan(0);
  }, 240_000);

  it("killed with SIGKILL after its first stored result and run again, ends with the numbers of an uninterrupted run", async () => {
    // The same command as the first run, on a fresh run: the first one is completed.
    const args = benchArgs(7, ["--json", "--no-cache"]);
    const child = spawnCxr(args);
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on("exit", (code, signal) => resolve(signal ?? code)),
    );
    let done = false;
    void exited.then(() => {
      done = true;
    });
    const expected = models.length * LEVELS.length * 2;
    let killedRun: string | undefined;
    for (;;) {
      if (done) throw new Error(`cxr bench ended before it could be interrupted: ${stderr}`);
      // Frozen while we look, so what the database shows is where it dies.
      child.kill("SIGSTOP");
      const running = await db.prisma.benchmarkRun.findFirst({
        where: { status: "running" },
        include: { _count: { select: { results: true } } },
      });
      if (running !== null && running._count.results > 0 && running._count.results < expected) {
        child.kill("SIGKILL");
        expect(await exited).toBe("SIGKILL");
        killedRun = running.id;
        break;
      }
      child.kill("SIGCONT");
      await sleep(10);
    }
    const left = await db.prisma.benchmarkRun.findUniqueOrThrow({
      where: { id: killedRun },
      include: { _count: { select: { results: true } } },
    });
    expect(left.status).toBe("running");
    expect(left._count.results % 2).toBe(0); // a (model, level) cell is stored whole or not at all

    const resumed = json<BenchJson>(cxr(args, env));
    expect(resumed.runId).toBe(killedRun);
    expect(resumed.resumed).toBe(true);
    expect(resumed.resumedCells).toBe(left._count.results / 2);
    const record = readRecord(resumed.files.json);
    expect(record.results.map(numbers)).toEqual(firstRecord.results.map(numbers));
    expect(record.summaries).toEqual(firstRecord.summaries);
    const report = await recomputeFromDatabase(db, killedRun!);
    expect(report.ok).toBe(true);
    const row = await db.prisma.benchmarkRun.findUniqueOrThrow({ where: { id: killedRun } });
    expect(row.status).toBe("completed");
  }, 240_000);

  it("two identical cxr bench commands at once: the second exits 2 naming the other process, which keeps the run", async () => {
    const args = benchArgs(11, ["--json", "--no-cache"]);
    const child = spawnCxr(args);
    let ended = false;
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on("exit", (code, signal) => {
        ended = true;
        resolve(signal ?? code);
      }),
    );
    const locks = path.join(dataDir, "locks");
    // Wait until the first process holds the run's lock (its pid in a lock file).
    const holds = () =>
      existsSync(locks) &&
      readdirSync(locks).some((f) => {
        try {
          return JSON.parse(readFileSync(path.join(locks, f), "utf8")).pid === child.pid;
        } catch {
          return false; // being written or removed
        }
      });
    while (!holds()) {
      if (ended) throw new Error("the first cxr bench ended before it held its lock");
      await sleep(20);
    }
    // Frozen while the second starts (a loaded machine could otherwise let the first finish first):
    // a stopped process is alive and still holds the run.
    child.kill("SIGSTOP");
    const second = cxr(args, env);
    expect(second.status, second.stderr).toBe(2);
    expect(second.stderr).toMatch(/being run by another process \(pid \d+/);
    expect(ended).toBe(false);
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
  }, 240_000);

  it.skipIf(!hasDemo)(
    "the demo model: clean image->text Recall@5 far above chance, falling as occlusion rises",
    () => {
      const i2t = firstRecord.results
        .filter((r) => r.modelId === "demo-cxr" && r.direction === "image->text")
        .sort((a, b) => a.level - b.level);
      const clean = i2t[0]!;
      const chance = 5 / clean.candidates;
      const r5 = i2t.map((r) => r.metrics["recall@5"]!);
      const mrr = i2t.map((r) => r.metrics.mrr!);
      console.info(
        `demo-cxr image->text Recall@5 by level ${LEVELS.join("/")}: ${i2t.map((r) => `${r.metrics["recall@5"]!.toFixed(3)} [${r.ci["recall@5"]!.low.toFixed(3)}, ${r.ci["recall@5"]!.high.toFixed(3)}]`).join(" / ")} (chance ${chance.toFixed(3)}, ${clean.queries} queries, ${clean.candidates} candidates)`,
      );
      expect(r5[0]).toBeGreaterThan(3 * chance);
      expect(clean.ci["recall@5"]!.low).toBeGreaterThan(chance);
      for (let i = 1; i < r5.length; i++) expect(r5[i]!).toBeLessThanOrEqual(r5[i - 1]!);
      expect(r5.at(-1)!).toBeLessThan(r5[0]!);
      expect(mrr.at(-1)!).toBeLessThan(mrr[0]!);
    },
  );
});
