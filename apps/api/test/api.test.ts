// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { crc32 } from "node:zlib";
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

/**
 * End to end: the real server on a free port, a real tiny model, a seeded and indexed dataset and a
 * small benchmark run, driven over HTTP with fetch, on SQLite and (when it answers) PostgreSQL.
 */

const pgUp = await postgresAvailable();

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
  const logLines: string[] = [];
  let temp: TempDatabase | undefined;
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  let runId = "";

  async function gql(
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    expect(text).not.toContain(work); // no server path in any answer
    return { status: res.status, body: JSON.parse(text) as { data?: any; errors?: any[] } };
  }

  async function upload(bytes: Uint8Array) {
    const res = await fetch(`${url}/uploads`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
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
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(
          ...String(chunk)
            .split("\n")
            .filter((l) => l !== ""),
        );
        done();
      },
    });
    server = await startApiServer(services, { port: 0, logger: createLogger("info", sink) });
    url = server.url;
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
    });
    await gql("query Models { models { modelId } }");
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /cxr_api_graphql_operation_seconds_count\{operation="Models",outcome="ok"\} [1-9]/,
    );
  });

  it.runIf(run)("lists models with fingerprint, dimension, card and where they are indexed", async () => {
    const { body } = await gql(
      `{ models { id modelId dimension fingerprint card indexes { modality dataset points stale } } }`,
    );
    expect(body.errors).toBeUndefined();
    const tiny = body.data.models.find((m: any) => m.modelId === "tiny");
    expect(tiny.dimension).toBe(8);
    expect(tiny.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof tiny.card).toBe("string");
    const byModality = [...tiny.indexes].sort((a: any, b: any) => (a.modality < b.modality ? -1 : 1));
    expect(byModality).toEqual([
      { modality: "IMAGES", dataset: "set", points: 18, stale: false },
      { modality: "REPORTS", dataset: "set", points: 12, stale: false },
    ]);
    const unindexed = body.data.models.find((m: any) => m.modelId === "tiny-unindexed");
    expect(unindexed.indexes).toEqual([]);
    // node(id) resolves the global id back to the model
    const node = await gql(`query($id: ID!) { node(id: $id) { __typename ... on Model { modelId } } }`, {
      id: tiny.id,
    });
    expect(node.body.data.node).toEqual({ __typename: "Model", modelId: "tiny" });
  });

  it.runIf(run)("pages through a dataset's studies with report sections and images", async () => {
    const { body } = await gql(
      `{ datasets { name status studyCount imageCount splits { name studyCount imageCount fingerprint } } }`,
    );
    expect(body.data.datasets).toEqual([
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
      const res: any = await gql(
        `query($after: String) { dataset(name: "set") { studies(first: 5, after: $after) {
           totalCount pageInfo { hasNextPage endCursor }
           edges { node { id externalId split report { impression findings } images { id view previewUrl } } } } } }`,
        { after },
      );
      const studies = res.body.data.dataset.studies;
      expect(studies.totalCount).toBe(12);
      seen.push(...studies.edges.map((e: any) => e.node.externalId));
      if (!studies.pageInfo.hasNextPage) break;
      after = studies.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(4, "0")}`));
    const first: any = (
      await gql(
        `{ dataset(name: "set") { studies(first: 1) { edges { node { externalId report { impression } images { previewUrl originalUrl width } } } } } }`,
      )
    ).body.data.dataset.studies.edges[0].node;
    const index = Number(first.externalId.slice(1));
    expect(first.report.impression).toBe(fixtureImpression(index));
    const preview = await fetch(`${url}${first.images[0].previewUrl}`);
    expect(preview.headers.get("content-type")).toBe("image/png");
    const original = await fetch(`${url}${first.images[0].originalUrl}`);
    expect(Buffer.from(await original.arrayBuffer()).equals(fixtureImage(index, 0, 24))).toBe(true);
    // the page size is capped (graphql-armor's cost grows with first, so a huge page is refused even before)
    const big = await gql(`{ dataset(name: "set") { studies(first: 101) { totalCount } } }`);
    expect(big.body.errors?.[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it.runIf(run)("searches by text, side by side, and tells a model that is not indexed as data", async () => {
    const query = `query($input: SearchInput!) { search(input: $input) {
      __typename
      ... on SearchOk { target k results { model hits { rank score study { externalId } image { id width } report { impression } } } }
      ... on NotIndexed { model target message }
      ... on ModelUnavailable { model message }
      ... on ImageRejected { field reason message } } }`;
    const text = fixtureImpression(3);
    const ok = await gql(query, { input: { text, models: ["tiny"], k: 3 } });
    expect(ok.body.data.search.__typename).toBe("SearchOk");
    expect(ok.body.data.search.target).toBe("IMAGES");
    const hits = ok.body.data.search.results[0].hits;
    expect(hits.map((h: any) => h.rank)).toEqual([1, 2, 3]);
    expect(hits[0].image.width).toBe(24);
    const reports = await gql(query, { input: { text, models: ["tiny"], k: 2, target: "REPORTS" } });
    expect(reports.body.data.search.results[0].hits[0].report.impression).toBe(text);

    // filters narrow the candidates: only the test split (studies 4 and 9)
    const filtered = await gql(query, {
      input: { text, models: ["tiny"], k: 10, filter: { split: ["test"] } },
    });
    const filteredStudies = filtered.body.data.search.results[0].hits.map((h: any) => h.study.externalId);
    expect([...new Set(filteredStudies)].sort()).toEqual(["s0004", "s0009"]);

    const notIndexed = await gql(query, { input: { text, models: ["tiny", "tiny-unindexed"] } });
    expect(notIndexed.body.data.search).toMatchObject({
      __typename: "NotIndexed",
      model: "tiny-unindexed",
      target: "IMAGES",
    });
    const unknown = await gql(query, { input: { text, models: ["no-such-model"] } });
    expect(unknown.body.data.search).toMatchObject({
      __typename: "ModelUnavailable",
      model: "no-such-model",
    });
    const empty = await gql(query, { input: { text: "   ", models: ["tiny"] } });
    expect(empty.body.errors?.[0].extensions.code).toBe("BAD_USER_INPUT");
    const both = await gql(query, { input: { text, upload: "a".repeat(64), models: ["tiny"] } });
    expect(both.body.errors?.[0].extensions.code).toBe("BAD_USER_INPUT");

    // what a search was about never reaches the log
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(JSON.parse(line).requestId ?? JSON.parse(line).msg).toBeTruthy();
      expect(line).not.toContain("pleural");
      expect(line).not.toContain("pneumothorax");
    }
  });

  it.runIf(run)("uploads an image, then searches with it and with an indexed image id", async () => {
    const png = fixtureImage(4, 0, 24);
    const saved = await upload(png);
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ width: 24, height: 24, format: "png" });
    expect(saved.body.id).toMatch(/^[0-9a-f]{64}$/);
    expect((await upload(png)).body.id).toBe(saved.body.id); // content-addressed

    const query = `query($input: SearchInput!) { search(input: $input) { __typename
      ... on SearchOk { target results { hits { rank study { externalId } } } }
      ... on ImageRejected { field reason } } }`;
    const byUpload = await gql(query, {
      input: { upload: saved.body.id, models: ["tiny"], k: 3, target: "IMAGES" },
    });
    expect(byUpload.body.data.search.__typename).toBe("SearchOk");
    // the uploaded pixels are study 4's first image: it is its own nearest neighbour
    expect(byUpload.body.data.search.results[0].hits[0].study.externalId).toBe("s0004");

    const image: any = (
      await gql(`{ dataset(name: "set") { studies(first: 1) { edges { node { images { id } } } } } }`)
    ).body.data.dataset.studies.edges[0].node.images[0];
    const byId = await gql(query, { input: { imageId: image.id, models: ["tiny"], k: 2 } });
    expect(byId.body.data.search.__typename).toBe("SearchOk");
    expect(byId.body.data.search.target).toBe("IMAGES");

    const expired = await gql(query, { input: { upload: "0".repeat(64), models: ["tiny"] } });
    expect(expired.body.data.search).toEqual({
      __typename: "ImageRejected",
      field: "upload",
      reason: "UNKNOWN_UPLOAD",
    });
  });

  it.runIf(run)("refuses bad uploads with a typed error, from the header where it can", async () => {
    const html = await upload(Buffer.from("<!doctype html><html><body>not a png</body></html>"));
    expect(html).toMatchObject({
      status: 400,
      body: { code: "BAD_USER_INPUT", reason: "UNSUPPORTED_FORMAT" },
    });
    const png = fixtureImage(1, 0, 24);
    const truncated = await upload(png.subarray(0, Math.floor(png.length / 2)));
    expect(truncated.status).toBe(400);
    expect(["TRUNCATED", "CORRUPT"]).toContain(truncated.body.reason);
    const bomb = await upload(lyingPng(100_000, 100_000));
    expect(bomb).toMatchObject({ status: 400, body: { reason: "TOO_LARGE" } });
    const empty = await upload(new Uint8Array(0));
    expect(empty).toMatchObject({ status: 400, body: { reason: "EMPTY" } });
    expect((await fetch(`${url}/images/no-such-image`)).status).toBe(404);
  });

  it.runIf(run)("shows benchmark runs, paged, with results, intervals, summaries and ranks", async () => {
    const list = await gql(`{ benchmarkRuns(first: 5) { totalCount edges { node { id runId status } } } }`);
    expect(list.body.data.benchmarkRuns.totalCount).toBe(1);
    const node = list.body.data.benchmarkRuns.edges[0].node;
    expect(node).toMatchObject({ runId, status: "completed" });
    const detail = await gql(
      `query($id: ID!) { benchmarkRun(id: $id) { levels models { id } resultCount expectedResults counts { name value }
        results { model level direction queries metrics { name value low high } ranks }
        summaries { model direction metric auc } } }`,
      { id: node.id },
    );
    const run = detail.body.data.benchmarkRun;
    expect(run.levels).toEqual([0, 0.5]);
    expect(run.counts).toContainEqual({ name: "studies", value: 10 });
    expect(run.resultCount).toBe(run.expectedResults);
    expect(run.results).toHaveLength(4);
    for (const result of run.results) {
      expect(result.ranks).toHaveLength(result.queries);
      const recall = result.metrics.find((m: any) => m.name === "recall@1");
      expect(recall.low).toBeLessThanOrEqual(recall.value);
      expect(recall.high).toBeGreaterThanOrEqual(recall.value);
    }
    expect(run.summaries.length).toBeGreaterThan(0);
  });

  it.runIf(run)("answers unknown ids with NOT_FOUND and bad ids with BAD_USER_INPUT", async () => {
    const codes = async (q: string) => (await gql(q)).body.errors?.map((e: any) => e.extensions.code);
    expect(await codes(`{ model(id: "nope") { modelId } }`)).toEqual(["NOT_FOUND"]);
    expect(await codes(`{ dataset(name: "nope") { name } }`)).toEqual(["NOT_FOUND"]);
    expect(await codes(`{ study(id: "nope") { externalId } }`)).toEqual(["NOT_FOUND"]);
    expect(await codes(`{ benchmarkRun(id: "nope") { runId } }`)).toEqual(["NOT_FOUND"]);
    expect(await codes(`{ node(id: "%%%") { id } }`)).toEqual(["BAD_USER_INPUT"]);
  });

  it.runIf(run)("refuses hostile GraphQL before running it", async () => {
    let deep = "datasets { ";
    for (let i = 0; i < 12; i++) deep += "studies { edges { node { dataset { ";
    deep += `name${" }".repeat(12 * 4)} }`;
    const depth = await gql(`{ ${deep} }`);
    expect(depth.status).toBe(400);
    expect(depth.body.data).toBeUndefined();
    expect(JSON.stringify(depth.body.errors)).toMatch(/depth/i);

    const aliases = await gql(
      `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: models { modelId }`).join(" ")} }`,
    );
    expect(aliases.status).toBe(400);
    expect(aliases.body.data).toBeUndefined();
    expect(JSON.stringify(aliases.body.errors)).toMatch(/alias|token/i);

    const huge = await gql(`{ ${Array.from({ length: 50_000 }, () => "__typename").join(" ")} }`);
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

    const batched = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ models { modelId } }" }, { query: "{ datasets { name } }" }]),
    });
    expect(batched.status).toBe(400);
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
