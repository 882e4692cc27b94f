import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { pointId } from "@cxr/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateStore, openServices, type Services } from "../src/index.ts";
import { postgresAvailable, seedDataset, type TempDatabase, tempDatabase } from "../src/testing/index.ts";

// `cxr migrate-store` as a use case: an embedded install (SQLite + embedded store) moved to the
// real PostgreSQL here and to a second embedded store folder (Qdrant's request shapes are covered
// in @cxr/store's copy tests).

const pgUp = await postgresAvailable();

function vector(i: number): Float32Array {
  return Float32Array.from({ length: 8 }, (_, d) => Math.sin(i * 7 + d) + (d === i % 8 ? 2 : 0));
}

describe.runIf(pgUp)("migrateStore", () => {
  const root = mkdtempSync(path.join(tmpdir(), "cxr-migrate-"));
  const newData = path.join(root, "new-data");
  let services: Services;
  let pg: TempDatabase;
  let imageCount = 0;

  beforeAll(async () => {
    services = openServices(loadConfig({ CXR_DATA_DIR: path.join(root, "data") }, root));
    pg = await tempDatabase("postgresql");
    const seeded = await seedDataset(await services.database(), {
      dir: path.join(root, "images"),
      name: "demo",
      studies: 30,
    });
    imageCount = seeded.images.length;
    const store = services.store();
    await store.ensureCollection("tiny__images__v1", {
      dimension: 8,
      distance: "cosine",
      indexedFields: ["dataset"],
    });
    await store.upsert(
      "tiny__images__v1",
      seeded.images.map((img, i) => ({
        id: pointId(`demo/image/${img.id}`),
        vector: vector(i),
        payload: { dataset: "demo", imageId: img.id },
      })),
    );
    await store.setAlias("tiny__images", "tiny__images__v1");
  });
  afterAll(async () => {
    await services?.close();
    await pg?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  const pgUrl = () => (pg.config.database as { url: string }).url;

  it("moves the metadata and the vectors; the moved install answers the same", async () => {
    const stages = new Set<string>();
    const result = await migrateStore(
      services,
      { databaseUrl: pgUrl(), vectorsDir: path.join(newData, "vectors") },
      { batchSize: 7, pageSize: 5, onProgress: (p) => stages.add(`${p.stage}:${p.name}`) },
    );
    expect(stages).toContain("database:Image");
    expect(stages).toContain("vectors:tiny__images__v1");
    expect(result.database!.to).toContain(path.basename(pgUrl()));
    const images = result.database!.tables.find((t) => t.table === "Image")!;
    expect(images).toEqual({ table: "Image", rows: imageCount, inserted: imageCount });
    expect(result.vectors!.collections).toEqual([
      { collection: "tiny__images__v1", points: imageCount, copied: imageCount },
    ]);
    expect(result.vectors!.aliases).toEqual([{ alias: "tiny__images", collection: "tiny__images__v1" }]);

    // The install as it is configured after the move.
    const moved = openServices(loadConfig({ CXR_DATA_DIR: newData, DATABASE_URL: pgUrl() }, root));
    try {
      const db = await moved.database();
      expect(db.dialect).toBe("postgresql");
      expect(await db.prisma.image.count()).toBe(imageCount);
      expect((await db.prisma.dataset.findFirstOrThrow()).name).toBe("demo");
      const q = vector(3);
      const before = await services.store().search("tiny__images", q, 5);
      const after = await moved.store().search("tiny__images", q, 5);
      expect(after.map((h) => h.id)).toEqual(before.map((h) => h.id));
      expect(after[0]!.payload).toEqual(before[0]!.payload);
    } finally {
      await moved.close();
    }
  });

  it("a second run duplicates nothing", async () => {
    const again = await migrateStore(services, {
      databaseUrl: pgUrl(),
      vectorsDir: path.join(newData, "vectors"),
    });
    expect(again.database!.tables.every((t) => t.inserted === 0)).toBe(true);
    expect(again.vectors!.collections[0]!.copied).toBe(imageCount);
    const moved = openServices(loadConfig({ CXR_DATA_DIR: newData, DATABASE_URL: pgUrl() }, root));
    try {
      expect(await (await moved.database()).prisma.study.count()).toBe(30);
      expect(await moved.store().count("tiny__images")).toBe(imageCount);
    } finally {
      await moved.close();
    }
  });

  it.each([
    [{}, /nothing to do/],
    [{ databaseUrl: "file:./other.db" }, /postgresql:\/\//],
    [{ databaseUrl: "mysql://x@h/db" }, /--to-database/],
    [{ qdrantUrl: "ftp://q:6333" }, /--to-qdrant/],
    [{ qdrantUrl: "http://q:6333", vectorsDir: "/tmp/v" }, /not both/],
  ])("refuses %o with a clear invalid-argument error before copying anything", async (target, message) => {
    const error = await migrateStore(services, target).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "invalid", code: "INVALID_ARGUMENT" });
    expect((error as Error).message).toMatch(message);
  });

  it("refuses to copy the embedded store onto itself", async () => {
    await expect(
      migrateStore(services, { vectorsDir: path.join(root, "data", "vectors") }),
    ).rejects.toMatchObject({ kind: "invalid" });
  });
});
