/**
 * bench/api: the GraphQL API's serving speed (issue "GraphQL API", "How it is judged"), every figure
 * a ratio or a distribution measured in this one run. See README.md.
 *
 *   pnpm bench:api [--duration 20] [--connections 50] [--iterations 60] [--studies 40]
 *                  [--model full|demo | --bundle DIR]
 *
 * The model: `full` (default) is bench/encode's random-init ViT-B/32 image encoder and BERT-base-sized
 * text encoder (the size of the CLIP-style models this product serves; exported by models.py when
 * missing), `demo` the tiny demo bundle the tests use, `--bundle` any bundle. The overhead ratio
 * depends on it: the HTTP and GraphQL cost is a few milliseconds whatever the model.
 *
 * 1. Image and text search latency over HTTP (POST /graphql) vs the same service called in-process
 *    (`search` from @cxr/services with the same ApiServices), in rotating order, sequential: p50
 *    overhead with a keep-alive node:http client (the goal's figure), and with fetch beside it.
 * 2. `--connections` concurrent clients for `--duration` seconds (autocannon in a child process) of
 *    mixed queries (text search, image search by upload id, models, datasets): errors, p50, p99,
 *    requests/s, and the server's RSS before and after.
 * 3. 16 concurrent image searches, in-process, with dynamic batching (5 ms window, up to 16 per
 *    pass) vs without (one pass per query): throughput ratio, and the passes each took.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createLogger, openApiServices, startApiServer } from "../../apps/api/src/index.ts";
import { loadConfig } from "../../packages/config/src/index.ts";
import {
  addModel,
  indexDataset,
  openServices,
  type Services,
  search,
} from "../../packages/services/src/index.ts";
import { seedDataset } from "../../packages/services/src/testing/index.ts";
import { writeRandomInitBundle } from "../encode/bundle.ts";
import { BENCH_GRAPHS_DIR, ensureBenchGraphs } from "../encode/graphs.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "20" },
    connections: { type: "string", default: "50" },
    iterations: { type: "string", default: "60" },
    studies: { type: "string", default: "40" },
    concurrent: { type: "string", default: "16" },
    rounds: { type: "string", default: "8" },
    model: { type: "string", default: "full" },
    bundle: { type: "string" },
    threads: { type: "string", default: "0" },
    warmup: { type: "string", default: "10" },
  },
});
const work = mkdtempSync(path.join(tmpdir(), "cxr-bench-api-"));
const config = loadConfig({
  CXR_DATA_DIR: path.join(work, "data"),
  CXR_EXECUTION_PROVIDERS: "cpu",
  CXR_CPU_THREADS: values.threads,
});
/** The bundle under test: --bundle, the demo model, or a full-size random-init one (see the header). */
async function benchBundle(): Promise<string> {
  if (values.bundle !== undefined) return path.resolve(values.bundle);
  if (values.model === "demo") return path.join(root, "packages/encoders/models/demo-cxr");
  if (values.model !== "full") throw new Error(`--model is full or demo, got ${values.model}`);
  ensureBenchGraphs(["vit_b32", "bert_base"]);
  const dir = path.join(work, "bundle-full");
  await writeRandomInitBundle(
    dir,
    {
      image: path.join(BENCH_GRAPHS_DIR, "vit_b32.onnx"),
      text: path.join(BENCH_GRAPHS_DIR, "bert_base.onnx"),
    },
    "bench-vit-b32-bert-base",
  );
  return dir;
}

const ms = (ns: bigint) => Number(ns) / 1e6;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const rssMiB = () => process.memoryUsage().rss / 1024 ** 2;
// a full collection before reading RSS, without asking for node --expose-gc
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

try {
  console.log(
    `machine: ${cpus()[0]?.model ?? "?"} x${availableParallelism()}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}; node ${process.version}`,
  );
  // Setup: a seeded set indexed (both modalities) with the model bundle.
  const setup = openServices(config);
  const db = await setup.database();
  const modelId = (await addModel(db, config, await benchBundle())).model.id;
  await seedDataset(db, {
    dir: path.join(work, "set"),
    name: "set",
    studies: Number(values.studies),
    side: 256,
  });
  await indexDataset({ db, store: setup.store(), config, modelId, datasetName: "set", modality: "both" });
  const images = await db.prisma.image.findMany({ orderBy: { id: "asc" }, take: 16 });
  await setup.close();
  const imageBytes = images.map((i) => readFileSync(i.path));
  console.log(
    `model ${modelId}; ${values.studies} studies indexed; query images ${images[0]!.width}x${images[0]!.height}`,
  );

  // 1 + 2: the server on a free port, in this process (so both paths share one ApiServices).
  const services = await openApiServices(config);
  const server = await startApiServer(services, {
    port: 0,
    logger: createLogger("warn"),
    // one load generator is one IP: the per-IP limit (600/min) would answer most of it 429
    limits: { requestsPerMinute: 100_000_000 },
  });
  // Two HTTP clients, both keeping their connection alive: node:http, which does no more than HTTP
  // (as a load tool or a service written against node:http does), and fetch (undici), which a
  // browser-like client pays for on top (Request/Response objects, web streams).
  const graphqlUrl = new URL("/graphql", server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const viaNodeHttp = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        graphqlUrl,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const viaFetch = async (body: string) =>
    (
      await fetch(graphqlUrl, { method: "POST", headers: { "content-type": "application/json" }, body })
    ).text();
  const post = async (client: (body: string) => Promise<string>, body: unknown) => {
    const text = await client(JSON.stringify(body));
    const json = JSON.parse(text) as { data?: { search?: { __typename: string } }; errors?: unknown[] };
    if (json.errors || json.data?.search?.__typename !== "SearchOk") throw new Error(text.slice(0, 300));
  };
  const uploadIds: string[] = [];
  for (const bytes of imageBytes) {
    const res = await fetch(`${server.url}/uploads`, { method: "POST", body: bytes });
    uploadIds.push(((await res.json()) as { id: string }).id);
  }
  const SEARCH =
    "query S($in: SearchInput!) { search(input: $in) { __typename ... on SearchOk { results { hits { rank score report { impression } } } } } }";
  const texts = [
    "small left pleural effusion",
    "no acute cardiopulmonary process",
    "cardiomegaly",
    "right lower lobe opacity",
  ];
  const n = Number(values.iterations);
  const lat = {
    textHttp: [] as number[],
    textFetch: [] as number[],
    textLocal: [] as number[],
    imageHttp: [] as number[],
    imageFetch: [] as number[],
    imageLocal: [] as number[],
  };
  const local = (
    query: Parameters<typeof search>[0]["query"],
    target: "reports" | "images",
    imageSha256?: string,
  ) =>
    search({
      db: services.db,
      store: services.store,
      config,
      encoders: services.encoders,
      models: [modelId],
      query,
      target,
      k: 10,
      ...(imageSha256 === undefined ? {} : { imageSha256, trueRank: false }),
    });
  // One modality at a time: n rounds of text searches, then n rounds of image searches. Each round
  // runs the three sides (node:http, fetch, in-process) once, in an order that rotates, so that no
  // side always runs right after another; mixing modalities had put a session switch (the other
  // encoder's threads and caches) before half of each side's searches, and the p50 fell on the edge
  // between the two.
  const inRounds = async (
    bodyOf: (i: number) => unknown,
    inProcess: (i: number) => Promise<unknown>,
    [overHttp, overFetch, inProcessSamples]: [number[], number[], number[]],
  ) => {
    const sides: [(i: number) => Promise<unknown>, number[]][] = [
      [(i) => post(viaNodeHttp, bodyOf(i)), overHttp],
      [(i) => post(viaFetch, bodyOf(i)), overFetch],
      [inProcess, inProcessSamples],
    ];
    for (let i = -3; i < n; i++) {
      for (let j = 0; j < sides.length; j++) {
        const [run, samples] = sides[(((i + j) % sides.length) + sides.length) % sides.length]!;
        const t = process.hrtime.bigint();
        await run(i);
        // the first 3 rounds warm up (encoder loaded, JIT) and are not counted
        if (i >= 0) samples.push(ms(process.hrtime.bigint() - t));
      }
    }
  };
  const cycle = <T>(xs: readonly T[], i: number) => xs[((i % xs.length) + xs.length) % xs.length]!;
  await inRounds(
    (i) => ({
      query: SEARCH,
      variables: { in: { text: cycle(texts, i), models: [modelId], target: "IMAGES" } },
    }),
    (i) => local({ text: cycle(texts, i) }, "images"),
    [lat.textHttp, lat.textFetch, lat.textLocal],
  );
  // the same bytes the API searches with: the stored upload, read from disk as the resolver does,
  // and its id as the resolver passes it (the query study found from the original bytes' sha256)
  await inRounds(
    (i) => ({
      query: SEARCH,
      variables: { in: { upload: cycle(uploadIds, i), models: [modelId], target: "REPORTS" } },
    }),
    async (i) =>
      local({ image: await services.uploads.read(cycle(uploadIds, i)) }, "reports", cycle(uploadIds, i)),
    [lat.imageHttp, lat.imageFetch, lat.imageLocal],
  );
  agent.destroy();
  const percent = (http: number[], inproc: number[]) =>
    `${((pct(http, 50) / pct(inproc, 50) - 1) * 100).toFixed(1)}%`;
  console.log(`\n1. HTTP vs in-process, ${n} sequential searches each (k=10), p50 in ms:`);
  for (const [name, httpLat, fetchLat, localLat] of [
    ["text: ", lat.textHttp, lat.textFetch, lat.textLocal],
    ["image:", lat.imageHttp, lat.imageFetch, lat.imageLocal],
  ] as const) {
    console.log(
      `   ${name} in-process ${pct(localLat, 50).toFixed(2)}  HTTP ${pct(httpLat, 50).toFixed(2)}  overhead ${percent(httpLat, localLat)} (goal <= 15%)  [with fetch as the client: ${pct(fetchLat, 50).toFixed(2)}, ${percent(fetchLat, localLat)}]`,
    );
  }

  // 2. Load: mixed queries from a separate process.
  const body = (query: string, variables: unknown = {}) => JSON.stringify({ query, variables });
  const requests = [
    ...texts.map((text) => ({
      method: "POST" as const,
      path: "/graphql",
      headers: { "content-type": "application/json" },
      body: body(SEARCH, { in: { text, models: [modelId] } }),
    })),
    ...uploadIds.slice(0, 4).map((upload) => ({
      method: "POST" as const,
      path: "/graphql",
      headers: { "content-type": "application/json" },
      body: body(SEARCH, { in: { upload, models: [modelId] } }),
    })),
    {
      method: "POST" as const,
      path: "/graphql",
      headers: { "content-type": "application/json" },
      body: body("{ models { modelId dimension indexes { dataset points } } }"),
    },
    {
      method: "POST" as const,
      path: "/graphql",
      headers: { "content-type": "application/json" },
      body: body("{ datasets { name studyCount splits { name studyCount } } }"),
    },
  ];
  const spec = {
    url: server.url,
    connections: Number(values.connections),
    duration: Number(values.duration),
    requests,
  };
  // asynchronously: the server answers from this process's event loop meanwhile
  const loadRun = (duration: number) =>
    promisify(execFile)(
      process.execPath,
      ["--import", "tsx", path.join(here, "load.ts"), JSON.stringify({ ...spec, duration })],
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
    );
  gc();
  const rssCold = rssMiB();
  // The same load for --warmup seconds first: the first concurrent batches size ONNX Runtime's
  // arenas and V8's heap once; growth is measured from there (the cold figure is printed too).
  const warmup = Number(values.warmup);
  if (warmup > 0) await loadRun(warmup);
  gc();
  const rssBefore = rssMiB();
  const { stdout: out } = await loadRun(spec.duration);
  gc();
  const rssAfter = rssMiB();
  const load = JSON.parse(out) as {
    requests: number;
    rps: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    p50: number;
    p99: number;
    statusCodes: Record<string, { count: number }>;
  };
  console.log(
    `\n2. ${spec.connections} clients x ${spec.duration} s of mixed queries (4 text searches, 4 image searches, models, datasets):`,
  );
  console.log(
    `   ${load.requests} requests (${load.rps.toFixed(1)}/s); errors ${load.errors}, timeouts ${load.timeouts}, non-2xx ${load.non2xx} (${Object.entries(
      load.statusCodes,
    )
      .map(([c, s]) => `${c}: ${s.count}`)
      .join(", ")})`,
  );
  console.log(`   latency p50 ${load.p50} ms, p99 ${load.p99} ms`);
  console.log(
    `   server RSS ${rssBefore.toFixed(0)} MiB before (after ${warmup} s of warm-up load), ${rssAfter.toFixed(0)} MiB after (${((rssAfter / rssBefore - 1) * 100).toFixed(1)}%; goal <= 10%); ${rssCold.toFixed(0)} MiB before the warm-up (${((rssAfter / rssCold - 1) * 100).toFixed(1)}% from there)`,
  );
  await server.close();

  // 3. Dynamic batching on vs off: 16 concurrent image searches, in-process.
  const c = Number(values.concurrent);
  const rounds = Number(values.rounds);
  const throughput = async (batching: { windowMs: number; maxBatch: number }) => {
    const s: Services = openServices(config, { batching: { ...batching, maxQueue: 1024 } });
    const passes: number[] = [];
    s.encoders.onBatch((e) => passes.push(e.size));
    const d = await s.database();
    const one = (k: number) =>
      search({
        db: d,
        store: s.store(),
        config,
        encoders: s.encoders,
        models: [modelId],
        query: { image: imageBytes[k % imageBytes.length]! },
        target: "reports",
        k: 10,
      });
    try {
      await Promise.all(Array.from({ length: c }, (_, k) => one(k))); // warm-up
      passes.length = 0;
      const t = process.hrtime.bigint();
      for (let r = 0; r < rounds; r++) await Promise.all(Array.from({ length: c }, (_, k) => one(k + r)));
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      return { qps: (c * rounds) / seconds, passes: passes.length };
    } finally {
      await s.close();
    }
  };
  const off = await throughput({ windowMs: 0, maxBatch: 1 });
  const on = await throughput({ windowMs: 5, maxBatch: 16 });
  const off2 = await throughput({ windowMs: 0, maxBatch: 1 });
  const on2 = await throughput({ windowMs: 5, maxBatch: 16 });
  const qOn = (on.qps + on2.qps) / 2;
  const qOff = (off.qps + off2.qps) / 2;
  console.log(`\n3. ${c} concurrent image searches x ${rounds} rounds, in-process (off, on, off, on):`);
  console.log(
    `   without batching: ${qOff.toFixed(1)} searches/s, ${off.passes} passes per ${c * rounds} searches`,
  );
  console.log(
    `   with batching:    ${qOn.toFixed(1)} searches/s, ${on.passes} passes per ${c * rounds} searches`,
  );
  console.log(`   throughput ratio ${(qOn / qOff).toFixed(2)}x (goal >= 1.5x on CPU)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
