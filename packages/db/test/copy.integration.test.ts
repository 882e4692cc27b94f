import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyDatabase, type Database, describeTables, openDatabase } from "../src/index.ts";
import { postgresAvailable, type TempDatabase, tempPostgres, tempSqlite } from "../src/testing.ts";

// Moving an embedded install's metadata to PostgreSQL: every table, every column, re-runnable.

const pgUp = await postgresAvailable();
const IMAGES = 1203;

/** A little of everything: each table gets rows, images span many batches. */
async function populate(db: Database) {
  const p = db.prisma;
  const dataset = await p.dataset.create({
    data: { name: "ds", adapter: "manifest", sourcePath: "/data/ds", summaryJson: '{"studies":2}' },
  });
  const split = await p.split.create({ data: { datasetId: dataset.id, name: "test", studyCount: 2 } });
  for (const s of ["s1", "s2"]) {
    await p.study.create({
      data: {
        datasetId: dataset.id,
        splitId: split.id,
        externalId: s,
        patientId: `p-${s}`,
        labelsJson: JSON.stringify({ cardiomegaly: 1 }),
        report: {
          create: { fullText: "FINDINGS: x.", findings: "x.", impression: null, sha256: s.repeat(32) },
        },
      },
    });
  }
  const studies = await p.study.findMany({ orderBy: { externalId: "asc" } });
  await p.image.createMany({
    data: Array.from({ length: IMAGES }, (_, i) => ({
      studyId: studies[i % 2]!.id,
      externalId: `i${i}`,
      path: `/x/${i}.png`,
      sha256: i.toString(16).padStart(64, "0"),
      view: i % 3 === 0 ? "LATERAL" : "PA",
      width: 100 + i,
      height: 200 + i,
      bytes: 5000 + i,
    })),
  });
  await p.model.create({
    data: {
      id: "demo",
      version: "1",
      name: "Demo",
      bundlePath: "/m/demo",
      fingerprint: "f".repeat(64),
      dimension: 64,
      license: "MIT",
      manifestJson: "{}",
      verifiedAt: new Date("2026-11-30T10:11:12.345Z"),
    },
  });
  const run = await p.benchmarkRun.create({
    data: {
      protocolVersion: "1",
      paramsJson: "{}",
      protocolKey: "k",
      datasetId: dataset.id,
      split: "test",
      datasetFingerprint: "d",
      softwareVersion: "0.1.0",
      models: { create: [{ modelId: "demo", modelFingerprint: "f".repeat(64) }] },
      queries: {
        create: [
          { ordinal: 0, direction: "image->text", itemId: "i0", studyId: studies[0]!.id },
          { ordinal: 1, direction: "image->text", itemId: "i1", studyId: studies[1]!.id },
        ],
      },
    },
  });
  await p.benchmarkResult.create({
    data: {
      runId: run.id,
      modelId: "demo",
      corruption: "occlusion",
      level: 0.3,
      direction: "image->text",
      queries: 3,
      recallAt1: 1 / 3,
      recallAt5: 1 / 3,
      recallAt10: 2 / 3,
      mrr: 0.5,
      medianRank: 7,
      meanRank: 83336.25,
      metricsJson: "{}",
      ranks: new Uint8Array(new Int32Array([1, 7, 250000]).buffer),
    },
  });
  const submission = await p.submission.create({
    data: { submitter: "lab", contentHash: "c".repeat(64), payloadJson: "{}" },
  });
  const board = await p.leaderboardBoard.create({
    data: {
      id: "b0",
      datasetName: "ds",
      split: "test",
      datasetFingerprint: "d",
      protocolVersion: "1",
      protocolKey: "k",
      paramsJson: "{}",
      queriesJson: "[]",
    },
  });
  await p.leaderboardEntry.create({
    data: {
      boardId: board.id,
      modelName: "Demo",
      modelFingerprint: "f",
      license: "MIT",
      provenance: "submitted",
      recordJson: "{}",
      metricsJson: "{}",
      submissionId: submission.id,
    },
  });
  await p.indexJob.create({
    data: {
      modelId: "demo",
      datasetId: dataset.id,
      modality: "images",
      collection: "c_v1",
      alias: "c",
      cursor: "i17",
      total: IMAGES,
      processed: 17,
    },
  });
}

/** Every row of every table, in key order, with bytes as hex so both dialects compare equal. */
async function dump(db: Database): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of await describeTables(db)) {
    const model = (db.prisma as unknown as Record<string, { findMany(a: unknown): Promise<unknown[]> }>)[
      t.name.charAt(0).toLowerCase() + t.name.slice(1)
    ]!;
    const rows = await model.findMany({ orderBy: t.primaryKey.map((c) => ({ [c]: "asc" })) });
    out[t.name] = rows.map((row) =>
      Object.fromEntries(
        Object.entries(row as Record<string, unknown>).map(([k, v]) => [
          k,
          v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v,
        ]),
      ),
    );
  }
  return out;
}

describe.runIf(pgUp)("copyDatabase: SQLite to PostgreSQL", () => {
  const sqlite = tempSqlite();
  let pg: TempDatabase;
  let source: Database;
  let target: Database;

  beforeAll(async () => {
    pg = await tempPostgres();
    source = await openDatabase(sqlite.config);
    target = await openDatabase(pg.config);
    await populate(source);
  });
  afterAll(async () => {
    await source?.close();
    await target?.close();
    await sqlite.drop();
    await pg?.drop();
  });

  it("copies every table and column, parents before children, in batches", async () => {
    const progress: string[] = [];
    const copied = await copyDatabase(source, target, {
      batchSize: 100,
      onProgress: (table) => progress.push(table),
    });
    const tables = (await describeTables(source)).map((t) => t.name).sort();
    expect(copied.map((c) => c.table).sort()).toEqual(tables);
    for (const c of copied) expect(c.inserted, c.table).toBe(c.rows);
    expect(copied.find((c) => c.table === "Image")).toEqual({
      table: "Image",
      rows: IMAGES,
      inserted: IMAGES,
    });
    expect(progress.filter((t) => t === "Image")).toHaveLength(Math.ceil(IMAGES / 100));
    const order = copied.map((c) => c.table);
    expect(order.indexOf("Dataset")).toBeLessThan(order.indexOf("Split"));
    expect(order.indexOf("Study")).toBeLessThan(order.indexOf("Image"));
    expect(order.indexOf("BenchmarkRun")).toBeLessThan(order.indexOf("BenchmarkResult"));
    expect(order.indexOf("Submission")).toBeLessThan(order.indexOf("LeaderboardEntry"));

    const before = await dump(source);
    const after = await dump(target);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);
    expect(before.BenchmarkResult![0]).toMatchObject({
      ranks: Buffer.from(new Int32Array([1, 7, 250000]).buffer).toString("hex"),
    });
  });

  it("a second run duplicates nothing; after an interruption it adds exactly what is missing", async () => {
    const again = await copyDatabase(source, target, { batchSize: 100 });
    expect(again.every((c) => c.inserted === 0)).toBe(true);
    expect(await target.prisma.image.count()).toBe(IMAGES);

    // As if the first run had died half way through the images.
    const kept = await target.prisma.image.findMany({
      orderBy: { id: "asc" },
      take: 600,
      select: { id: true },
    });
    await target.prisma.image.deleteMany({ where: { id: { notIn: kept.map((k) => k.id) } } });
    const resumed = await copyDatabase(source, target, { batchSize: 250 });
    expect(resumed.find((c) => c.table === "Image")).toEqual({
      table: "Image",
      rows: IMAGES,
      inserted: IMAGES - 600,
    });
    expect(resumed.filter((c) => c.table !== "Image").every((c) => c.inserted === 0)).toBe(true);
    expect(await dump(target)).toEqual(await dump(source));
  });

  it("refuses a SQLite target (a re-run there could not skip existing rows)", async () => {
    const other = tempSqlite();
    const db = await openDatabase(other.config);
    try {
      await expect(copyDatabase(source, db)).rejects.toMatchObject({ code: "NOT_WRITABLE" });
    } finally {
      await db.close();
      await other.drop();
    }
  });
});
