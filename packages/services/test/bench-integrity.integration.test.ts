import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "@cxr/db";
import { type TempDatabase, tempDatabase } from "@cxr/db/testing";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { checkRecordFile, parseProtocol, protocolKey } from "@cxr/eval";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  addModel,
  BenchError,
  type BenchOptions,
  listCorruptionCache,
  loadBenchRun,
  pruneCorruptionCache,
  recomputeFromDatabase,
  runBench,
} from "../src/index.ts";
import { seedDataset } from "../src/testing/index.ts";

/**
 * The benchmark's integrity rules on a seeded SQLite dataset: one writer per run, an undecodable image
 * named and excluded only when the protocol records it, the full-text field for reports without
 * sections, the patient bootstrap, and the chance and tie numbers stored with every result.
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-services-bench-integrity-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(work, `${name}-${++n}`);

// A 24 x 24 grey baseline JPEG (sharp 0.35.5, quality 80); the test writes its first half only.
const JPEG = Buffer.from(
  "/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAYABgDASIAAhEBAxEB/8QAFwABAQEBAAAAAAAAAAAAAAAAAAMEBf/EACcQAAEEAQMEAgIDAAAAAAAAAAECAwQFEQAGEiEiJDGV0RMUQUJR/8QAFAEBAAAAAAAAAAAAAAAAAAAAAP/EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/AMs+laqrn8UWpaajLQlxptG249kUj0eTzBCM5BOMAgEZH8noXdcmRtt5xVfx/VxI5K26/VthKQeRcfZVySkJKjggjIGcexLdkFoUzFg9DaZbirw45IqJNMwhC8DKnGSeR5cAAof2OCM4Mdv2VR2+Vtr52x+tBl2/ZVHb5W2vnbH601qiSLGFPXHjXN3YNIxxkxruElteQD0DjaFdM46pHUHGRg6aC1VNq34rjTVlt+M44goS81eTytskYCkhSSnI9jII/wBB1Hb9lb9vlbl+drvrTTQa95xH5f6NlJjSZLqfHU5NhxLp4p6qSEhkhSEjvySCMqHonq000H//2Q==",
  "base64",
);

async function rejection(promise: Promise<unknown>): Promise<BenchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BenchError);
  return error as BenchError;
}

describe("benchmark integrity", () => {
  let temp: TempDatabase | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    await temp?.drop();
    db = undefined;
    temp = undefined;
  });

  async function setup() {
    temp = await tempDatabase("sqlite");
    db = await openDatabase(temp.config);
    const config = {
      dataDir: fresh("data"),
      modelsDir: fresh("models"),
      executionProviders: ["cpu" as const],
      cpuThreads: 1,
      encodeBatchSize: 4,
    };
    const bundle = fresh("tiny");
    await writeTinyBundle(bundle, { id: "tiny" });
    await addModel(db, config, bundle);
    await seedDataset(db, { dir: fresh("set"), name: "set", studies: 15, emptyReports: [2], side: 24 });
    await db.prisma.split.updateMany({ data: { fingerprint: "f".repeat(64) } });
    const base: BenchOptions = {
      db,
      config,
      models: ["tiny"],
      dataset: "set",
      split: "train",
      levels: [0, 0.5],
      seed: 3,
      grid: 4,
      bootstrapSamples: 50,
      cache: false,
    };
    return { db, config, base };
  }

  it("two identical benchmarks at once: one runs, the other is refused with RUN_IN_PROGRESS (exit 2) and changes nothing", async () => {
    const { db, base } = await setup();
    const [a, b] = await Promise.allSettled([runBench(base), runBench(base)]);
    const outcomes = [a, b].map((o) => o.status).sort();
    expect(outcomes).toEqual(["fulfilled", "rejected"]);
    const refused = (a.status === "rejected" ? a.reason : (b as PromiseRejectedResult).reason) as BenchError;
    expect(refused).toBeInstanceOf(BenchError);
    expect(refused.code).toBe("RUN_IN_PROGRESS");
    expect(refused.kind).toBe("conflict");
    expect(refused.message).toMatch(/another process \(pid \d+/);
    expect(await db.prisma.benchmarkRun.count()).toBe(1);
    // The lock is released with the run: the same command runs again.
    await expect(runBench(base)).resolves.toMatchObject({ resumed: false });
  });

  it("a lock left by a killed process is taken over", async () => {
    const { base, config } = await setup();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const pid = Number(dead.stdout.toString());
    const lockDir = path.join(config.dataDir, "locks");
    // The lock's file name is a digest of the run's identity: read it while a first run holds it.
    let runKeyFile = "";
    await runBench({
      ...base,
      onProgress: (e) => {
        if (e.phase === "start") runKeyFile = readdirSync(lockDir)[0] ?? "";
      },
    });
    expect(runKeyFile).toMatch(/^bench-[0-9a-f]{32}\.lock$/);
    // Released at the end.
    expect(readdirSync(lockDir)).toEqual([]);
    // Now held as a process killed with -9 leaves it.
    writeFileSync(
      path.join(lockDir, runKeyFile),
      JSON.stringify({ pid, host: hostname(), since: "2026-01-01T00:00:00.000Z" }),
    );
    await expect(runBench(base)).resolves.toMatchObject({ resumed: false });
    // A live owner (this process, another "run") is respected.
    writeFileSync(
      path.join(lockDir, runKeyFile),
      JSON.stringify({ pid: process.pid, host: hostname(), since: "2026-01-01T00:00:00.000Z" }),
    );
    expect((await rejection(runBench(base))).code).toBe("RUN_IN_PROGRESS");
  });

  it("a truncated JPEG in the split is named; the run goes on only when the protocol records its exclusion", async () => {
    const { db, base } = await setup();
    const image = await db.prisma.image.findFirstOrThrow({
      where: { externalId: "s0003_0.png" },
      include: { study: true },
    });
    // Ingest will refuse such files; it got into the split before that (inserted directly here).
    const bad = path.join(path.dirname(image.path), "truncated.jpg");
    writeFileSync(bad, JPEG.subarray(0, Math.floor(JPEG.length / 2)));
    await db.prisma.image.update({ where: { id: image.id }, data: { path: bad } });

    const refused = await rejection(runBench(base));
    expect(refused.code).toBe("UNDECODABLE_IMAGE");
    expect(refused.message).toContain("s0003/s0003_0.png");
    expect(refused.message).toContain("--exclude-undecodable");
    expect(refused.kind).toBe("failed");

    const result = await runBench({ ...base, excludeUndecodable: true });
    expect(result.undecodable.map((u) => u.image)).toEqual(["s0003/s0003_0.png"]);
    expect(result.undecodable[0]!.reason).not.toBe("");
    const { run } = result.record;
    expect(run.protocol.excludedImages).toEqual(["s0003/s0003_0.png"]);
    expect(run.counts).toMatchObject({ undecodableImages: 1, undecodableStudies: 1, imageQueries: 10 });
    expect(run.queries["image->text"].map((q) => q.id)).not.toContain("s0003/s0003_0.png");
    // Another protocol key than a run without the exclusion; stored counts carry it.
    expect(run.protocolKey).not.toBe(protocolKey(parseProtocol({ ...run.protocol, excludedImages: [] })));
    const row = await db.prisma.benchmarkRun.findUniqueOrThrow({ where: { id: result.runId } });
    expect(JSON.parse(row.countsJson!)).toMatchObject({ undecodableImages: 1 });
    expect(JSON.parse(row.paramsJson).excludedImages).toEqual(["s0003/s0003_0.png"]);
    expect(checkRecordFile(JSON.parse(readFileSync(result.files.json, "utf8"))).problems).toEqual([]);
    expect((await recomputeFromDatabase(db, result.runId)).ok).toBe(true);
  });

  it("reports without sections: --text-field full runs and reports numbers, impression has nothing", async () => {
    const { db, base } = await setup();
    await db.prisma.report.updateMany({ data: { findings: null, impression: null } });
    expect((await rejection(runBench(base))).code).toBe("NO_QUERIES");
    const result = await runBench({ ...base, textField: "full" });
    expect(result.record.run.protocol.textField).toBe("full");
    expect(result.record.run.counts).toMatchObject({ excludedStudies: 1, imageQueries: 11 });
    const clean = result.record.results.find((r) => r.level === 0 && r.direction === "image->text")!;
    expect(clean.metrics["recall@1"]).toBeGreaterThanOrEqual(0);
    expect(clean.chance!["recall@1"]).toBeCloseTo(1 / clean.candidates, 12);
  });

  it("the patient bootstrap is recorded and its groups stored; chance and ties survive the database", async () => {
    const { db, base } = await setup();
    // Studies 0..5 belong to patient a, the others to b, c, ... in threes.
    const studies = await db.prisma.study.findMany({ orderBy: { externalId: "asc" } });
    for (const [i, s] of studies.entries())
      await db.prisma.study.update({ where: { id: s.id }, data: { patientId: `pat${Math.floor(i / 3)}` } });
    const study = await runBench(base);
    const patient = await runBench({ ...base, bootstrapUnit: "patient" });
    expect(study.record.run.protocol.bootstrap.unit).toBeUndefined();
    expect(patient.record.run.protocol.bootstrap.unit).toBe("patient");
    expect(patient.record.run.protocolKey).not.toBe(study.record.run.protocolKey);
    // The default's key is protocol v1's: the same as a protocol that never heard of units.
    expect(study.record.run.protocolKey).toBe(
      protocolKey(
        parseProtocol({ ...study.record.run.protocol, bootstrap: { samples: 50, confidence: 0.95 } }),
      ),
    );
    const groups = await db.prisma.benchmarkQuery.findMany({
      where: { runId: patient.runId, direction: "image->text" },
    });
    expect(new Set(groups.map((g) => g.studyId))).toEqual(
      new Set(groups.map((g) => `patient:pat${Math.floor(Number(g.itemId.slice(1, 5)) / 3)}`)),
    );
    expect((await recomputeFromDatabase(db, patient.runId)).ok).toBe(true);
    const loaded = await loadBenchRun(db, patient.runId);
    expect(loaded.results).toEqual(patient.record.results);
    for (const r of loaded.results) {
      expect(r.chance).toBeDefined();
      expect(r.ties).toBeDefined();
      expect(r.bootstrapUnit).toBe("patient");
    }
  });

  it("the corruption cache: bounded during a run, listed per protocol key, pruned by key prefix", async () => {
    const { base, config } = await setup();
    const unbounded = await runBench({ ...base, cache: true });
    const listing = await listCorruptionCache(config);
    expect(listing.protocols.map((p) => p.protocolKey)).toEqual([unbounded.record.run.protocolKey]);
    // One PNG per image at the occluded level (level 0 is never cached).
    expect(listing.files).toBe(unbounded.record.run.counts.imageQueries);
    expect(listing.bytes).toBeGreaterThan(0);
    // A limit below one level's images: the cache never ends a write above it.
    const limit = Math.floor(listing.bytes / 3);
    await pruneCorruptionCache(config);
    await runBench({ ...base, seed: 4, cache: true, cacheMaxBytes: limit });
    const bounded = await listCorruptionCache(config);
    expect(bounded.bytes).toBeLessThanOrEqual(limit);
    expect(bounded.files).toBeGreaterThan(0);
    await expect(pruneCorruptionCache(config, { protocolKey: "abc" })).rejects.toThrow(/at least 8/);
    await expect(pruneCorruptionCache(config, { protocolKey: "0123456789" })).rejects.toThrow(/no images/);
    const key = bounded.protocols[0]!.protocolKey;
    const pruned = await pruneCorruptionCache(config, { protocolKey: key.slice(0, 12) });
    expect(pruned.removedFiles).toBe(bounded.files);
    expect(pruned.removedBytes).toBe(bounded.bytes);
    expect(pruned.left.files).toBe(0);
  });
});
