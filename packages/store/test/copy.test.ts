import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { copyCollections } from "../src/copy.ts";
import { EmbeddedVectorStore } from "../src/embedded.ts";
import { QdrantVectorStore } from "../src/qdrant.ts";
import type { ScrolledPoint, VectorStore } from "../src/types.ts";
import { collectionInfo, FakeQdrant, ok, UPDATE_RESULT } from "./fake-qdrant.ts";
import { makePoints } from "./helpers.ts";

// Moving an embedded install's vectors to another store: collections, points, payloads, aliases.

const dirs: string[] = [];
function tempStore(): EmbeddedVectorStore {
  const dir = mkdtempSync(path.join(tmpdir(), "cxr-copy-"));
  dirs.push(dir);
  return EmbeddedVectorStore.open(dir);
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function everything(store: VectorStore, collection: string): Promise<Map<string, ScrolledPoint>> {
  const out = new Map<string, ScrolledPoint>();
  let cursor: string | null = null;
  do {
    const page = await store.scroll(collection, { cursor, limit: 1000, withVector: true });
    for (const p of page.points) out.set(p.id, p);
    cursor = page.next;
  } while (cursor !== null);
  return out;
}

describe("copyCollections: embedded store to another store folder", () => {
  let source: EmbeddedVectorStore;
  const FIELDS = ["dataset", "split", "view"];

  beforeAll(async () => {
    source = tempStore();
    await source.ensureCollection("m__images__v1", {
      dimension: 16,
      distance: "cosine",
      indexedFields: FIELDS,
    });
    await source.ensureCollection("m__images__v2", {
      dimension: 16,
      distance: "cosine",
      indexedFields: FIELDS,
    });
    await source.ensureCollection("m__reports__v1", {
      dimension: 8,
      distance: "dot",
      indexedFields: ["dataset"],
    });
    await source.upsert("m__images__v1", makePoints(300, 16, 1));
    await source.upsert("m__images__v2", makePoints(1234, 16, 2));
    await source.upsert("m__reports__v1", makePoints(77, 8, 3));
    await source.setAlias("m__images", "m__images__v2");
    await source.setAlias("m__reports", "m__reports__v1");
  });

  it("copies every collection's spec, points, vectors and payloads, and every alias", async () => {
    const target = tempStore();
    const pages: number[] = [];
    const result = await copyCollections(source, target, {
      pageSize: 200,
      onProgress: (c, done) => c === "m__images__v2" && pages.push(done),
    });
    expect(result.collections).toEqual([
      { collection: "m__images__v1", points: 300, copied: 300 },
      { collection: "m__images__v2", points: 1234, copied: 1234 },
      { collection: "m__reports__v1", points: 77, copied: 77 },
    ]);
    expect(pages).toEqual([200, 400, 600, 800, 1000, 1200, 1234]);
    expect(await target.listAliases()).toEqual(await source.listAliases());
    for (const name of await source.listCollections()) {
      expect(await target.getCollection(name)).toEqual(await source.getCollection(name));
      const a = await everything(source, name);
      const b = await everything(target, name);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [id, p] of a) {
        expect(b.get(id)!.payload).toEqual(p.payload);
        const v = b.get(id)!.vector!;
        for (let i = 0; i < v.length; i++) expect(v[i]).toBeCloseTo(p.vector![i]!, 6);
      }
    }
    // Search through the alias answers the same on both sides.
    const q = makePoints(1, 16, 9)[0]!.vector;
    const hits = (s: VectorStore) => s.search("m__images", q, 5).then((h) => h.map((x) => x.id));
    expect(await hits(target)).toEqual(await hits(source));
    await target.close();
  });

  it("running it twice, or after an interruption, leaves one point per source point", async () => {
    const target = tempStore();
    // An interrupted earlier run: a collection half written, an alias not yet set.
    await target.ensureCollection("m__images__v2", {
      dimension: 16,
      distance: "cosine",
      indexedFields: FIELDS,
    });
    await target.upsert("m__images__v2", makePoints(500, 16, 2));
    await copyCollections(source, target);
    const second = await copyCollections(source, target, { pageSize: 1000 });
    expect(second.collections.map((c) => [c.collection, c.copied])).toEqual([
      ["m__images__v1", 300],
      ["m__images__v2", 1234],
      ["m__reports__v1", 77],
    ]);
    expect((await target.listAliases()).length).toBe(2);
    await target.close();
  });

  it("refuses a target whose collection of that name has another dimension, writing no points", async () => {
    const target = tempStore();
    await target.ensureCollection("m__images__v1", { dimension: 32, distance: "cosine" });
    await expect(copyCollections(source, target)).rejects.toMatchObject({ code: "DIMENSION_MISMATCH" });
    expect(await target.count("m__images__v1")).toBe(0);
    await target.close();
  });
});

describe("copyCollections: embedded store to Qdrant (request shapes on the recording fake)", () => {
  const fake = new FakeQdrant();
  let url: string;
  beforeAll(async () => {
    url = await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it("creates the collection with its indexes, upserts every point under its id, then sets the alias", async () => {
    const source = tempStore();
    await source.ensureCollection("m__images__v1", {
      dimension: 8,
      distance: "cosine",
      indexedFields: ["dataset"],
    });
    const points = makePoints(600, 8, 4);
    await source.upsert("m__images__v1", points);
    await source.setAlias("m__images", "m__images__v1");

    let created = false;
    let aliases: Array<{ alias_name: string; collection_name: string }> = [];
    fake.route("GET", "/collections/m__images__v1/exists", () => ok({ exists: created }));
    fake.route("GET", "/collections/m__images/exists", ok({ exists: false }));
    fake.route("GET", "/aliases", () => ok({ aliases }));
    fake.route("PUT", "/collections/m__images__v1", () => {
      created = true;
      return ok(true);
    });
    fake.route("PUT", "/collections/m__images__v1/index", ok(UPDATE_RESULT));
    fake.route("GET", "/collections/m__images__v1", collectionInfo(8, "Cosine", ["dataset"]));
    fake.route("PUT", "/collections/m__images__v1/points", ok(UPDATE_RESULT));
    fake.route("POST", "/collections/m__images__v1/points/count", ok({ count: 600 }));
    fake.route("POST", "/collections/aliases", () => {
      aliases = [{ alias_name: "m__images", collection_name: "m__images__v1" }];
      return ok(true);
    });

    const target = new QdrantVectorStore({ url, batchSize: 256, concurrency: 2, shardNumber: 2 });
    const result = await copyCollections(source, target, { pageSize: 300 });
    expect(result.collections).toEqual([{ collection: "m__images__v1", points: 600, copied: 600 }]);
    const writes = fake.writes().map((r) => `${r.method} ${r.path}`);
    expect(writes[0]).toBe("PUT /collections/m__images__v1");
    expect(writes[1]).toBe("PUT /collections/m__images__v1/index");
    expect(writes.at(-1)).toBe("POST /collections/aliases");
    const upserts = fake.requests.filter((r) => r.path === "/collections/m__images__v1/points");
    // Two pages of 300, each split into batches of at most 256.
    expect(upserts.map((r) => (r.body as { points: unknown[] }).points.length).sort((a, b) => a - b)).toEqual(
      [44, 44, 256, 256],
    );
    const sentIds = upserts.flatMap((r) =>
      (r.body as { points: Array<{ id: string }> }).points.map((p) => p.id),
    );
    expect(sentIds.sort()).toEqual(points.map((p) => p.id).sort());
    await source.close();
  });
});
