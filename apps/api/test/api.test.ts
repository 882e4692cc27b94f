// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import {
  type SearchInput,
  TestBenchmarkRunDocument,
  TestBenchmarkRunsDocument,
  TestDatasetStudiesDocument,
  type TestDatasetStudiesQuery,
  TestDatasetsDocument,
  TestImageDocument,
  TestModelDocument,
  TestModelsDocument,
  TestNodeDocument,
  TestSearchDocument,
  TestStudyDocument,
} from "@cxr/api-client/testing";
import { loadConfig } from "@cxr/config";
import { addModel, indexDataset, runBench } from "@cxr/services";
import {
  fixtureImage,
  fixtureImpression,
  postgresAvailable,
  seedDataset,
  type TempDatabase,
  tempDatabase,
  writeTinyBundle,
} from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiServices,
  createApiServer,
  createLogger,
  openApiServices,
  type StartedApiServer,
  startApiServer,
} from "../src/index.ts";
import { failure, type TestClient, testClient } from "./client.ts";
import { dicom, JPEG_BASELINE, zeroPng } from "./hostile.ts";
import { capturedLogger } from "./logs.ts";

/**
 * End to end: the real server on a free port, a real tiny model, a seeded and indexed dataset and a
 * small benchmark run, driven over HTTP with the typed client (@cxr/api-client, documents from
 * @cxr/api-client/testing), on SQLite and (when it answers) PostgreSQL. A raw fetch remains only
 * where the payload is hostile or malformed on purpose, and for the plain HTTP routes.
 */

const pgUp = await postgresAvailable();
let bomb: Promise<Buffer> | undefined;

/** A PNG whose header says width x height (CRC fixed, so only the size is a lie). */
function lyingPng(width: number, height: number): Buffer {
  const png = Buffer.from(fixtureImage(0, 0, 16));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("the API on $dialect", ({ dialect, run }) => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-api-"));
  const logs = capturedLogger();
  const logLines = logs.lines;
  let temp: TempDatabase | undefined;
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  let runId = "";

  /** The typed client; no answer may carry a server path. */
  let api: TestClient;

  /** A raw POST /graphql, for the hostile and malformed payloads the typed client cannot send. */
  async function raw(body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    expect(text).not.toContain(work);
    // every answer, refusals included, is per caller and may hold medical data: never cached
    expect(res.headers.get("cache-control")).toBe("no-store");
    return { status: res.status, body: JSON.parse(text) as { data?: any; errors?: any[] } };
  }

  beforeAll(async () => {
    if (!run) return;
    temp = await tempDatabase(dialect);
    const env: Record<string, string> = {
      CXR_DATA_DIR: path.join(work, "data"),
      CXR_EXECUTION_PROVIDERS: "cpu",
      CXR_CPU_THREADS: "1",
      CXR_BATCH_SIZE: "4",
    };
    if (temp.config.database.kind === "postgresql") env.DATABASE_URL = temp.config.database.url;
    else env.DATABASE_URL = temp.config.database.url;
    const config = loadConfig(env, work);
    services = await openApiServices(config);
    const { db, store } = services;
    for (const id of ["tiny", "tiny-unindexed"]) {
      const bundle = path.join(work, `bundle-${id}`);
      await writeTinyBundle(bundle, { id });
      await addModel(db, config, bundle);
    }
    await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 12, side: 24 });
    await indexDataset({ db, store, config, modelId: "tiny", datasetName: "set", modality: "both" });
    await db.prisma.split.updateMany({ data: { fingerprint: "f".repeat(64) } });
    const bench = await runBench({
      db,
      config,
      models: ["tiny"],
      dataset: "set",
      split: "train",
      levels: [0, 0.5],
      seed: 1,
      grid: 4,
      bootstrapSamples: 20,
      outDir: path.join(work, "bench"),
      cache: false,
    });
    runId = bench.runId;
    server = await startApiServer(services, { port: 0, logger: logs.logger });
    url = server.url;
    api = testClient(url, { forbidden: [work] });
  });

  afterAll(async () => {
    await server?.close();
    if (server === undefined) await services?.close();
    await temp?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it.runIf(run)("answers health, readiness and metrics", async () => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({
      ok: true,
      database: true,
      vectorStore: true,
      encoders: true,
      queue: null, // no REDIS_URL: jobs run in the server's process
    });
    await api.request(TestModelsDocument, {});
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /cxr_api_graphql_operation_seconds_count\{operation="TestModels",outcome="ok"\} [1-9]/,
    );
    // the access log's route label: GraphQL requests are counted as /graphql, not "other"
    expect(metrics).toMatch(/cxr_api_http_request_seconds_count\{route="\/graphql",status="200"\} [1-9]/);
    expect(logLines.some((line) => /"method":"POST","route":"\/graphql","status":200/.test(line))).toBe(true);
  });

  it.runIf(run)("lists models with fingerprint, dimension, card and where they are indexed", async () => {
    const { models } = await api.request(TestModelsDocument, {});
    const tiny = models.find((m) => m.modelId === "tiny")!;
    expect(tiny.dimension).toBe(8);
    expect(tiny.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof tiny.card).toBe("string");
    const byModality = [...tiny.indexes].sort((a, b) => (a.modality < b.modality ? -1 : 1));
    expect(byModality).toEqual([
      { modality: "IMAGES", dataset: "set", points: 18, stale: false },
      { modality: "REPORTS", dataset: "set", points: 12, stale: false },
    ]);
    const unindexed = models.find((m) => m.modelId === "tiny-unindexed")!;
    expect(unindexed.indexes).toEqual([]);
    // node(id) resolves the global id back to the model; model(id) takes either id
    const node = await api.request(TestNodeDocument, { id: tiny.id });
    expect(node.node).toMatchObject({ __typename: "Model", modelId: "tiny" });
    expect((await api.request(TestModelDocument, { id: "tiny" })).model.id).toBe(tiny.id);
    expect((await api.request(TestModelDocument, { id: tiny.id })).model.modelId).toBe("tiny");
  });

  it.runIf(run)("pages through a dataset's studies with report sections and images", async () => {
    const { datasets } = await api.request(TestDatasetsDocument, {});
    expect(datasets).toEqual([
      {
        name: "set",
        status: "ready",
        studyCount: 12,
        imageCount: 18,
        splits: [
          { name: "test", studyCount: 2, imageCount: 3, fingerprint: "f".repeat(64) },
          { name: "train", studyCount: 10, imageCount: 15, fingerprint: "f".repeat(64) },
        ],
      },
    ]);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const page: TestDatasetStudiesQuery = await api.request(TestDatasetStudiesDocument, {
        name: "set",
        first: 5,
        after,
      });
      const studies = page.dataset.studies;
      expect(studies.totalCount).toBe(12);
      seen.push(...studies.edges.map((e) => e.node.externalId));
      if (!studies.pageInfo.hasNextPage) break;
      after = studies.pageInfo.endCursor ?? null;
    }
    expect(seen.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(4, "0")}`));
    const first = (await api.request(TestDatasetStudiesDocument, { name: "set", first: 1 })).dataset.studies
      .edges[0]!.node;
    const index = Number(first.externalId.slice(1));
    expect(first.report?.impression).toBe(fixtureImpression(index));
    const preview = await fetch(`${url}${first.images[0]!.previewUrl}`);
    expect(preview.headers.get("content-type")).toBe("image/png");
    const original = await fetch(`${url}${first.images[0]!.originalUrl}`);
    expect(Buffer.from(await original.arrayBuffer()).equals(fixtureImage(index, 0, 24))).toBe(true);

    // study(id) and image(id) by global id, each back to the study it came from
    const study = (await api.request(TestStudyDocument, { id: first.id })).study;
    expect(study).toMatchObject({ externalId: first.externalId, dataset: { name: "set" } });
    expect(study.images.map((i) => i.id)).toEqual(first.images.map((i) => i.id));
    const image = (await api.request(TestImageDocument, { id: first.images[0]!.id })).image;
    expect(image).toMatchObject({ width: 24, height: 24, study: { id: first.id } });
    expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await api.request(TestNodeDocument, { id: first.id })).node).toMatchObject({
      __typename: "Study",
      externalId: first.externalId,
    });

    // the page size is capped (graphql-armor's cost grows with first, so a huge page is refused even before)
    const big = await failure(api.request(TestDatasetStudiesDocument, { name: "set", first: 101 }));
    expect(big.code).toBe("BAD_USER_INPUT");
  });

  it.runIf(run)("searches by text, side by side, and tells a model that is not indexed as data", async () => {
    const text = fixtureImpression(3);
    const search = async (input: SearchInput) => (await api.request(TestSearchDocument, { input })).search;
    const ok = await search({ text, models: ["tiny"], k: 3 });
    if (ok.__typename !== "SearchOk") throw new Error(ok.__typename);
    expect(ok.target).toBe("IMAGES");
    const hits = ok.results[0]!.hits;
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(hits[0]!.image?.width).toBe(24);
    const reports = await search({ text, models: ["tiny"], k: 2, target: "REPORTS" });
    expect(reports).toMatchObject({ __typename: "SearchOk" });
    if (reports.__typename === "SearchOk") expect(reports.results[0]!.hits[0]!.report?.impression).toBe(text);

    // filters narrow the candidates: only the test split (studies 4 and 9)
    const filtered = await search({ text, models: ["tiny"], k: 10, filter: { split: ["test"] } });
    if (filtered.__typename !== "SearchOk") throw new Error(filtered.__typename);
    const filteredStudies = filtered.results[0]!.hits.map((h) => h.study.externalId);
    expect([...new Set(filteredStudies)].sort()).toEqual(["s0004", "s0009"]);

    expect(await search({ text, models: ["tiny", "tiny-unindexed"] })).toMatchObject({
      __typename: "NotIndexed",
      model: "tiny-unindexed",
      target: "IMAGES",
    });
    expect(await search({ text, models: ["no-such-model"] })).toMatchObject({
      __typename: "ModelUnavailable",
      model: "no-such-model",
    });
    expect((await failure(search({ text: "   ", models: ["tiny"] }))).code).toBe("BAD_USER_INPUT");
    expect((await failure(search({ text: "", models: ["tiny"] }))).code).toBe("BAD_USER_INPUT");
    const both = await failure(search({ text, upload: "a".repeat(64), models: ["tiny"] }));
    expect(both.code).toBe("BAD_USER_INPUT");
    // a 1 MB text (the JSON body limit is 1 MiB) is answered, typed, and writes nothing
    const long = await api
      .request(TestSearchDocument, { input: { text: "effusion ".repeat(111_000), models: ["tiny"], k: 1 } })
      .then(
        (r) => r.search.__typename,
        (e: { code?: string }) => e.code,
      );
    expect(["SearchOk", "BAD_USER_INPUT"]).toContain(long);

    // what a search was about never reaches the log
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(JSON.parse(line).requestId ?? JSON.parse(line).msg).toBeTruthy();
      expect(line).not.toContain("pleural");
      expect(line).not.toContain("pneumothorax");
      expect(line).not.toContain("effusion");
    }
  });

  it.runIf(run)("uploads an image, then searches with it and with an indexed image id", async () => {
    const png = fixtureImage(4, 0, 24);
    const saved = await api.upload(png);
    expect(saved).toMatchObject({ width: 24, height: 24, format: "png" });
    expect(saved.id).toMatch(/^[0-9a-f]{64}$/);
    expect((await api.upload(png)).id).toBe(saved.id); // content-addressed

    const byUpload = (
      await api.request(TestSearchDocument, {
        input: { upload: saved.id, models: ["tiny"], k: 3, target: "IMAGES" },
      })
    ).search;
    if (byUpload.__typename !== "SearchOk") throw new Error(byUpload.__typename);
    // the uploaded pixels are study 4's first image: it is its own nearest neighbour
    expect(byUpload.results[0]!.hits[0]!.study.externalId).toBe("s0004");

    const image = (await api.request(TestDatasetStudiesDocument, { name: "set", first: 1 })).dataset.studies
      .edges[0]!.node.images[0]!;
    const byId = (
      await api.request(TestSearchDocument, { input: { imageId: image.id, models: ["tiny"], k: 2 } })
    ).search;
    expect(byId).toMatchObject({ __typename: "SearchOk", target: "IMAGES" });

    const expired = (
      await api.request(TestSearchDocument, { input: { upload: "0".repeat(64), models: ["tiny"] } })
    ).search;
    expect(expired).toMatchObject({ __typename: "ImageRejected", field: "upload", reason: "UNKNOWN_UPLOAD" });
    const unknownImage = await api.request(TestSearchDocument, {
      input: { imageId: "no-such-image", models: ["tiny"] },
    });
    expect(unknownImage.search).toMatchObject({ __typename: "ImageRejected", field: "imageId" });
  });

  it.runIf(run)(
    "refuses bad uploads with a typed error, from the header where it can, and keeps none",
    async () => {
      const uploads = path.join(work, "data", "uploads");
      const kept = () => (existsSync(uploads) ? readdirSync(uploads).length : 0);
      const before = kept();
      const refused = async (bytes: Uint8Array) => {
        const e = await failure(api.upload(bytes));
        return { status: e.status, code: e.code, reason: e.reason };
      };
      const html = await refused(Buffer.from("<!doctype html><html><body>not a png</body></html>"));
      expect(html).toEqual({ status: 400, code: "BAD_USER_INPUT", reason: "UNSUPPORTED_FORMAT" });
      // HTML saved as PNG: the bytes are what counts, not a name
      const htmlPng = await refused(Buffer.from("<html><head><title>x.png</title></head></html>"));
      expect(htmlPng.reason).toBe("UNSUPPORTED_FORMAT");
      const png = fixtureImage(1, 0, 24);
      const truncated = await refused(png.subarray(0, Math.floor(png.length / 2)));
      expect(truncated.status).toBe(400);
      expect(["TRUNCATED", "CORRUPT"]).toContain(truncated.reason);
      const corrupt = Buffer.from(png);
      corrupt.fill(0x5a, 41, png.length - 12); // the IDAT's compressed bytes, CRC left wrong
      expect(["CORRUPT", "TRUNCATED"]).toContain((await refused(corrupt)).reason);
      const lying = await refused(lyingPng(100_000, 100_000));
      expect(lying).toMatchObject({ status: 400, reason: "TOO_LARGE" });
      expect(await refused(new Uint8Array(0))).toMatchObject({ status: 400, reason: "EMPTY" });
      // DICOM with no pixel data, and with a compressed transfer syntax (JPEG baseline): typed refusals
      expect(await refused(dicom({ pixels: false }))).toMatchObject({ status: 400, reason: "CORRUPT" });
      expect(await refused(dicom({ syntax: JPEG_BASELINE }))).toMatchObject({
        status: 400,
        reason: "CORRUPT",
      });
      // ... while the same file uncompressed is accepted
      expect((await api.upload(dicom({}))).format).toMatch(/dicom/i);
      expect(kept()).toBe(before + 1);
      expect((await fetch(`${url}/images/no-such-image`)).status).toBe(404);
    },
  );

  it.runIf(run)(
    "refuses a 30,000 x 30,000 decompression bomb from its header, without decoding it",
    async () => {
      bomb ??= zeroPng(30_000, 30_000); // made once for both databases
      const bytes = await bomb;
      expect(bytes.length).toBeLessThan(2 * 1024 * 1024); // 900 megapixels in under 2 MB
      global.gc?.();
      const before = process.memoryUsage();
      const e = await failure(api.upload(bytes));
      const after = process.memoryUsage();
      expect({ status: e.status, reason: e.reason }).toEqual({ status: 400, reason: "TOO_LARGE" });
      // decoding it would take 900 MB; refused from the header, the server (in this process) did not
      // allocate anything near that
      expect(after.rss - before.rss).toBeLessThan(200 * 1024 * 1024);
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(200 * 1024 * 1024);
    },
  );

  it.runIf(run)("shows benchmark runs, paged, with results, intervals, summaries and ranks", async () => {
    const list = (await api.request(TestBenchmarkRunsDocument, { first: 5 })).benchmarkRuns;
    expect(list.totalCount).toBe(1);
    const node = list.edges[0]!.node;
    expect(node).toMatchObject({ runId, status: "completed" });
    const run = (await api.request(TestBenchmarkRunDocument, { id: node.id })).benchmarkRun;
    expect(run.levels).toEqual([0, 0.5]);
    expect(run.counts).toContainEqual({ name: "studies", value: 10 });
    expect(run.resultCount).toBe(run.expectedResults);
    expect(run.results).toHaveLength(4);
    for (const result of run.results) {
      expect(result.ranks).toHaveLength(result.queries);
      const recall = result.metrics.find((m) => m.name === "recall@1")!;
      expect(recall.low).toBeLessThanOrEqual(recall.value);
      expect(recall.high).toBeGreaterThanOrEqual(recall.value);
    }
    expect(run.summaries.length).toBeGreaterThan(0);
    expect((await api.request(TestBenchmarkRunDocument, { id: runId })).benchmarkRun.runId).toBe(runId);
  });

  it.runIf(run)("answers unknown ids with NOT_FOUND and bad ids with BAD_USER_INPUT", async () => {
    const code = async (p: Promise<unknown>) => (await failure(p)).code;
    expect(await code(api.request(TestModelDocument, { id: "nope" }))).toBe("NOT_FOUND");
    expect(await code(api.request(TestDatasetStudiesDocument, { name: "nope" }))).toBe("NOT_FOUND");
    expect(await code(api.request(TestStudyDocument, { id: "nope" }))).toBe("NOT_FOUND");
    expect(await code(api.request(TestImageDocument, { id: "nope" }))).toBe("NOT_FOUND");
    expect(await code(api.request(TestBenchmarkRunDocument, { id: "nope" }))).toBe("NOT_FOUND");
    expect(await code(api.request(TestNodeDocument, { id: "%%%" }))).toBe("BAD_USER_INPUT");
  });

  it.runIf(run)("refuses hostile GraphQL before running it", async () => {
    // depth 50
    let deep = "";
    for (let i = 0; i < 12; i++) deep += "studies { edges { node { dataset { ";
    deep = `{ datasets { ${deep} name${" }".repeat(12 * 4)} } }`;
    expect(deep.match(/\{/g)!.length).toBeGreaterThanOrEqual(50);
    const depth = await raw({ query: deep });
    expect(depth.status).toBe(400);
    expect(depth.body.data).toBeUndefined();
    expect(JSON.stringify(depth.body.errors)).toMatch(/depth/i);

    const aliases = await raw({
      query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: models { modelId }`).join(" ")} }`,
    });
    expect(aliases.status).toBe(400);
    expect(aliases.body.data).toBeUndefined();
    expect(JSON.stringify(aliases.body.errors)).toMatch(/alias|token/i);

    // a query of 100,000 tokens
    const huge = await raw({ query: `{ ${Array.from({ length: 99_998 }, () => "a").join(" ")} }` });
    expect(huge.status).toBe(400);
    expect(JSON.stringify(huge.body.errors)).toMatch(/token/i);

    const variables = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "{ models { modelId } }",
        variables: { x: "a".repeat(10 * 1024 * 1024) },
      }),
    });
    expect(variables.status).toBe(413);
    expect(await variables.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });

    const batched = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ models { modelId } }" }, { query: "{ datasets { name } }" }]),
    });
    expect(batched.status).toBe(400);
    // not JSON at all
    const broken = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"query": "{ models',
    });
    expect(broken.status).toBe(400);
    expect(await broken.text()).not.toMatch(/at .*\.(ts|js):\d+/); // no stack
  });

  it.runIf(run)("keeps CSRF prevention on", async () => {
    const plain = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ models { modelId } }" }),
    });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toMatch(/CSRF/);
    const get = await fetch(`${url}/graphql?query=${encodeURIComponent("{ models { modelId } }")}`);
    expect(get.status).toBe(400);
  });

  it.runIf(run)("limits requests per IP with 429 and Retry-After", async () => {
    const limited = await createApiServer(services!, {
      limits: { requestsPerMinute: 2 },
      logger: createLogger("silent"),
    });
    await new Promise<void>((resolve) => limited.httpServer.listen(0, "127.0.0.1", resolve));
    const port = (limited.httpServer.address() as { port: number }).port;
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/images/x`);
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get("retry-after");
      }
      expect(statuses).toEqual([404, 404, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.apollo.stop();
    }
  });

  // last: it stops the shared server
  it.runIf(run)("on close, finishes a request in flight and then accepts none", async () => {
    const png = fixtureImage(7, 0, 24);
    const target = new URL(`${url}/uploads`);
    const received = new Promise((resolve) => server!.server.httpServer.once("request", resolve));
    let finish = () => {};
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: "/uploads",
          method: "POST",
          agent: false,
          headers: { "content-length": png.length },
        },
        (res) => {
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.write(png.subarray(0, 40));
      finish = () => req.end(png.subarray(40));
    });
    await received;
    const closing = server!.close();
    // the rest of the body arrives after the server was told to stop
    await new Promise((resolve) => setTimeout(resolve, 200));
    finish();
    const done = await answer;
    expect(done.status).toBe(201);
    expect(JSON.parse(done.body)).toMatchObject({ width: 24, height: 24 });
    await closing;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
