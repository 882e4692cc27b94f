import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type SearchInput,
  TestDatasetStudiesDocument,
  TestSearchDocument,
  type TestSearchQuery,
} from "@cxr/api-client/testing";
import { loadConfig } from "@cxr/config";
import { addModel, indexDataset } from "@cxr/services";
import {
  cellPermutation,
  seedDataset,
  type TempDatabase,
  tempDatabase,
  writeTinyBundle,
} from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServices, openApiServices, type StartedApiServer, startApiServer } from "../src/index.ts";
import { failure, testClient } from "./client.ts";

/**
 * Search with an occluded query image and the rank of the query study's own report: the real server
 * on a free port, a real tiny model, a seeded and indexed dataset (SQLite), over HTTP with the typed
 * client.
 */
describe("search: occlusion and the true report's rank", () => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-api-occl-"));
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  let temp: TempDatabase | undefined;

  /** A search that must succeed (SearchOk). */
  async function searchOk(input: SearchInput) {
    const { search } = await testClient(url).request(TestSearchDocument, { input });
    if (search.__typename !== "SearchOk") throw new Error(`expected SearchOk, got ${search.__typename}`);
    return search;
  }
  type Hits = Extract<TestSearchQuery["search"], { __typename: "SearchOk" }>["results"][number];

  beforeAll(async () => {
    temp = await tempDatabase("sqlite");
    const config = loadConfig(
      {
        CXR_DATA_DIR: path.join(work, "data"),
        DATABASE_URL: temp.config.database.url,
        CXR_EXECUTION_PROVIDERS: "cpu",
        CXR_CPU_THREADS: "1",
      },
      work,
    );
    services = await openApiServices(config);
    const { db, store } = services;
    await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 12, side: 24 });
    // two models that see the image differently (8 and 16 pixels a side)
    for (const [id, side] of [
      ["tiny", 8],
      ["tiny-b", 16],
    ] as const) {
      const bundle = path.join(work, `bundle-${id}`);
      await writeTinyBundle(bundle, { id, side });
      await addModel(db, config, bundle);
      await indexDataset({ db, store, config, modelId: id, datasetName: "set", modality: "both" });
    }
    server = await startApiServer(services, { port: 0 });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
    if (server === undefined) await services?.close();
    await temp?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  async function firstImage() {
    const body = await testClient(url).request(TestDatasetStudiesDocument, { name: "set", first: 1 });
    const study = body.dataset.studies.edges[0]!.node;
    return { study, image: study.images[0]! };
  }

  it("ranks the query study's own report for each model, and hides the renderer's cells", async () => {
    const { study, image } = await firstImage();
    const ok = await searchOk({
      imageId: image.id,
      target: "REPORTS",
      models: ["tiny", "tiny-b"],
      k: 12,
      occlusion: { level: 0, grid: 4, seed: 1 },
    });
    expect(ok.queryStudy).toEqual({ id: study.id, externalId: study.externalId });
    expect(ok.occlusion).toEqual({ level: 0, grid: 4, fill: "BLACK", seed: 1, cells: [] });
    for (const result of ok.results) {
      // k covers the whole corpus (12 reports): the true rank is where the study's report is listed
      const listed = result.hits.find((h) => h.study.id === study.id)!;
      expect(result.trueRank).toBe(listed.rank);
      expect(result.trueScore).toBe(listed.score);
    }

    const occluded = await searchOk({
      imageId: image.id,
      target: "REPORTS",
      models: ["tiny"],
      k: 12,
      occlusion: { level: 0.5, grid: 4, seed: 1 },
    });
    // the benchmark's cell order for this image: seeded by `${seed}:${study}/${image}`
    const order = cellPermutation(4, { seed: 1, imageKey: `${study.externalId}/${image.externalId}` });
    expect(occluded.occlusion!.cells).toEqual(Array.from(order.subarray(0, 8)));
    // half the image hidden changes what the model sees
    const scores = (r: Hits) => r.hits.map((h) => h.score);
    expect(scores(occluded.results[0]!)).not.toEqual(scores(ok.results[0]!));
    const listed = occluded.results[0]!.hits.find((h) => h.study.id === study.id)!;
    expect(occluded.results[0]!.trueRank).toBe(listed.rank);
  });

  it("finds the study of an uploaded copy of an indexed image by its bytes", async () => {
    const { study, image } = await firstImage();
    const row = await services!.db.prisma.image.findFirst({
      where: { externalId: image.externalId, study: { externalId: study.externalId } },
    });
    const bytes = readFileSync(row!.path);
    const { id } = await testClient(url).upload(bytes);
    const byUpload = await searchOk({ upload: id, models: ["tiny"], k: 12 });
    const byId = await searchOk({ imageId: image.id, target: "REPORTS", models: ["tiny"], k: 12 });
    expect(byUpload.queryStudy?.id).toBe(study.id);
    expect(byUpload.occlusion).toBeNull();
    expect(byUpload.results[0]!.trueRank).toBe(byId.results[0]!.trueRank);
  });

  it("refuses an occlusion on a text query and a level outside 0..1, as typed errors", async () => {
    const text = await failure(searchOk({ text: "effusion", models: ["tiny"], occlusion: { level: 0.3 } }));
    expect(text.code).toBe("BAD_USER_INPUT");
    const { image } = await firstImage();
    const high = await failure(
      searchOk({ imageId: image.id, target: "REPORTS", models: ["tiny"], occlusion: { level: 1.5 } }),
    );
    expect(high.code).toBe("BAD_USER_INPUT");
    expect(high.message).toMatch(/level/);
  });
});
