/**
 * bench/api/breakdown.ts: where the HTTP overhead of a search goes, measured in one run (p50 of
 * alternated, sequential requests). See README.md.
 *
 *   pnpm tsx bench/api/breakdown.ts [--iterations 60] [--studies 20]
 *
 * HTTP floor (`{ __typename }` over POST /graphql: express, access check, Apollo, JSON), the access
 * check alone, a text search through Apollo without HTTP (executeOperation), over HTTP, and the
 * service called in-process.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createLogger, openApiServices, startApiServer } from "../../apps/api/src/index.ts";
import { requestContext } from "../../apps/api/src/request.ts";
import { loadConfig } from "../../packages/config/src/index.ts";
import { addModel, indexDataset, openServices, search } from "../../packages/services/src/index.ts";
import { seedDataset } from "../../packages/services/src/testing/index.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "60" },
    studies: { type: "string", default: "20" },
    bundle: { type: "string", default: path.join(root, "packages/encoders/models/demo-cxr") },
  },
});
const work = mkdtempSync(path.join(tmpdir(), "cxr-bench-api-breakdown-"));
const config = loadConfig({ CXR_DATA_DIR: path.join(work, "data"), CXR_EXECUTION_PROVIDERS: "cpu" });
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  const setup = openServices(config);
  let db = await setup.database();
  const modelId = (await addModel(db, config, path.resolve(values.bundle))).model.id;
  await seedDataset(db, {
    dir: path.join(work, "set"),
    name: "set",
    studies: Number(values.studies),
    side: 256,
  });
  await indexDataset({ db, store: setup.store(), config, modelId, datasetName: "set", modality: "both" });
  await setup.close();
  const services = await openApiServices(config);
  db = services.db;
  const server = await startApiServer(services, {
    port: 0,
    logger: createLogger("warn"),
    limits: { requestsPerMinute: 100_000_000 },
  });
  const { apollo, access, limits } = server.server;
  const SEARCH =
    "query S($in: SearchInput!) { search(input: $in) { __typename ... on SearchOk { results { hits { rank score report { impression } } } } } }";
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await res.json();
  };
  const variables = { in: { text: "small left pleural effusion", models: [modelId], target: "IMAGES" } };
  const lat: Record<string, number[]> = {
    healthz: [],
    floor: [],
    access: [],
    typename: [],
    apollo: [],
    http: [],
    local: [],
    imageApollo: [],
    imageHttp: [],
    imageLocal: [],
    imageLocalSha: [],
  };
  const image = await db.prisma.image.findFirstOrThrow();
  const upload = (await services.uploads.save(readFileSync(image.path))).id;
  const imageVariables = { in: { upload, models: [modelId], target: "REPORTS" } };
  const time = async (name: string, run: () => Promise<unknown>, count: boolean) => {
    const t = process.hrtime.bigint();
    await run();
    if (count) lat[name]!.push(Number(process.hrtime.bigint() - t) / 1e6);
  };
  for (let i = -5; i < Number(values.iterations); i++) {
    const count = i >= 0;
    await time("healthz", async () => (await fetch(`${server.url}/healthz`)).json(), count);
    await time("floor", () => post({ query: "{ __typename }" }), count);
    await time(
      "typename",
      () =>
        apollo.executeOperation(
          { query: "{ __typename }" },
          { contextValue: requestContext(services, limits, "bench", { kind: "open" }) },
        ),
      count,
    );
    await time("access", () => access.authenticate(undefined), count);
    await time(
      "apollo",
      () =>
        apollo.executeOperation(
          { query: SEARCH, variables },
          { contextValue: requestContext(services, limits, "bench", { kind: "open" }) },
        ),
      count,
    );
    await time("http", () => post({ query: SEARCH, variables }), count);
    await time(
      "local",
      () =>
        search({
          db: services.db,
          store: services.store,
          config,
          encoders: services.encoders,
          models: [modelId],
          query: { text: variables.in.text },
          target: "images",
          k: 10,
        }),
      count,
    );
    await time(
      "imageApollo",
      () =>
        apollo.executeOperation(
          { query: SEARCH, variables: imageVariables },
          { contextValue: requestContext(services, limits, "bench", { kind: "open" }) },
        ),
      count,
    );
    await time("imageHttp", () => post({ query: SEARCH, variables: imageVariables }), count);
    await time(
      "imageLocal",
      async () =>
        search({
          db: services.db,
          store: services.store,
          config,
          encoders: services.encoders,
          models: [modelId],
          query: { image: await services.uploads.read(upload) },
          target: "reports",
          k: 10,
        }),
      count,
    );
    await time(
      "imageLocalSha",
      async () =>
        search({
          db: services.db,
          store: services.store,
          config,
          encoders: services.encoders,
          models: [modelId],
          query: { image: await services.uploads.read(upload) },
          imageSha256: upload,
          trueRank: false,
          target: "reports",
          k: 10,
        }),
      count,
    );
  }
  for (const [name, xs] of Object.entries(lat)) console.log(`${name.padEnd(7)} p50 ${p50(xs).toFixed(2)} ms`);
  await server.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
