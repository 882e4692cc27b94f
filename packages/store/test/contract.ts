import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError, type StoreErrorCode } from "../src/errors.ts";
import { pointId } from "../src/ids.ts";
import type { Point, VectorStore } from "../src/types.ts";
import { bruteForce, makePoints, randomVector, rng } from "./helpers.ts";

/**
 * The behaviour every VectorStore implementation must have. Each implementation's test file calls
 * defineContract with a factory; collection names are unique per run so a shared Qdrant is safe.
 */

export interface ContractTarget {
  open(): Promise<VectorStore>;
  /** Called once at the end (remove temp folders). */
  cleanup?(): Promise<void>;
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(code);
    return error as StoreError;
  }
  throw new Error(`expected a StoreError ${code}, but the call succeeded`);
}

const FIELDS = ["dataset", "split", "view", "studyId"];
const DIM = 48;

export function defineContract(name: string, target: ContractTarget): void {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    const run = `t${randomUUID().slice(0, 8)}`;
    const created: string[] = [];
    const coll = (suffix: string) => {
      const n = `${run}_${suffix}`;
      created.push(n);
      return n;
    };

    beforeAll(async () => {
      store = await target.open();
    });

    afterAll(async () => {
      if (store !== undefined) {
        for (const n of created) await store.dropCollection(n).catch(() => false);
        await store.close();
      }
      await target.cleanup?.();
    });

    it("creates a collection once and checks its spec afterwards", async () => {
      const c = coll("spec");
      const info = await store.ensureCollection(c, {
        dimension: DIM,
        distance: "cosine",
        indexedFields: FIELDS,
      });
      expect(info).toEqual({
        name: c,
        dimension: DIM,
        distance: "cosine",
        indexedFields: [...FIELDS].sort(),
      });
      const again = await store.ensureCollection(c, {
        dimension: DIM,
        distance: "cosine",
        indexedFields: ["split"],
      });
      expect(again.indexedFields).toEqual([...FIELDS].sort());
      await expectStoreError(
        store.ensureCollection(c, { dimension: DIM + 1, distance: "cosine" }),
        "DIMENSION_MISMATCH",
      );
      await expectStoreError(
        store.ensureCollection(c, { dimension: DIM, distance: "dot" }),
        "COLLECTION_CONFLICT",
      );
      expect(await store.listCollections()).toContain(c);
      expect(await store.getCollection(c)).toEqual(info);
      await expectStoreError(store.getCollection(`${run}_missing`), "UNKNOWN_COLLECTION");
    });

    it("upserts under deterministic ids: re-upserting replaces, never duplicates", async () => {
      const c = coll("upsert");
      await store.ensureCollection(c, { dimension: DIM, distance: "cosine", indexedFields: FIELDS });
      const points = makePoints(300, DIM, 2);
      await store.upsert(c, points);
      expect(await store.count(c)).toBe(300);
      // Same ids, new vectors and payloads.
      const replaced = makePoints(300, DIM, 3).map((p) => ({ ...p, payload: { ...p.payload, version: 2 } }));
      await store.upsert(c, replaced);
      expect(await store.count(c)).toBe(300);
      const hit = (await store.search(c, replaced[17]!.vector, 1, { exact: true }))[0]!;
      expect(hit.id).toBe(replaced[17]!.id);
      expect(hit.score).toBeCloseTo(1, 4);
      expect(hit.payload).toEqual(replaced[17]!.payload);
      expect(pointId("item-17")).toBe(replaced[17]!.id);
    });

    for (const distance of ["cosine", "dot"] as const) {
      it(`search returns the exact top-k by ${distance}, best first, with payloads`, async () => {
        const c = coll(`search_${distance}`);
        await store.ensureCollection(c, { dimension: DIM, distance, indexedFields: FIELDS });
        const points = makePoints(500, DIM, 4);
        await store.upsert(c, points);
        const next = rng(99);
        for (let q = 0; q < 5; q++) {
          const query = randomVector(next, DIM);
          const hits = await store.search(c, query, 10, { exact: true });
          const expected = bruteForce(points, query, 10, distance);
          expect(hits.map((h) => h.id)).toEqual(expected.map((e) => e.id));
          hits.forEach((h, i) => {
            expect(h.score).toBeCloseTo(expected[i]!.score, 4);
          });
          const byId = new Map(points.map((p) => [p.id, p]));
          for (const h of hits) expect(h.payload).toEqual(byId.get(h.id)!.payload);
        }
        // More than there are points: all of them.
        expect(await store.search(c, points[0]!.vector, 600, { exact: true })).toHaveLength(500);
      });
    }

    it("filters on keyword fields (equals, in-list, must-not) in search, count, scroll and delete", async () => {
      const c = coll("filter");
      await store.ensureCollection(c, { dimension: DIM, distance: "cosine", indexedFields: FIELDS });
      const points = makePoints(600, DIM, 5);
      await store.upsert(c, points);
      const query = randomVector(rng(7), DIM);
      const isTestPA = (p: Point) => p.payload.split === "test" && p.payload.view === "PA";
      const filter = {
        must: [
          { key: "split", match: "test" },
          { key: "view", any: ["PA"] },
        ],
      };
      const hits = await store.search(c, query, 10, { filter, exact: true });
      expect(hits.map((h) => h.id)).toEqual(
        bruteForce(points, query, 10, "cosine", isTestPA).map((e) => e.id),
      );
      expect(await store.count(c, filter)).toBe(points.filter(isTestPA).length);

      const notMimic = { mustNot: [{ key: "dataset", any: ["mimic", "chexpert"] }] };
      const synthetic = points.filter((p) => p.payload.dataset === "synthetic");
      expect(await store.count(c, notMimic)).toBe(synthetic.length);
      const hits2 = await store.search(c, query, 5, { filter: notMimic, exact: true });
      expect(hits2.map((h) => h.id)).toEqual(
        bruteForce(points, query, 5, "cosine", (p) => p.payload.dataset === "synthetic").map((e) => e.id),
      );
      const scrolled = await store.scroll(c, {
        filter: { must: [{ key: "studyId", match: "s10" }] },
        limit: 100,
      });
      expect(scrolled.points.map((p) => p.payload.key).sort()).toEqual(["item-20", "item-21"]);
      expect(scrolled.next).toBeNull();

      await store.delete(c, { filter: { must: [{ key: "dataset", match: "mimic" }] } });
      expect(await store.count(c)).toBe(400);
      expect(await store.count(c, { must: [{ key: "dataset", match: "mimic" }] })).toBe(0);
      const after = await store.search(c, query, 50, { exact: true });
      expect(after.every((h) => h.payload.dataset !== "mimic")).toBe(true);
    });

    it("minScore drops weaker hits; searchBatch equals one search per query", async () => {
      const c = coll("batch");
      await store.ensureCollection(c, { dimension: DIM, distance: "cosine", indexedFields: FIELDS });
      const points = makePoints(400, DIM, 6);
      await store.upsert(c, points);
      const next = rng(11);
      const queries = [randomVector(next, DIM), randomVector(next, DIM), points[3]!.vector];
      const batch = await store.searchBatch(c, queries, 7, { exact: true });
      expect(batch).toHaveLength(3);
      for (let i = 0; i < queries.length; i++) {
        const single = await store.search(c, queries[i]!, 7, { exact: true });
        expect(batch[i]!.map((h) => h.id)).toEqual(single.map((h) => h.id));
      }
      const all = await store.search(c, queries[0]!, 20, { exact: true });
      const cut = all[9]!.score;
      const above = await store.search(c, queries[0]!, 20, { exact: true, minScore: cut });
      expect(above.map((h) => h.id)).toEqual(all.slice(0, 10).map((h) => h.id));
      expect(await store.search(c, queries[0]!, 5, { minScore: 1.5 })).toEqual([]);
    });

    it("deletes by id and scrolls every point exactly once", async () => {
      const c = coll("scroll");
      await store.ensureCollection(c, { dimension: DIM, distance: "cosine", indexedFields: FIELDS });
      const points = makePoints(250, DIM, 8);
      await store.upsert(c, points);
      await store.delete(c, { ids: points.slice(0, 50).map((p) => p.id) });
      await store.delete(c, { ids: [pointId("never-existed")] });
      expect(await store.count(c)).toBe(200);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await store.scroll(c, { cursor, limit: 64, withVector: pages === 0 });
        if (pages === 0) {
          const first = page.points[0]!;
          const original = points.find((p) => p.id === first.id)!;
          const n = Math.hypot(...original.vector);
          expect(first.vector).toHaveLength(DIM);
          first.vector!.forEach((x, i) => {
            expect(x).toBeCloseTo(original.vector[i]! / n, 5);
          });
        } else {
          expect(page.points[0]!.vector).toBeUndefined();
        }
        seen.push(...page.points.map((p) => p.id));
        cursor = page.next;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(4);
      expect(new Set(seen).size).toBe(200);
      expect(seen.sort()).toEqual(
        points
          .slice(50)
          .map((p) => p.id)
          .sort(),
      );
      const deletedHit = await store.search(c, points[0]!.vector, 1, { exact: true });
      expect(deletedHit[0]!.id).not.toBe(points[0]!.id);
    });

    it("aliases point at a collection and swap atomically; dropping a collection drops its aliases", async () => {
      const v1 = coll("alias_v1");
      const v2 = coll("alias_v2");
      const alias = `${run}_alias`;
      await store.ensureCollection(v1, { dimension: DIM, distance: "cosine", indexedFields: FIELDS });
      await store.ensureCollection(v2, { dimension: DIM, distance: "cosine", indexedFields: FIELDS });
      await store.upsert(v1, makePoints(10, DIM, 9));
      await store.upsert(v2, makePoints(20, DIM, 10));
      expect(await store.resolveAlias(alias)).toBeNull();
      await store.setAlias(alias, v1);
      expect(await store.resolveAlias(alias)).toBe(v1);
      expect(await store.count(alias)).toBe(10);
      expect((await store.getCollection(alias)).name).toBe(v1);
      await store.setAlias(alias, v2);
      expect(await store.resolveAlias(alias)).toBe(v2);
      expect(await store.count(alias)).toBe(20);
      expect((await store.search(alias, randomVector(rng(1), DIM), 3)).length).toBe(3);
      expect(await store.listAliases()).toContainEqual({ alias, collection: v2 });
      await expectStoreError(store.setAlias(alias, `${run}_nope`), "UNKNOWN_COLLECTION");
      await expectStoreError(store.setAlias(v1, v2), "COLLECTION_CONFLICT");
      expect(await store.dropCollection(v2)).toBe(true);
      expect(await store.resolveAlias(alias)).toBeNull();
      await expectStoreError(store.count(alias), "UNKNOWN_COLLECTION");
      await store.setAlias(alias, v1);
      expect(await store.deleteAlias(alias)).toBe(true);
      expect(await store.deleteAlias(alias)).toBe(false);
      expect(await store.dropCollection(v2)).toBe(false);
      expect(await store.listCollections()).not.toContain(v2);
    });

    it("indexes a field added later, over the points already stored", async () => {
      const c = coll("addfield");
      await store.ensureCollection(c, { dimension: DIM, distance: "dot", indexedFields: ["split"] });
      await store.upsert(c, makePoints(60, DIM, 12));
      await expectStoreError(
        store.count(c, { must: [{ key: "view", match: "PA" }] }),
        "UNKNOWN_FILTER_FIELD",
      );
      await store.ensureCollection(c, { dimension: DIM, distance: "dot", indexedFields: ["split", "view"] });
      expect(await store.count(c, { must: [{ key: "view", match: "PA" }] })).toBe(30);
    });

    describe("bad input: a typed error and nothing written", () => {
      let c: string;
      const good = makePoints(20, DIM, 13);
      beforeAll(async () => {
        c = coll("bad");
        await store.ensureCollection(c, { dimension: DIM, distance: "cosine", indexedFields: FIELDS });
        await store.upsert(c, good.slice(0, 10));
      });

      it("wrong dimension", async () => {
        const bad = { ...good[15]!, vector: new Float32Array(DIM - 1).fill(0.1) };
        await expectStoreError(store.upsert(c, [...good.slice(10, 15), bad]), "DIMENSION_MISMATCH");
        expect(await store.count(c)).toBe(10);
        await expectStoreError(store.search(c, new Float32Array(DIM + 3).fill(1), 5), "DIMENSION_MISMATCH");
      });

      it("NaN or infinite values", async () => {
        const nan = Float32Array.from(good[15]!.vector);
        nan[7] = Number.NaN;
        await expectStoreError(store.upsert(c, [good[11]!, { ...good[15]!, vector: nan }]), "NAN_VALUE");
        const inf = Float32Array.from(good[16]!.vector);
        inf[0] = Number.POSITIVE_INFINITY;
        await expectStoreError(store.upsert(c, [{ ...good[16]!, vector: inf }]), "NAN_VALUE");
        expect(await store.count(c)).toBe(10);
        await expectStoreError(store.search(c, nan, 5), "NAN_VALUE");
      });

      it("unknown collection", async () => {
        const missing = `${run}_does_not_exist`;
        await expectStoreError(store.upsert(missing, good.slice(0, 2)), "UNKNOWN_COLLECTION");
        await expectStoreError(store.search(missing, good[0]!.vector, 5), "UNKNOWN_COLLECTION");
        await expectStoreError(store.count(missing), "UNKNOWN_COLLECTION");
        await expectStoreError(store.scroll(missing), "UNKNOWN_COLLECTION");
        await expectStoreError(store.delete(missing, { ids: [good[0]!.id] }), "UNKNOWN_COLLECTION");
        expect(await store.listCollections()).not.toContain(missing);
      });

      it("filter on a field the collection does not index", async () => {
        const filter = { must: [{ key: "patientName", match: "x" }] };
        await expectStoreError(store.search(c, good[0]!.vector, 5, { filter }), "UNKNOWN_FILTER_FIELD");
        await expectStoreError(store.count(c, filter), "UNKNOWN_FILTER_FIELD");
        await expectStoreError(store.delete(c, { filter: { mustNot: filter.must } }), "UNKNOWN_FILTER_FIELD");
        await expectStoreError(store.scroll(c, { filter }), "UNKNOWN_FILTER_FIELD");
        expect(await store.count(c)).toBe(10);
      });

      it("k <= 0, fractional or absurdly large", async () => {
        for (const k of [0, -1, 2.5, 10_001, Number.NaN]) {
          await expectStoreError(store.search(c, good[0]!.vector, k), "INVALID_K");
        }
        await expectStoreError(store.searchBatch(c, [good[0]!.vector], 0), "INVALID_K");
      });

      it("ids that are not UUIDs, and non-string values in indexed fields", async () => {
        await expectStoreError(store.upsert(c, [{ ...good[12]!, id: "item-12" }]), "INVALID_ID");
        await expectStoreError(
          store.upsert(c, [good[12]!, { ...good[13]!, payload: { split: 3 } }]),
          "INVALID_ARGUMENT",
        );
        expect(await store.count(c)).toBe(10);
      });
    });
  });
}
