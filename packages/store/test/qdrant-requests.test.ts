import { loadConfig } from "@cxr/config";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../src/errors.ts";
import { openVectorStore } from "../src/open.ts";
import { QdrantVectorStore } from "../src/qdrant.ts";
import { collectionInfo, error, FakeQdrant, ok, type RecordedRequest, UPDATE_RESULT } from "./fake-qdrant.ts";
import { makePoints } from "./helpers.ts";

// The adapter's HTTP requests, checked against Qdrant's documented REST shapes on a recording fake.

const fake = new FakeQdrant();
let url: string;
const FIELDS = ["dataset", "split", "studyId", "view"];

function open(extra: Partial<ConstructorParameters<typeof QdrantVectorStore>[0]> = {}) {
  return new QdrantVectorStore({ url, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
}

/** An existing collection "c" (dimension 8, Cosine, keyword indexes) and no aliases. */
function existing(size = 8) {
  fake.route("GET", "/aliases", ok({ aliases: [] }));
  fake.route("GET", "/collections/c", collectionInfo(size, "Cosine", FIELDS));
  fake.route("GET", "/collections/c/exists", ok({ exists: true }));
}

const pointsRequests = () =>
  fake.requests.filter((r) => r.method === "PUT" && r.path === "/collections/c/points");

beforeAll(async () => {
  url = await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

describe("Qdrant adapter requests", () => {
  it("ensureCollection creates the collection and one keyword payload index per field", async () => {
    fake.route("GET", "/collections/c/exists", ok({ exists: false }));
    fake.route("GET", "/aliases", ok({ aliases: [] }));
    fake.route("PUT", "/collections/c", ok(true));
    fake.route("PUT", "/collections/c/index", ok(UPDATE_RESULT));
    const info = await open().ensureCollection("c", {
      dimension: 8,
      distance: "cosine",
      indexedFields: FIELDS,
    });
    expect(info).toEqual({ name: "c", dimension: 8, distance: "cosine", indexedFields: FIELDS });
    const writes = fake.writes();
    expect(writes[0]).toMatchObject({
      method: "PUT",
      path: "/collections/c",
      body: { vectors: { size: 8, distance: "Cosine" } },
    });
    // The dataset field is the tenant key: Qdrant keeps each dataset's points together.
    expect(writes.slice(1).map((r) => [r.path, r.query.wait, r.body])).toEqual(
      FIELDS.map((f) => [
        "/collections/c/index",
        "true",
        {
          field_name: f,
          field_schema: f === "dataset" ? { type: "keyword", is_tenant: true } : "keyword",
        },
      ]),
    );
  });

  it("ensureCollection sends the configured shards, replication and write consistency", async () => {
    fake.route("GET", "/collections/c/exists", ok({ exists: false }));
    fake.route("GET", "/aliases", ok({ aliases: [] }));
    fake.route("PUT", "/collections/c", ok(true));
    fake.route("PUT", "/collections/c/index", ok(UPDATE_RESULT));
    await open({
      shardNumber: 6,
      replicationFactor: 2,
      writeConsistencyFactor: 2,
      tenantFields: ["studyId"],
    }).ensureCollection("c", { dimension: 8, distance: "dot", indexedFields: ["dataset", "studyId"] });
    const [create, ...indexes] = fake.writes();
    expect(create!.body).toEqual({
      vectors: { size: 8, distance: "Dot" },
      shard_number: 6,
      replication_factor: 2,
      write_consistency_factor: 2,
    });
    expect(indexes.map((r) => r.body)).toEqual([
      { field_name: "dataset", field_schema: "keyword" },
      { field_name: "studyId", field_schema: { type: "keyword", is_tenant: true } },
    ]);
  });

  it("an existing tenant-indexed field counts as an indexed keyword field", async () => {
    fake.route("GET", "/aliases", ok({ aliases: [] }));
    fake.route("GET", "/collections/c/exists", ok({ exists: true }));
    const info = collectionInfo(8, "Cosine", ["split"]);
    const result = info.result as { payload_schema: Record<string, unknown> };
    result.payload_schema.dataset = {
      data_type: "keyword",
      params: { type: "keyword", is_tenant: true },
      points: 0,
    };
    fake.route("GET", "/collections/c", info);
    expect(
      (await open().ensureCollection("c", { dimension: 8, distance: "cosine", indexedFields: ["dataset"] }))
        .indexedFields,
    ).toEqual(["dataset", "split"]);
    expect(fake.writes()).toEqual([]);
  });

  it("rejects a layout option that is not a whole number >= 1 before any request", () => {
    expect(() => open({ shardNumber: 0 })).toThrow(StoreError);
    expect(() => open({ concurrency: 1.5 })).toThrow(/concurrency/);
    expect(fake.requests).toEqual([]);
  });

  it("search, batch search and scroll read with the configured consistency", async () => {
    existing();
    fake.route("POST", "/collections/c/points/query", ok({ points: [] }));
    fake.route("POST", "/collections/c/points/query/batch", ok([{ points: [] }]));
    fake.route("POST", "/collections/c/points/scroll", ok({ points: [], next_page_offset: null }));
    const q = makePoints(1, 8, 10)[0]!.vector;
    for (const level of ["quorum", 2] as const) {
      fake.requests.length = 0;
      const store = open({ readConsistency: level });
      await store.search("c", q, 3);
      await store.searchBatch("c", [q], 3);
      await store.scroll("c", { limit: 5 });
      const reads = fake.requests.filter((r) => r.method === "POST");
      expect(reads.map((r) => [r.path, r.query.consistency])).toEqual([
        ["/collections/c/points/query", String(level)],
        ["/collections/c/points/query/batch", String(level)],
        ["/collections/c/points/scroll", String(level)],
      ]);
    }
    fake.requests.length = 0;
    await open().search("c", q, 3);
    expect(fake.requests.find((r) => r.method === "POST")!.query).not.toHaveProperty("consistency");
  });

  it("ensureCollection on an existing collection checks its dimension and creates nothing", async () => {
    existing();
    const store = open();
    expect(
      await store.ensureCollection("c", { dimension: 8, distance: "cosine", indexedFields: ["split"] }),
    ).toEqual({
      name: "c",
      dimension: 8,
      distance: "cosine",
      indexedFields: FIELDS,
    });
    await expect(store.ensureCollection("c", { dimension: 16, distance: "cosine" })).rejects.toMatchObject({
      code: "DIMENSION_MISMATCH",
    });
    expect(fake.writes()).toEqual([]);
  });

  it("ensureCollection that loses a creation race checks the winner's collection instead", async () => {
    let created = false;
    fake.route("GET", "/collections/c/exists", () => ok({ exists: created }));
    fake.route("GET", "/aliases", ok({ aliases: [] }));
    fake.route("PUT", "/collections/c", () => {
      created = true;
      return error(400, "Wrong input: Collection `c` already exists!");
    });
    fake.route("GET", "/collections/c", collectionInfo(8, "Cosine", ["split"]));
    fake.route("PUT", "/collections/c/index", ok(UPDATE_RESULT));
    const info = await open().ensureCollection("c", {
      dimension: 8,
      distance: "cosine",
      indexedFields: ["split", "view"],
    });
    expect(info.indexedFields).toEqual(["split", "view"]);
    expect(fake.writes().map((r) => [r.method, r.path])).toEqual([
      ["PUT", "/collections/c"],
      ["PUT", "/collections/c/index"],
    ]);
  });

  it("upserts in batches under the point and byte limits, with bounded concurrency", async () => {
    existing();
    fake.route("PUT", "/collections/c/points", { ...ok(UPDATE_RESULT), delayMs: 15 });
    const points = makePoints(1000, 8, 1);
    await open({ batchSize: 128, concurrency: 3 }).upsert("c", points);
    const reqs = pointsRequests();
    expect(reqs).toHaveLength(8);
    expect(fake.maxInFlight).toBeLessThanOrEqual(3);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    const sent = reqs.flatMap(
      (r) => (r.body as { points: Array<{ id: string; vector: number[]; payload: unknown }> }).points,
    );
    expect(reqs.every((r) => r.query.wait === "true")).toBe(true);
    expect(sent.map((p) => p.id).sort()).toEqual(points.map((p) => p.id).sort());
    const first = sent.find((p) => p.id === points[0]!.id)!;
    expect(first.vector).toEqual(Array.from(points[0]!.vector));
    expect(first.payload).toEqual(points[0]!.payload);

    fake.requests.length = 0;
    // A byte budget of ~3 points per request.
    await open({ maxRequestBytes: 3 * (8 * 16 + 200) }).upsert("c", points.slice(0, 10));
    const small = pointsRequests().map((r) => (r.body as { points: unknown[] }).points.length);
    expect(small.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...small)).toBeLessThanOrEqual(3);
  });

  it("retries 503, 429 (Retry-After) and dropped connections, then succeeds", async () => {
    existing();
    let calls = 0;
    fake.route("PUT", "/collections/c/points", () => {
      calls++;
      if (calls === 1) return error(503, "Service Unavailable: overloaded");
      if (calls === 2) return error(429, "Too many requests", { "retry-after": "0" });
      return ok(UPDATE_RESULT);
    });
    await open().upsert("c", makePoints(5, 8, 2));
    expect(pointsRequests()).toHaveLength(3);
  });

  it("gives up on persistent transient errors with UNAVAILABLE, and does not retry a 400", async () => {
    existing();
    fake.route("PUT", "/collections/c/points", error(503, "down"));
    const e = await open()
      .upsert("c", makePoints(2, 8, 3))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreError);
    expect(e).toMatchObject({ code: "UNAVAILABLE", details: { status: 503, location: url } });
    expect(pointsRequests()).toHaveLength(4);

    fake.requests.length = 0;
    fake.route("PUT", "/collections/c/points", error(400, "Wrong input: bad request"));
    const bad = await open()
      .upsert("c", makePoints(2, 8, 3))
      .catch((x: unknown) => x);
    expect(bad).toMatchObject({ code: "UNEXPECTED_RESPONSE", details: { status: 400 } });
    expect((bad as StoreError).details.body).toContain("Wrong input");
    expect(pointsRequests()).toHaveLength(1);
  });

  it("search is POST /points/query with the vector, limit, filter, exact and score_threshold", async () => {
    existing();
    const ids = makePoints(2, 8, 4).map((p) => p.id);
    fake.route(
      "POST",
      "/collections/c/points/query",
      ok({
        points: [
          { id: ids[0], version: 3, score: 0.91, payload: { split: "test" } },
          { id: ids[1], version: 3, score: 0.5, payload: null },
        ],
      }),
    );
    const q = makePoints(1, 8, 5)[0]!.vector;
    const hits = await open().search("c", q, 5, {
      exact: true,
      minScore: 0.2,
      filter: { must: [{ key: "split", match: "test" }], mustNot: [{ key: "view", any: ["AP", "LATERAL"] }] },
    });
    expect(hits).toEqual([
      { id: ids[0], score: 0.91, payload: { split: "test" } },
      { id: ids[1], score: 0.5, payload: {} },
    ]);
    const req = fake.requests.find((r) => r.path === "/collections/c/points/query")!;
    expect(req.method).toBe("POST");
    expect(req.body).toEqual({
      query: Array.from(q),
      limit: 5,
      with_payload: true,
      params: { exact: true },
      score_threshold: 0.2,
      filter: {
        must: [{ key: "split", match: { value: "test" } }],
        must_not: [{ key: "view", match: { any: ["AP", "LATERAL"] } }],
      },
    });
  });

  it("searchBatch is POST /points/query/batch with one request per query", async () => {
    existing();
    fake.route("POST", "/collections/c/points/query/batch", (req) =>
      ok((req.body as { searches: unknown[] }).searches.map(() => ({ points: [] }))),
    );
    const qs = makePoints(3, 8, 6).map((p) => p.vector);
    expect(await open().searchBatch("c", qs, 4)).toEqual([[], [], []]);
    const req = fake.requests.find((r) => r.path === "/collections/c/points/query/batch")!;
    expect((req.body as { searches: Array<{ limit: number }> }).searches.map((s) => s.limit)).toEqual([
      4, 4, 4,
    ]);
  });

  it("count, scroll and delete use the documented bodies", async () => {
    existing();
    const [a, b] = makePoints(2, 8, 7);
    fake.route("POST", "/collections/c/points/count", ok({ count: 42 }));
    fake.route(
      "POST",
      "/collections/c/points/scroll",
      ok({
        points: [{ id: a!.id, payload: { split: "test" }, vector: [1, 0, 0, 0, 0, 0, 0, 0] }],
        next_page_offset: b!.id,
      }),
    );
    fake.route("POST", "/collections/c/points/delete", ok(UPDATE_RESULT));
    const store = open();
    expect(await store.count("c", { must: [{ key: "dataset", match: "mimic" }] })).toBe(42);
    const page = await store.scroll("c", { limit: 1, cursor: a!.id, withVector: true });
    expect(page.next).toBe(b!.id);
    expect(page.points[0]!.vector).toEqual(new Float32Array([1, 0, 0, 0, 0, 0, 0, 0]));
    await store.delete("c", { ids: [a!.id] });
    await store.delete("c", { filter: { must: [{ key: "split", any: ["test"] }] } });
    const body = (path: string) =>
      fake.requests.filter((r) => r.path === path).map((r: RecordedRequest) => r.body);
    expect(body("/collections/c/points/count")).toEqual([
      { exact: true, filter: { must: [{ key: "dataset", match: { value: "mimic" } }] } },
    ]);
    expect(body("/collections/c/points/scroll")).toEqual([
      { limit: 1, with_payload: true, with_vector: true, offset: a!.id },
    ]);
    expect(body("/collections/c/points/delete")).toEqual([
      { points: [a!.id] },
      { filter: { must: [{ key: "split", match: { any: ["test"] } }] } },
    ]);
    expect(
      fake.requests
        .filter((r) => r.path === "/collections/c/points/delete")
        .every((r) => r.query.wait === "true"),
    ).toBe(true);
  });

  it("setAlias swaps in one atomic POST /collections/aliases; aliases resolve through GET /aliases", async () => {
    existing();
    fake.route("GET", "/collections/c_v2/exists", ok({ exists: true }));
    fake.route("GET", "/collections/c_alias/exists", ok({ exists: false }));
    fake.route("POST", "/collections/aliases", ok(true));
    const store = open();
    await store.setAlias("c_alias", "c_v2");
    const req = fake.requests.find((r) => r.path === "/collections/aliases")!;
    expect(req.body).toEqual({
      actions: [
        { delete_alias: { alias_name: "c_alias" } },
        { create_alias: { collection_name: "c_v2", alias_name: "c_alias" } },
      ],
    });
    fake.route("GET", "/aliases", ok({ aliases: [{ alias_name: "c_alias", collection_name: "c_v2" }] }));
    expect(await store.resolveAlias("c_alias")).toBe("c_v2");
    expect(await store.listAliases()).toEqual([{ alias: "c_alias", collection: "c_v2" }]);
  });

  it("bad input fails before any request is sent; a 404 is UNKNOWN_COLLECTION", async () => {
    existing();
    const store = open();
    const q = makePoints(1, 8, 8)[0]!.vector;
    await store.getCollection("c");
    fake.requests.length = 0;
    await expect(store.search("c", q, 0)).rejects.toMatchObject({ code: "INVALID_K" });
    await expect(store.search("c", q, 10_001)).rejects.toMatchObject({ code: "INVALID_K" });
    await expect(store.search("c", new Float32Array(7), 3)).rejects.toMatchObject({
      code: "DIMENSION_MISMATCH",
    });
    await expect(
      store.search("c", q, 3, { filter: { must: [{ key: "patient", match: "x" }] } }),
    ).rejects.toMatchObject({ code: "UNKNOWN_FILTER_FIELD" });
    const nan = Float32Array.from(q);
    nan[2] = Number.NaN;
    await expect(store.upsert("c", [{ ...makePoints(1, 8, 9)[0]!, vector: nan }])).rejects.toMatchObject({
      code: "NAN_VALUE",
    });
    expect(fake.requests).toEqual([]);

    fake.route("GET", "/collections/gone", error(404, "Not found: Collection `gone` doesn't exist!"));
    await expect(store.count("gone")).rejects.toMatchObject({
      code: "UNKNOWN_COLLECTION",
      details: { status: 404 },
    });
  });

  it("sends the api-key header when one is configured", async () => {
    fake.route("GET", "/collections", ok({ collections: [{ name: "b" }, { name: "a" }] }));
    const store = new QdrantVectorStore({ url, apiKey: "secret-key" });
    expect(await store.listCollections()).toEqual(["a", "b"]);
    expect(fake.requests[0]!.headers["api-key"]).toBe("secret-key");
  });
});

describe("openVectorStore with Qdrant settings from the configuration", () => {
  it("creates collections with the configured layout and upserts in the configured batches", async () => {
    fake.route("GET", "/collections/c/exists", ok({ exists: false }));
    fake.route("GET", "/aliases", ok({ aliases: [] }));
    fake.route("PUT", "/collections/c", ok(true));
    fake.route("PUT", "/collections/c/index", ok(UPDATE_RESULT));
    const config = loadConfig(
      {
        QDRANT_URL: url,
        QDRANT_SHARDS: "4",
        QDRANT_REPLICATION_FACTOR: "2",
        QDRANT_WRITE_CONSISTENCY: "1",
        QDRANT_READ_CONSISTENCY: "majority",
        QDRANT_UPSERT_BATCH: "300",
        QDRANT_UPSERT_PARALLEL: "3",
      },
      "/tmp",
    );
    const store = openVectorStore(config, { qdrant: { retry: { attempts: 1 } } });
    await store.ensureCollection("c", { dimension: 8, distance: "cosine", indexedFields: ["dataset"] });
    expect(fake.writes()[0]!.body).toEqual({
      vectors: { size: 8, distance: "Cosine" },
      shard_number: 4,
      replication_factor: 2,
      write_consistency_factor: 1,
    });
    fake.reset();
    existing();
    // Slow answers, so the configured streams overlap even on a loaded machine.
    fake.route("PUT", "/collections/c/points", { ...ok(UPDATE_RESULT), delayMs: 250 });
    fake.route("POST", "/collections/c/points/query", ok({ points: [] }));
    await store.upsert("c", makePoints(1000, 8, 12));
    const sizes = pointsRequests().map((r) => (r.body as { points: unknown[] }).points.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([300, 300, 300, 100]);
    expect(fake.maxInFlight).toBeLessThanOrEqual(3);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    await store.search("c", makePoints(1, 8, 13)[0]!.vector, 2);
    expect(fake.requests.at(-1)!.query.consistency).toBe("majority");
  });
});
