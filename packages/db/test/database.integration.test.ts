import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DatabaseError, migrate, migrationStatus, openDatabase, readMigrations } from "../src/index.ts";
import { defaultMigrationsDir } from "../src/migrations.ts";
import { postgresAvailable, type TempDatabase, tempDatabase } from "../src/testing.ts";

const pgUp = await postgresAvailable();

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("$dialect", ({ dialect, run }) => {
  let temp: TempDatabase | undefined;
  afterEach(async () => {
    await temp?.drop();
    temp = undefined;
  });

  it.runIf(run)("creates the schema on first open and a second migrate is a no-op", async () => {
    temp = await tempDatabase(dialect);
    const before = await migrationStatus(temp.config);
    expect(before.pending).toEqual(readMigrations(dialect).map((m) => m.name));
    const first = await migrate(temp.config);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.status.pending).toEqual([]);
    const second = await migrate(temp.config);
    expect(second.applied).toEqual([]);
    expect(second.status.applied.map((a) => a.name)).toEqual(first.applied);
  });

  it.runIf(run)("concurrent starters apply each migration exactly once", async () => {
    temp = await tempDatabase(dialect);
    const results = await Promise.all([migrate(temp.config), migrate(temp.config), migrate(temp.config)]);
    const applied = results.flatMap((r) => r.applied);
    expect(applied.sort()).toEqual(readMigrations(dialect).map((m) => m.name));
  });

  it.runIf(run)("stores and reads every model the same way", async () => {
    temp = await tempDatabase(dialect);
    const db = await openDatabase(temp.config);
    try {
      const p = db.prisma;
      const dataset = await p.dataset.create({
        data: { name: "ds", adapter: "manifest", sourcePath: "/data/ds" },
      });
      const split = await p.split.create({ data: { datasetId: dataset.id, name: "test" } });
      const study = await p.study.create({
        data: {
          datasetId: dataset.id,
          splitId: split.id,
          externalId: "s1",
          labelsJson: JSON.stringify({ cardiomegaly: 1 }),
          images: {
            create: [
              {
                externalId: "i1",
                path: "/x/1.png",
                sha256: "a".repeat(64),
                view: "PA",
                width: 10,
                height: 20,
                bytes: 5,
              },
            ],
          },
          report: {
            create: {
              fullText: "FINDINGS: x. IMPRESSION: y.",
              findings: "x.",
              impression: "y.",
              sha256: "b".repeat(64),
            },
          },
        },
        include: { images: true, report: true },
      });
      expect(study.images[0]?.width).toBe(10);
      expect(study.report?.impression).toBe("y.");

      // A study id is unique within a dataset: the second insert is refused and nothing half-written stays.
      await expect(
        p.study.create({ data: { datasetId: dataset.id, splitId: split.id, externalId: "s1" } }),
      ).rejects.toMatchObject({ code: "P2002" });
      expect(await p.study.count()).toBe(1);

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
        },
      });
      const ranks = new Uint8Array(new Int32Array([1, 7, 250000]).buffer);
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
          meanRank: 83336,
          metricsJson: "{}",
          ranks,
        },
      });
      const stored = await p.benchmarkResult.findFirstOrThrow({ where: { runId: run.id } });
      expect(Array.from(new Int32Array(new Uint8Array(stored.ranks).buffer))).toEqual([1, 7, 250000]);
      expect(stored.level).toBeCloseTo(0.3, 12);
      expect(stored.recallAt1).toBeCloseTo(1 / 3, 12);

      const submission = await p.submission.create({
        data: { submitter: "lab", contentHash: "h", payloadJson: "{}" },
      });
      const board = await p.leaderboardBoard.create({
        data: {
          id: "b",
          datasetName: "ds",
          split: "test",
          datasetFingerprint: "d",
          protocolVersion: "1",
          protocolKey: "k",
          paramsJson: "{}",
          queriesJson: "{}",
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
        data: { modelId: "demo", datasetId: dataset.id, modality: "images", collection: "c_v1", alias: "c" },
      });

      // Deleting a dataset takes its studies, images, reports, runs and jobs with it.
      await p.dataset.delete({ where: { id: dataset.id } });
      expect(await p.image.count()).toBe(0);
      expect(await p.report.count()).toBe(0);
      expect(await p.benchmarkResult.count()).toBe(0);
      expect(await p.indexJob.count()).toBe(0);
    } finally {
      await db.close();
    }
  });

  it.runIf(run)("refuses a migration that was edited after it was applied", async () => {
    temp = await tempDatabase(dialect);
    const dir = mkdtempSync(path.join(tmpdir(), "cxr-migrations-"));
    try {
      cpSync(defaultMigrationsDir, dir, { recursive: true });
      await migrate(temp.config, dir);
      const first = readMigrations(dialect, dir)[0]!;
      writeFileSync(path.join(dir, first.name, `${dialect}.sql`), `${first.sql}\n-- edited\n`);
      await expect(migrate(temp.config, dir)).rejects.toMatchObject({ code: "MIGRATION_MODIFIED" });
      const status = await migrationStatus(temp.config, dir);
      expect(status.modified).toEqual([first.name]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(run)(
    "refuses a database migrated by a newer version, and an unmigrated one when asked not to migrate",
    async () => {
      temp = await tempDatabase(dialect);
      await expect(openDatabase(temp.config, { migrate: false })).rejects.toMatchObject({
        code: "NOT_MIGRATED",
      });
      const dir = mkdtempSync(path.join(tmpdir(), "cxr-migrations-"));
      try {
        cpSync(defaultMigrationsDir, dir, { recursive: true });
        await migrate(temp.config, dir);
        const empty = mkdtempSync(path.join(tmpdir(), "cxr-migrations-"));
        await expect(migrate(temp.config, empty)).rejects.toMatchObject({ code: "MIGRATION_UNKNOWN" });
        rmSync(empty, { recursive: true, force: true });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("connection errors", () => {
  it("names an unreachable PostgreSQL", async () => {
    const error = await openDatabase({
      database: { kind: "postgresql", url: "postgresql://u@127.0.0.1:1/db" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "UNREACHABLE" });
    expect((error as Error).message).toContain("127.0.0.1:1/db");
  });

  it("says when the data folder cannot be written", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cxr-ro-"));
    const blocker = path.join(dir, "file");
    writeFileSync(blocker, "");
    const file = path.join(blocker, "cxr.db"); // a folder that cannot exist: its parent is a file
    const error = await openDatabase({ database: { kind: "sqlite", url: `file:${file}`, file } }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "NOT_WRITABLE" });
    expect((error as Error).message).toContain(blocker);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("sanity of the migration files", () => {
  beforeAll(() => {});
  it("has the same migrations for both dialects", () => {
    expect(readMigrations("sqlite").map((m) => m.name)).toEqual(
      readMigrations("postgresql").map((m) => m.name),
    );
    for (const m of readMigrations("postgresql"))
      expect(readFileSync(path.join(defaultMigrationsDir, m.name, "schema.prisma"), "utf8")).toContain(
        "model ",
      );
  });
});
