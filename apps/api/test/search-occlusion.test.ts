// biome-ignore-all lint/suspicious/noExplicitAny: the answers are JSON read by expect, not typed code
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
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

/**
 * Search with an occluded query image and the rank of the query study's own report: the real server
 * on a free port, a real tiny model, a seeded and indexed dataset (SQLite), over HTTP.
 */
describe("search: occlusion and the true report's rank", () => {
  const work = mkdtempSync(path.join(tmpdir(), "cxr-api-occl-"));
  let services: ApiServices | undefined;
  let server: StartedApiServer | undefined;
  let url = "";
  let temp: TempDatabase | undefined;

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: any[] };
  }

  const SEARCH = `query($in: SearchInput!) { search(input: $in) { __typename
    ... on SearchOk { queryStudy { id externalId } occlusion { level grid fill seed cells }
      results { model trueRank trueScore hits { rank score study { id } } } }
    ... on ImageRejected { reason } } }`;

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
    const body = await gql(`{ dataset(name: "set") { studies(first: 1) { edges { node { id externalId
      images { id externalId } } } } } }`);
    const study = body.data.dataset.studies.edges[0].node;
    return { study, image: study.images[0] };
  }

  it("ranks the query study's own report for each model, and hides the renderer's cells", async () => {
    const { study, image } = await firstImage();
    const clean = await gql(SEARCH, {
      in: {
        imageId: image.id,
        target: "REPORTS",
        models: ["tiny", "tiny-b"],
        k: 12,
        occlusion: { level: 0, grid: 4, seed: 1 },
      },
    });
    const ok = clean.data.search;
    expect(ok.__typename).toBe("SearchOk");
    expect(ok.queryStudy).toEqual({ id: study.id, externalId: study.externalId });
    expect(ok.occlusion).toEqual({ level: 0, grid: 4, fill: "BLACK", seed: 1, cells: [] });
    for (const result of ok.results) {
      // k covers the whole corpus (12 reports): the true rank is where the study's report is listed
      const listed = result.hits.find((h: any) => h.study.id === study.id);
      expect(result.trueRank).toBe(listed.rank);
      expect(result.trueScore).toBe(listed.score);
    }

    const half = await gql(SEARCH, {
      in: {
        imageId: image.id,
        target: "REPORTS",
        models: ["tiny"],
        k: 12,
        occlusion: { level: 0.5, grid: 4, seed: 1 },
      },
    });
    const occluded = half.data.search;
    // the benchmark's cell order for this image: seeded by `${seed}:${study}/${image}`
    const order = cellPermutation(4, { seed: 1, imageKey: `${study.externalId}/${image.externalId}` });
    expect(occluded.occlusion.cells).toEqual(Array.from(order.subarray(0, 8)));
    // half the image hidden changes what the model sees
    const scores = (r: any) => r.hits.map((h: any) => h.score);
    expect(scores(occluded.results[0])).not.toEqual(scores(ok.results[0]));
    const listed = occluded.results[0].hits.find((h: any) => h.study.id === study.id);
    expect(occluded.results[0].trueRank).toBe(listed.rank);
  });

  it("finds the study of an uploaded copy of an indexed image by its bytes", async () => {
    const { study, image } = await firstImage();
    const row = await services!.db.prisma.image.findFirst({
      where: { externalId: image.externalId, study: { externalId: study.externalId } },
    });
    const bytes = readFileSync(row!.path);
    const up = await fetch(`${url}/uploads`, { method: "POST", body: bytes });
    const { id } = (await up.json()) as { id: string };
    const byUpload = await gql(SEARCH, { in: { upload: id, models: ["tiny"], k: 12 } });
    const byId = await gql(SEARCH, { in: { imageId: image.id, target: "REPORTS", models: ["tiny"], k: 12 } });
    expect(byUpload.data.search.queryStudy.id).toBe(study.id);
    expect(byUpload.data.search.occlusion).toBeNull();
    expect(byUpload.data.search.results[0].trueRank).toBe(byId.data.search.results[0].trueRank);
  });

  it("refuses an occlusion on a text query and a level outside 0..1, as typed errors", async () => {
    const text = await gql(SEARCH, { in: { text: "effusion", models: ["tiny"], occlusion: { level: 0.3 } } });
    expect(text.errors?.[0].extensions.code).toBe("BAD_USER_INPUT");
    const { image } = await firstImage();
    const high = await gql(SEARCH, {
      in: { imageId: image.id, target: "REPORTS", models: ["tiny"], occlusion: { level: 1.5 } },
    });
    expect(high.errors?.[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(high.errors?.[0].message).toMatch(/level/);
  });
});
