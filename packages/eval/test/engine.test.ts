import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CorruptionCache } from "../src/cache.ts";
import {
  type BenchImage,
  type BenchModel,
  type BenchStudy,
  type ProgressEvent,
  type ResumeStore,
  runBenchmark,
} from "../src/engine.ts";
import { recomputeMetrics } from "../src/metrics.ts";
import type { DecodedPixels } from "../src/pixels.ts";
import { Sfc32 } from "../src/prng.ts";
import type { ProtocolInput } from "../src/protocol.ts";
import type { RecordFile, ResultRecord } from "../src/records.ts";
import { reportHtml } from "../src/report.ts";
import { FileResumeStore } from "../src/resume.ts";
import { OrtScorer } from "../src/scoring/scorer.ts";
import { checkRecordFile } from "../src/verify.ts";
import { ranksCsv, resultsCsv, writeCsv, writeRecordFile } from "../src/writers.ts";

// A synthetic split: each study has a 16-value code drawn as a 4 x 4 grid of grey blocks; the demo
// model reads the blocks back (image) or looks the code up (text), so clean retrieval is near perfect
// and occluding cells destroys it.
const S = 48;
const codes = new Map<string, number[]>();
const studies: BenchStudy[] = [];
const images: BenchImage[] = [];
const rng = Sfc32.fromLabel("engine-test");
for (let s = 0; s < 30; s++) {
  const id = `s${String(s).padStart(2, "0")}`;
  const code = Array.from({ length: 16 }, () => rng.nextBelow(201) / 100 - 1);
  const impression = s === 7 ? "" : s === 8 ? codeText(9) : codeText(s);
  studies.push({ studyId: id, impression, findings: s === 7 ? "   " : `findings of ${id}` });
  if (s !== 8) codes.set(codeText(s), code);
  const nImages = 1 + (s % 2);
  for (let i = 0; i < nImages; i++)
    images.push(image(`${id}/i${i}`, id, s === 8 ? codeOf(9) : code, "frontal"));
  if (s % 5 === 0) images.push(image(`${id}/lat`, id, code, "lateral"));
}
function codeText(s: number) {
  return `  Impression:\n code   ${s} `;
}
function codeOf(s: number) {
  return codes.get(codeText(s)) ?? [];
}
function image(id: string, studyId: string, code: number[], view: "frontal" | "lateral"): BenchImage {
  return {
    id,
    studyId,
    imageKey: id,
    view,
    sha256: id.padEnd(64, "0").replace(/[^0-9a-f]/g, "0"),
    load: async () => {
      const c = code.length ? code : codeOf(9);
      const data = new Uint8Array(S * S);
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++)
          data[y * S + x] = 128 + Math.round(100 * c[Math.floor(y / 12) * 4 + Math.floor(x / 12)]!);
      return { width: S, height: S, channels: 1, data };
    },
  };
}
// study 8 shares study 9's text (and picture): one candidate, two studies, text->image has 2+ positives
codes.set(codeText(9), codes.get(codeText(9))!);

function demoModel(id: string, calls?: { images: number[] }): BenchModel {
  return {
    id,
    fingerprint: `fp-${id}`,
    executionProvider: "cpu",
    async encodeImages(pixels: DecodedPixels[]) {
      calls?.images.push(pixels.length);
      return pixels.map((p) => {
        const v = new Float32Array(16);
        for (let y = 0; y < S; y++)
          for (let x = 0; x < S; x++)
            v[Math.floor(y / 12) * 4 + Math.floor(x / 12)]! += (p.data[y * S + x]! - 128) / 144;
        return v;
      });
    },
    async encodeTexts(texts: string[]) {
      return texts.map((t) => {
        const c = codes.get(`  ${t.replace("Impression: code ", "Impression:\n code   ")} `);
        if (!c) throw new Error(`unknown text ${t}`);
        return Float32Array.from(c);
      });
    },
  };
}
// A model that ignores the picture: chance level (the reference for the corruption error).
function chanceModel(): BenchModel {
  const m = demoModel("clip");
  return {
    ...m,
    fingerprint: "fp-clip",
    async encodeImages(pixels) {
      return pixels.map((p) => {
        let sum = 0;
        for (const v of p.data) sum += v;
        return Float32Array.from({ length: 16 }, (_, k) => Math.sin(sum * 0.37 + k * 1.7));
      });
    },
  };
}

const dataset = { id: "synthetic", fingerprint: "d".repeat(64) };
const protocol: ProtocolInput = { levels: [0, 0.3, 0.6], seed: 5, bootstrap: { samples: 100 } };
let scorer: OrtScorer;
let dir: string;
let first: RecordFile;
beforeAll(async () => {
  scorer = await OrtScorer.create({ intraOpNumThreads: 1 });
  dir = await mkdtemp(join(tmpdir(), "cxr-eval-engine-"));
  first = await runBenchmark({
    protocol,
    dataset,
    studies,
    images,
    models: [demoModel("demo"), chanceModel()],
    scorer,
    batchSize: 8,
  });
});
afterAll(async () => {
  await scorer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const strip = (r: ResultRecord) => ({ ...r, runId: "", startedAt: "", endedAt: "" });
const get = (f: RecordFile, model: string, level: number, dir = "image->text") =>
  f.results.find((r) => r.modelId === model && r.level === level && r.direction === dir)!;

describe("runBenchmark", () => {
  it("builds queries, corpus and exclusions as protocol v1 says", () => {
    const c = first.run.counts;
    expect(c.studies).toBe(30);
    expect(c.excludedStudies).toBe(1); // study 7: neither impression nor findings
    expect(c.excludedImages).toBe(2);
    expect(c.otherViewImages).toBe(6);
    expect(c.imageQueries).toBe(45 - 2);
    expect(c.textQueries).toBe(28); // 29 studies with text, two share one
    expect(c.textCandidates).toBe(28);
    expect(first.results).toHaveLength(2 * 3 * 2);
    const t2i = first.run.queries["text->image"];
    expect(t2i).toHaveLength(28);
  });

  it("clean retrieval is near perfect and falls as occlusion rises; chance model stays low", () => {
    const clean = get(first, "demo", 0);
    expect(clean.metrics["recall@1"]).toBeGreaterThan(0.9);
    expect(get(first, "demo", 0.6).metrics["recall@1"]).toBeLessThan(clean.metrics["recall@1"]!);
    expect(get(first, "demo", 0.6).metrics["mrr"]).toBeLessThan(get(first, "demo", 0.3).metrics["mrr"]!);
    expect(get(first, "clip", 0).metrics["recall@1"]).toBeLessThan(0.3);
    const summary = first.summaries.find(
      (s) => s.modelId === "demo" && s.metric === "recall@5" && s.direction === "image->text",
    )!;
    expect(summary.referenceModel).toBe("clip");
    expect(summary.corruptionError).not.toBeNull();
    expect(summary.corruptionError!).toBeLessThan(1);
  });

  it("the run record carries what benchmark.md lists", () => {
    const run = first.run;
    expect(run.protocolVersion).toBe("cxr-bench/1");
    expect(run.protocol.levels).toEqual([0, 0.3, 0.6]);
    expect(run.dataset).toEqual(dataset);
    expect(run.models).toEqual([
      { id: "demo", fingerprint: "fp-demo", executionProvider: "cpu" },
      { id: "clip", fingerprint: "fp-clip", executionProvider: "cpu" },
    ]);
    expect(run.software).toMatchObject({ package: "@cxr/eval", sharp: "0.35.5", onnxruntime: "1.30.0" });
    expect(run.hardware.cores).toBeGreaterThan(0);
    expect(run.scoringKernel).toContain("onnxruntime-node@1.30.0");
    expect(Date.parse(run.endedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
  });

  it("records carry every parameter and recompute from their ranks", () => {
    for (const r of first.results) {
      expect(r.protocolKey).toBe(first.run.protocolKey);
      expect(r.seed).toBe(5);
      expect(r.grid).toBe(8);
      expect(r.datasetFingerprint).toBe(dataset.fingerprint);
      expect(r.ranks).toHaveLength(first.run.queries[r.direction].length);
      const again = recomputeMetrics(r.ranks, first.run.queries[r.direction], {
        recallAt: r.recallAt,
        bootstrap: {
          samples: r.bootstrapSamples,
          confidence: r.confidence,
          seed: r.seed,
          direction: r.direction,
        },
      });
      expect(again.metrics).toEqual(r.metrics);
      expect(again.ci).toEqual(r.ci);
    }
  });

  it("the same seed reproduces every number; another seed moves only the occluded levels", async () => {
    const again = await runBenchmark({
      protocol,
      dataset,
      studies,
      images,
      models: [demoModel("demo"), chanceModel()],
      scorer,
    });
    expect(again.results.map(strip)).toEqual(first.results.map(strip));
    const other = await runBenchmark({
      protocol: { ...protocol, seed: 6 },
      dataset,
      studies,
      images,
      models: [demoModel("demo")],
      scorer,
    });
    expect(get(other, "demo", 0).ranks).toEqual(get(first, "demo", 0).ranks);
    expect(get(other, "demo", 0.6).ranks).not.toEqual(get(first, "demo", 0.6).ranks);
  });

  it("resumes per (model, level) and renders ahead of encoding", async () => {
    const saved = new Map<string, ResultRecord[]>();
    const store: ResumeStore = {
      load: async (k) => saved.get(`${k.runKey}/${k.modelId}/${k.modelFingerprint}/${k.level}`),
      save: async (k, records) => {
        saved.set(`${k.runKey}/${k.modelId}/${k.modelFingerprint}/${k.level}`, records);
      },
    };
    // First attempt dies while encoding level 0.6.
    const renders: ProgressEvent[] = [];
    const dying = demoModel("demo");
    const encode = dying.encodeImages.bind(dying);
    let seen = 0;
    dying.encodeImages = async (p) => {
      seen += p.length;
      if (seen > 43 * 2) throw new Error("killed");
      return encode(p);
    };
    await expect(
      runBenchmark({
        protocol,
        dataset,
        studies,
        images,
        models: [dying],
        scorer,
        resumeStore: store,
        batchSize: 8,
        prefetchBatches: 1,
        onProgress: (e) => {
          if (e.phase === "render") renders.push(e);
        },
      }),
    ).rejects.toThrow("killed");
    // rendering stopped with the failure instead of running through the rest of the level
    expect(renders.filter((e) => e.phase === "render" && e.level === 0.6).length).toBeLessThan(
      Math.ceil(43 / 8),
    );
    expect(saved.size).toBe(2);

    // Second attempt: only level 0.6 is encoded; level 0.3's render overlaps level 0's encoding.
    const calls = { images: [] as number[] };
    const events: ProgressEvent[] = [];
    const resumed = await runBenchmark({
      protocol,
      dataset,
      studies,
      images,
      models: [demoModel("demo", calls)],
      scorer,
      resumeStore: store,
      batchSize: 8,
      onProgress: (e) => events.push(e),
    });
    expect(calls.images.reduce((a, b) => a + b, 0)).toBe(43);
    expect(events.filter((e) => e.phase === "level-done" && e.resumed)).toHaveLength(2);
    expect(events.some((e) => e.phase === "render" && e.level !== 0.6)).toBe(false);
    const demoOnly = first.results.filter((r) => r.modelId === "demo");
    expect(resumed.results.map(strip)).toEqual(demoOnly.map(strip));
  });

  it("a submission is refused when a record's parameters differ from its run's protocol", () => {
    const forged = structuredClone(first);
    const r = forged.results[0]!;
    // Fewer bootstrap samples, with intervals recomputed to match: consistent within the record itself.
    r.bootstrapSamples = 10;
    r.ci = recomputeMetrics(r.ranks, forged.run.queries[r.direction], {
      recallAt: r.recallAt,
      bootstrap: { samples: 10, confidence: r.confidence, seed: r.seed, direction: r.direction },
    }).ci!;
    const problems = checkRecordFile(forged).problems;
    expect(problems.some((p) => p.includes("parameters differ") && p.includes("bootstrapSamples"))).toBe(
      true,
    );
    expect(checkRecordFile(first).problems).toEqual([]);
  });

  it("releases the scorer it created when reading the resume store fails", async () => {
    const create = vi.spyOn(OrtScorer, "create");
    const close = vi.spyOn(OrtScorer.prototype, "close");
    try {
      const broken: ResumeStore = {
        load: async () => {
          throw new Error("resume store unreadable");
        },
        save: async () => {},
      };
      await expect(
        runBenchmark({
          protocol,
          dataset,
          studies,
          images,
          models: [demoModel("demo")],
          resumeStore: broken,
        }),
      ).rejects.toThrow("resume store unreadable");
      expect(close.mock.calls.length).toBe(create.mock.calls.length);
    } finally {
      create.mockRestore();
      close.mockRestore();
    }
  });

  it("a folder resume store skips finished cells across processes", async () => {
    const store = new FileResumeStore(join(dir, "resume"));
    const full = await runBenchmark({
      protocol,
      dataset,
      studies,
      images,
      models: [demoModel("demo")],
      scorer,
      resumeStore: store,
    });
    const calls = { images: [] as number[] };
    const again = await runBenchmark({
      protocol,
      dataset,
      studies,
      images,
      models: [demoModel("demo", calls)],
      scorer,
      resumeStore: new FileResumeStore(join(dir, "resume")),
    });
    expect(calls.images).toEqual([]);
    expect(again.results.map(strip)).toEqual(full.results.map(strip));
    // another seed is another protocol: nothing is reused
    const other = { images: [] as number[] };
    await runBenchmark({
      protocol: { ...protocol, seed: 9 },
      dataset,
      studies,
      images,
      models: [demoModel("demo", other)],
      scorer,
      resumeStore: store,
    });
    expect(other.images.reduce((a, b) => a + b, 0)).toBe(43 * 3);
  });

  it("a folder resume store treats a cell file cut short as not done", async () => {
    const store = new FileResumeStore(join(dir, "resume-cut"));
    const key = { runKey: "r", modelId: "demo", modelFingerprint: "fp-demo", level: 0.3 };
    await store.save(key, first.results.slice(0, 2));
    await writeFile(store.path(key), "");
    expect(await store.load(key)).toBeUndefined();
    await writeFile(store.path(key), '[{"kind":"res');
    expect(await store.load(key)).toBeUndefined();
  });

  it("rendering of the next level proceeds while a level is being encoded", async () => {
    const events: ProgressEvent[] = [];
    let renderedNextDuringEncode = false;
    const m = demoModel("demo");
    const encode = m.encodeImages.bind(m);
    m.encodeImages = async (p) => {
      // Hold the last batch of level 0 until the producer has rendered a batch of the next level.
      const level0Batches = events.filter((e) => e.phase === "encode" && e.level === 0).length;
      if (level0Batches === Math.ceil(43 / 8) - 1) {
        for (let i = 0; i < 200 && !events.some((e) => e.phase === "render" && e.level === 0.3); i++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        renderedNextDuringEncode = events.some((e) => e.phase === "render" && e.level === 0.3);
      }
      return encode(p);
    };
    await runBenchmark({
      protocol,
      dataset,
      studies,
      images,
      models: [m],
      scorer,
      batchSize: 8,
      onProgress: (e) => events.push(e),
    });
    expect(renderedNextDuringEncode).toBe(true);
  });

  it("caches rendered images as PNGs and writes JSON, CSV and a self-contained HTML report", async () => {
    const cacheRoot = join(dir, "cache");
    const withCache = await runBenchmark({
      protocol,
      dataset,
      studies,
      images,
      models: [demoModel("demo")],
      scorer,
      cache: new CorruptionCache(cacheRoot),
    });
    expect(get(withCache, "demo", 0.6).ranks).toEqual(get(first, "demo", 0.6).ranks);
    const levels = await readdir(join(cacheRoot, first.run.protocolKey));
    expect(levels.sort()).toEqual(["occlusion-0.3", "occlusion-0.6"]);
    expect(await readdir(join(cacheRoot, first.run.protocolKey, "occlusion-0.3"))).toHaveLength(43);
    // a second run reads the cache and gets the same numbers
    const cached = await runBenchmark({
      protocol,
      dataset,
      studies,
      images,
      models: [demoModel("demo")],
      scorer,
      cache: new CorruptionCache(cacheRoot),
    });
    expect(cached.results.map(strip)).toEqual(withCache.results.map(strip));

    await writeRecordFile(join(dir, "run.json"), first);
    const back = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as RecordFile;
    expect(back.results.map(strip)).toEqual(first.results.map(strip));
    expect(back.run.protocol).toEqual(first.run.protocol);
    expect(checkRecordFile(back).problems).toEqual([]);
    // a submission claiming a better number than its ranks give is refused
    const forged = structuredClone(back);
    forged.results[0]!.metrics["recall@5"] = forged.results[0]!.metrics["recall@5"]! + 0.01;
    forged.results[1]!.ranks[0] = forged.results[1]!.ranks[0]! + 1;
    const problems = checkRecordFile(forged).problems;
    expect(problems.some((p) => p.includes("recall@5 claimed"))).toBe(true);
    expect(problems.some((p) => p.startsWith(`${forged.results[1]!.modelId}`))).toBe(true);
    await writeCsv(join(dir, "results.csv"), resultsCsv(first.results));
    const csv = (await readFile(join(dir, "results.csv"), "utf8")).trim().split("\n");
    expect(csv).toHaveLength(1 + first.results.length);
    expect(csv[0]).toContain("recall@5_low");
    expect(ranksCsv(first.run, first.results).trim().split("\n")).toHaveLength(1 + 2 * 3 * (43 + 28));
    const html = reportHtml(first);
    expect(html).toContain("<svg");
    expect(html).toContain("<polygon"); // confidence bands
    expect(html.match(/(src|href)=/g)).toBeNull(); // no external assets
  });
});
