/**
 * bench/benchmark (issue 7 item 6): throughput of the whole benchmark (images per second through
 * render, decode, preprocess, encode and score) and CPU utilisation, and whether rendering and
 * encoding overlap.
 *
 *   pnpm bench:benchmark [--studies 200] [--split train] [--levels 0,0.1,0.2,0.3,0.4,0.5]
 *                        [--bundle DIR]... [--threads 0] [--batch 32] [--providers cpu]
 *
 * On a synthetic set (`synthesize`, seed "bench-benchmark") ingested into a fresh SQLite database in a
 * temporary folder, with the demo model (packages/encoders/models/demo-cxr) and any further bundle
 * given with --bundle (e.g. bench/encode's random-init ViT-B/32 bundle when its graph was exported):
 *
 * 1. The product path: `runBench` (@cxr/services) exactly as `cxr bench` runs it, timed: wall time,
 *    images/s (images x levels x models / wall), CPU utilisation = process CPU time (all threads,
 *    ONNX Runtime's included) / (wall x cores). From its progress events: whether the next level was
 *    being rendered while the previous one was still being encoded.
 * 2. The same work stage by stage, one after the other (no overlap): decode every image, render every
 *    level, preprocess, run the image graph, score both directions. The sum of these stage times
 *    against the pipelined wall time shows the overlap: sum / wall > 1 means stages ran concurrently.
 *
 * Figures depend on the machine's load; compare the two halves of one run, not runs with each other.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../../packages/config/src/index.ts";
import { ingest, manifest, synthesize } from "../../packages/datasets/src/index.ts";
import { openDatabase } from "../../packages/db/src/index.ts";
import {
  decodeImage,
  type EncodeResult,
  ModelEncoder,
  runPreprocess,
} from "../../packages/encoders/src/index.ts";
import {
  type BenchModel,
  bootstrapIntervals,
  type CorruptionCache,
  computeMetrics,
  type DecodedPixels,
  l2NormalizeRows,
  OrtScorer,
  type Protocol,
  parseProtocol,
  prepareBenchmark,
  rankQueries,
  renderCorruption,
  runBenchmark,
} from "../../packages/eval/src/index.ts";
import {
  addModel,
  type BenchProgress,
  runBench,
  toDecodedImage,
  toPixels,
} from "../../packages/services/src/index.ts";
import { writeRandomInitBundle } from "../encode/bundle.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { values } = parseArgs({
  options: {
    studies: { type: "string", default: "200" },
    split: { type: "string", default: "train" },
    levels: { type: "string", default: "0,0.1,0.2,0.3,0.4,0.5" },
    bundle: { type: "string", multiple: true, default: [] },
    threads: { type: "string", default: "0" },
    batch: { type: "string", default: "32" },
    providers: { type: "string", default: "cpu" },
    bootstrap: { type: "string", default: "1000" },
    "image-graph": { type: "string" },
    "text-graph": { type: "string", default: path.join(root, "bench/out/encode/bert_base.onnx") },
  },
});
const levels = values.levels.split(",").map(Number);
const bundles = [
  path.join(root, "packages/encoders/models/demo-cxr"),
  ...values.bundle.map((b) => path.resolve(b)),
];
const work = mkdtempSync(path.join(tmpdir(), "cxr-bench-benchmark-"));
if (values["image-graph"])
  bundles.push(await largeBundle(path.resolve(values["image-graph"]), path.resolve(values["text-graph"])));

/** bench/encode's random-init graphs as a bundle: a model of real size for the throughput figures. */
function largeBundle(imageGraph: string, textGraph: string): Promise<string> {
  const id = `bench-${path
    .basename(imageGraph, ".onnx")
    .replace(/[^a-z0-9]+/gi, "-")
    .toLowerCase()}`;
  return writeRandomInitBundle(path.join(work, "bundle-large"), { image: imageGraph, text: textGraph }, id);
}
const env = {
  CXR_DATA_DIR: path.join(work, "data"),
  CXR_EXECUTION_PROVIDERS: values.providers,
  CXR_CPU_THREADS: values.threads,
  CXR_BATCH_SIZE: values.batch,
};
const config = loadConfig(env);
const cores = availableParallelism();
const sec = (ns: bigint | number) => Number(ns) / 1e9;
const fmt = (v: number, d = 2) => v.toFixed(d);

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const wall = sec(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

try {
  console.log(
    `machine: ${cpus()[0]?.model ?? "?"} x${cores}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}; providers ${values.providers}, threads ${values.threads}, batch ${values.batch}`,
  );
  const db = await openDatabase(config);
  const synth = await synthesize({
    out: path.join(work, "synth"),
    studies: Number(values.studies),
    seed: "bench-benchmark",
  });
  await ingest(db.prisma, manifest(synth.out), { name: "synth" });
  const modelIds: string[] = [];
  for (const dir of bundles) {
    try {
      modelIds.push((await addModel(db, config, dir)).model.id);
    } catch (error) {
      console.log(`skipping bundle ${dir}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  if (modelIds.length === 0) throw new Error("no usable model bundle");

  // 1. The product path, pipelined.
  const events: { t: number; e: BenchProgress }[] = [];
  const t0 = performance.now();
  const run = await timed(() =>
    runBench({
      db,
      config,
      models: modelIds,
      dataset: "synth",
      split: values.split,
      levels,
      seed: 1,
      bootstrapSamples: Number(values.bootstrap),
      cache: false,
      onProgress: (e) => events.push({ t: performance.now() - t0, e }),
    }),
  );
  const images = run.value.record.run.counts.imageQueries;
  const texts = run.value.record.run.counts.textCandidates;
  const encoded = images * levels.length * modelIds.length;
  console.log(
    `\n1. runBench (pipelined, as cxr bench): ${images} images x ${levels.length} levels x ${modelIds.length} model(s) (${modelIds.join(", ")}), ${texts} candidate texts, B = ${values.bootstrap}`,
  );
  console.log(
    `   wall ${fmt(run.wall)} s, ${fmt(encoded / run.wall, 1)} images/s end to end (rendered, decoded, preprocessed, encoded, scored), CPU ${fmt(run.cpu)} s = ${fmt((100 * run.cpu) / (run.wall * cores), 0)}% of ${cores} cores`,
  );
  // Overlap evidence from the timeline: the next level's first rendered batch vs the previous level's last encode.
  const firstRender = new Map<number, number>();
  const lastEncode = new Map<number, number>();
  for (const { t, e } of events) {
    if (e.phase === "render" && !firstRender.has(e.level)) firstRender.set(e.level, t);
    if (e.phase === "encode") lastEncode.set(e.level, t);
  }
  let ahead = 0;
  for (let i = 1; i < levels.length; i++) {
    const r = firstRender.get(levels[i]!);
    const e = lastEncode.get(levels[i - 1]!);
    if (r !== undefined && e !== undefined && r < e) ahead++;
  }
  console.log(
    `   rendering ran ahead of encoding: level L+1's first rendered batch came before level L's last encoded batch at ${ahead} of ${levels.length - 1} level boundaries`,
  );
  // The order of batch events: R = a batch rendered (producer), E = a batch encoded (consumer), S = a level scored.
  const sequence = events
    .map(({ e }) =>
      e.phase === "render" ? "R" : e.phase === "encode" ? "E" : e.phase === "level-done" ? "S" : "",
    )
    .join("");
  console.log(`   batch events in order (R rendered, E encoded, S level scored): ${sequence}`);

  // 1b. The engine under runBench, instrumented: when was an image being rendered, when was a batch
  // being encoded (preprocess + inference). A pass-through "cache" marks each rendering's start (get)
  // and end (put); a wrapper around the model marks each encoder call.
  for (const modelId of modelIds) {
    const split = await db.prisma.split.findFirstOrThrow({ where: { name: values.split } });
    const rows = await db.prisma.image.findMany({
      where: { study: { splitId: split.id } },
      include: { study: { include: { report: true } } },
    });
    const t = () => performance.now();
    const renderOpen = new Map<string, number>();
    const renders: Array<[number, number]> = [];
    const encodes: Array<[number, number]> = [];
    const cache = {
      async get(key: { imageKey: string; level: number }) {
        renderOpen.set(`${key.imageKey} ${key.level}`, t());
        return undefined;
      },
      async put(key: { imageKey: string; level: number }) {
        const k = `${key.imageKey} ${key.level}`;
        renders.push([renderOpen.get(k)!, t()]);
        return "";
      },
    } as unknown as CorruptionCache;
    const model = await db.prisma.model.findUniqueOrThrow({ where: { id: modelId } });
    const encoder = await ModelEncoder.create(model.bundlePath, {
      providers: config.executionProviders,
      cpuThreads: config.cpuThreads,
      batchSize: Number(values.batch),
    });
    const unwrap = (r: EncodeResult) => {
      if (!r.ok) throw r.error;
      return r.embedding;
    };
    const benchModel: BenchModel = {
      id: model.id,
      fingerprint: model.fingerprint,
      executionProvider: encoder.info.providers.image,
      async encodeImages(pixels) {
        const start = t();
        const out = (await encoder.encodeImages(pixels.map((p) => ({ image: toDecodedImage(p) })))).map(
          unwrap,
        );
        encodes.push([start, t()]);
        return out;
      },
      async encodeTexts(texts) {
        return (await encoder.encodeTexts(texts)).map(unwrap);
      },
    };
    const start = t();
    await runBenchmark({
      protocol: {
        levels,
        seed: 1,
        corpus: { split: values.split, distractorSplits: [] },
        bootstrap: { samples: Number(values.bootstrap), confidence: 0.95 },
      },
      dataset: { id: "synth", fingerprint: split.fingerprint ?? "" },
      studies: [...new Map(rows.map((r) => [r.study.externalId, r.study])).values()].map((s) => ({
        studyId: s.externalId,
        findings: s.report?.findings ?? null,
        impression: s.report?.impression ?? null,
      })),
      images: rows.map((r) => ({
        id: `${r.study.externalId}/${r.externalId}`,
        studyId: r.study.externalId,
        imageKey: `${r.study.externalId}/${r.externalId}`,
        view: "frontal" as const,
        sha256: r.sha256,
        load: async () => toPixels(await decodeImage(readFileSync(r.path)), r.externalId),
      })),
      models: [benchModel],
      cache,
      batchSize: Number(values.batch),
    });
    const wall = (t() - start) / 1000;
    await encoder.close();
    const union = (xs: Array<[number, number]>) => {
      const sorted = [...xs].sort((a, b) => a[0] - b[0]);
      const out: Array<[number, number]> = [];
      for (const [a, b] of sorted) {
        const last = out.at(-1);
        if (last && a <= last[1]) last[1] = Math.max(last[1], b);
        else out.push([a, b]);
      }
      return out;
    };
    const length = (xs: Array<[number, number]>) => xs.reduce((n, [a, b]) => n + (b - a), 0) / 1000;
    const r = union(renders);
    const e = union(encodes);
    let both = 0;
    for (const [a, b] of r) for (const [c, d] of e) both += Math.max(0, Math.min(b, d) - Math.max(a, c));
    console.log(
      `   engine timeline (${modelId}, levels > 0): rendering (load + corrupt) in flight ${fmt(length(r))} s, encoding (preprocess + inference) in flight ${fmt(length(e))} s, both at once ${fmt(both / 1000)} s of ${fmt(wall)} s wall (${fmt((100 * both) / 1000 / Math.max(length(e), 1e-9), 0)}% of the encoding time had rendering in flight)`,
    );
  }

  // 2. The same work stage by stage, with no overlap.
  const protocol: Protocol = parseProtocol({
    levels,
    seed: 1,
    corpus: { split: values.split, distractorSplits: [] },
  });
  const split = await db.prisma.split.findFirstOrThrow({ where: { name: values.split } });
  const rows = await db.prisma.image.findMany({
    where: { study: { splitId: split.id } },
    include: { study: { include: { report: true } } },
  });
  const stage: Record<string, number> = {};
  const add = (name: string, s: number) => {
    stage[name] = (stage[name] ?? 0) + s;
  };
  const clock = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t = process.hrtime.bigint();
    const v = await fn();
    add(name, sec(process.hrtime.bigint() - t));
    return v;
  };
  const decoded: DecodedPixels[] = [];
  for (const r of rows) {
    const key = `${r.study.externalId}/${r.externalId}`;
    decoded.push(
      await clock("decode", async () =>
        toPixels(await decodeImage(readFileSync(r.path), { name: key }), key),
      ),
    );
  }
  const prep = prepareBenchmark(
    protocol,
    { id: "synth", fingerprint: split.fingerprint ?? "" },
    [...new Map(rows.map((r) => [r.study.externalId, r.study])).values()].map((s) => ({
      studyId: s.externalId,
      findings: s.report?.findings ?? null,
      impression: s.report?.impression ?? null,
    })),
    rows.map((r, i) => ({
      id: `${r.study.externalId}/${r.externalId}`,
      studyId: r.study.externalId,
      imageKey: `${r.study.externalId}/${r.externalId}`,
      view: "frontal" as const,
      load: async () => decoded[i]!,
    })),
  );
  const scorer = await OrtScorer.create(
    config.cpuThreads > 0 ? { intraOpNumThreads: config.cpuThreads } : {},
  );
  for (const id of modelIds) {
    const model = await db.prisma.model.findUniqueOrThrow({ where: { id } });
    const encoder = await ModelEncoder.create(model.bundlePath, {
      providers: config.executionProviders,
      cpuThreads: config.cpuThreads,
      batchSize: Number(values.batch),
    });
    const textEmb = await clock("encode texts", async () =>
      (await encoder.encodeTexts(prep.corpusTexts)).map((r) => (r.ok ? r.embedding : new Float32Array(0))),
    );
    const dim = encoder.dimension;
    const textRows = l2NormalizeRows(textEmb, dim, "text");
    for (const level of levels) {
      const rendered: DecodedPixels[] = [];
      for (const [i, r] of rows.entries()) {
        const imageKey = `${r.study.externalId}/${r.externalId}`;
        rendered.push(
          await clock("render", () =>
            renderCorruption(decoded[i]!, protocol.corruption, level, { seed: 1, imageKey }),
          ),
        );
      }
      for (const img of rendered)
        await clock("preprocess", () =>
          runPreprocess(toDecodedImage(img), encoder.manifest.image.preprocess),
        );
      // Inference alone: the encoder's pipeline time minus the preprocessing measured above.
      const emb = await clock("preprocess+encode", async () =>
        (await encoder.encodeImages(rendered.map((p) => ({ image: toDecodedImage(p) })))).map((r) =>
          r.ok ? r.embedding : new Float32Array(0),
        ),
      );
      const img = l2NormalizeRows(emb, dim, "image");
      const ranks = await clock("score", async () => {
        const i2t = await rankQueries({
          queries: img,
          candidates: textRows,
          dim,
          positives: prep.imagePositive.map((p) => [p]),
          scorer,
        });
        const tq = new Float32Array(prep.textQueryCorpusIndex.length * dim);
        prep.textQueryCorpusIndex.forEach((ci, i) => {
          tq.set(textRows.subarray(ci * dim, (ci + 1) * dim), i * dim);
        });
        const t2i = await rankQueries({
          queries: tq,
          candidates: img,
          dim,
          positives: prep.textPositives,
          scorer,
        });
        return { i2t: i2t.ranks, t2i: t2i.ranks };
      });
      // Metrics and the study-level bootstrap intervals, as every cell of the pipelined run computes them.
      await clock("metrics + bootstrap", () => {
        const b = { samples: protocol.bootstrap.samples, confidence: protocol.bootstrap.confidence, seed: 1 };
        computeMetrics(ranks.i2t, protocol.recallAt);
        bootstrapIntervals(
          ranks.i2t,
          prep.imageQueries.map((q) => q.group),
          protocol.recallAt,
          { ...b, direction: "image->text" },
        );
        computeMetrics(ranks.t2i, protocol.recallAt);
        bootstrapIntervals(
          ranks.t2i,
          prep.textQueries.map((q) => q.group),
          protocol.recallAt,
          { ...b, direction: "text->image" },
        );
      });
    }
    await encoder.close();
  }
  await scorer.close();
  const encode = (stage["preprocess+encode"] ?? 0) - (stage.preprocess ?? 0);
  const perStage: Array<[string, number, number]> = [
    ["decode", stage.decode ?? 0, rows.length],
    ["render", stage.render ?? 0, rows.length * levels.length],
    ["preprocess", stage.preprocess ?? 0, encoded],
    ["encode (image graph)", encode, encoded],
    ["score (both directions)", stage.score ?? 0, encoded],
    ["metrics + bootstrap", stage["metrics + bootstrap"] ?? 0, encoded],
    ["encode texts", stage["encode texts"] ?? 0, texts * modelIds.length],
  ];
  // The pipelined run decodes every image at every level (no cache) and renders once per level for all models.
  const decodeAll = (stage.decode ?? 0) * levels.length;
  const sum =
    decodeAll +
    (stage.render ?? 0) +
    (stage["preprocess+encode"] ?? 0) +
    (stage.score ?? 0) +
    (stage["metrics + bootstrap"] ?? 0) +
    (stage["encode texts"] ?? 0);
  console.log("\n2. the same stages one after the other (no overlap):");
  for (const [name, s, n] of perStage) {
    console.log(
      `   ${name.padEnd(24)} ${fmt(s, 3).padStart(8)} s  ${fmt(n / Math.max(s, 1e-9), 1).padStart(9)} items/s  (${n} items)`,
    );
  }
  console.log(
    `   sum of stage times for the pipelined run's work (decode x ${levels.length} levels, render, preprocess, encode, score, bootstrap, texts): ${fmt(sum)} s`,
  );
  console.log(
    `   pipelined wall ${fmt(run.wall)} s (also opens the models, writes the database and files): sum / wall = ${fmt(sum / run.wall)}${sum > run.wall ? " > 1: stages overlapped" : " (no visible overlap at this load)"}`,
  );
  await db.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
