import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { type SearchInput, TestModelsDocument, TestSearchDocument } from "@cxr/api-client/testing";
import { loadConfig } from "@cxr/config";
import { addModel, indexDataset } from "@cxr/services";
import { seedDataset, writeTinyBundle } from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiServices,
  createLogger,
  openApiServices,
  type StartedApiServer,
  startApiServer,
} from "../src/index.ts";
import { failure, testClient } from "./client.ts";

/**
 * Serving: concurrent searches batched into shared forward passes (seen in /metrics), a full model
 * queue answered OVERLOADED with 503 and Retry-After, the providers a model runs on, and /readyz
 * reporting a model whose bundle went missing. The real server on a free port, a real tiny model,
 * driven with the typed client.
 */

describe("serving", () => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-serving-"));
  let services: ApiServices;
  let server: StartedApiServer;
  let url = "";

  const search = async (input: SearchInput) =>
    (await testClient(url).request(TestSearchDocument, { input })).search;

  beforeAll(async () => {
    const config = loadConfig(
      { CXR_DATA_DIR: path.join(work, "data"), CXR_EXECUTION_PROVIDERS: "cpu", CXR_CPU_THREADS: "1" },
      work,
    );
    // a long window so that every query of a burst meets in one pass; a queue of 6 per model
    services = await openApiServices(config, { batching: { windowMs: 1000, maxBatch: 16, maxQueue: 6 } });
    await writeTinyBundle(path.join(work, "bundle"), { id: "tiny" });
    await addModel(services.db, config, path.join(work, "bundle"));
    await seedDataset(services.db, { dir: path.join(work, "set"), name: "set", studies: 4, side: 24 });
    await indexDataset({
      db: services.db,
      store: services.store,
      config,
      modelId: "tiny",
      datasetName: "set",
      modality: "images",
    });
    const sink = new Writable({ write: (_c, _e, done) => done() });
    server = await startApiServer(services, { port: 0, logger: createLogger("info", sink) });
    url = server.url;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("batches concurrent searches into shared passes and refuses a burst over the queue as OVERLOADED", async () => {
    const texts = Array.from({ length: 9 }, (_, i) => `finding ${i}`);
    const api = testClient(url);
    const answers = await Promise.all(
      texts.map((text) =>
        api.request(TestSearchDocument, { input: { text, models: ["tiny"], k: 2 } }).then(
          (r) => ({ ok: r.search, error: undefined }),
          (error: { code: string; status: number }) => ({ ok: undefined, error }),
        ),
      ),
    );
    const ok = answers.flatMap((a) => (a.ok?.__typename === "SearchOk" ? [a.ok] : []));
    const overloaded = answers.filter((a) => a.error?.code === "OVERLOADED");
    expect(ok.length + overloaded.length).toBe(9);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(6);
    expect(overloaded.length).toBeGreaterThanOrEqual(3);
    for (const a of overloaded) expect(a.error!.status).toBe(503);
    const refusals = api.answers.filter((a) => a.status === 503);
    expect(refusals).toHaveLength(overloaded.length);
    for (const a of refusals) expect(a.headers.get("retry-after")).toBe("1");
    for (const a of ok) expect(a.results[0]!.hits).toHaveLength(2);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const count = Number(
      /cxr_api_encode_batch_size_count\{model="tiny",modality="text"\} (\d+)/.exec(metrics)?.[1],
    );
    const sum = Number(
      /cxr_api_encode_batch_size_sum\{model="tiny",modality="text"\} (\d+)/.exec(metrics)?.[1],
    );
    expect(sum).toBe(ok.length); // every served query was encoded once
    expect(count).toBeLessThan(sum); // in fewer passes than queries
    expect(metrics).toMatch(/cxr_api_encode_seconds_count\{model="tiny",modality="text"\} [1-9]/);

    // the queue drained: the next query is served
    expect((await search({ text: "again", models: ["tiny"], k: 1 })).__typename).toBe("SearchOk");
  });

  it("refuses a search whose k x models is over the cost limit, before encoding anything", async () => {
    const over = await failure(search({ text: "x", models: ["tiny", "b", "c"], k: 100 }));
    expect(over).toMatchObject({ code: "BAD_USER_INPUT", reason: "SEARCH_COST" });
    expect(over.message).toContain("100 x 3 = 300");
    // the same k with one model is within the limit
    expect((await search({ text: "x", models: ["tiny"], k: 100 })).__typename).toBe("SearchOk");
    // k and the number of models have their own limits
    expect((await failure(search({ text: "x", models: ["tiny"], k: 101 }))).code).toBe("BAD_USER_INPUT");
    const five = ["tiny", "b", "c", "d", "e"];
    expect((await failure(search({ text: "x", models: five, k: 1 }))).code).toBe("BAD_USER_INPUT");
  });

  it("says which execution providers a model runs on here", async () => {
    const { models } = await testClient(url).request(TestModelsDocument, {});
    expect(models.map((m) => ({ modelId: m.modelId, providers: m.providers }))).toEqual([
      { modelId: "tiny", providers: { image: "cpu", text: "cpu" } },
    ]);
  });

  it("is not ready when a model's bundle files are gone", async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const row = await services.db.prisma.model.findUniqueOrThrow({ where: { id: "tiny" } });
    const file = path.join(row.bundlePath, "manifest.json");
    renameSync(file, `${file}.away`);
    try {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        ok: false,
        database: true,
        vectorStore: true,
        encoders: false,
      });
    } finally {
      renameSync(`${file}.away`, file);
    }
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });
});
