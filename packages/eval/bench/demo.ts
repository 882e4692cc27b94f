/**
 * A whole benchmark on a generated split with a toy model, writing what `cxr bench` will write:
 *   pnpm exec tsx packages/eval/bench/demo.ts [outDir] [studies] [seed]
 * Each study's "radiograph" is a 4 x 4 grid of grey blocks encoding a 16-value code; the toy model
 * reads the blocks back (images) or looks the code up (texts). Shows how to wire runBenchmark.
 */
import { join } from "node:path";
import { CorruptionCache } from "../src/cache.ts";
import { type BenchImage, type BenchModel, type BenchStudy, runBenchmark } from "../src/engine.ts";
import type { DecodedPixels } from "../src/pixels.ts";
import { Sfc32 } from "../src/prng.ts";
import { writeReport } from "../src/report.ts";
import { ranksCsv, resultsCsv, summariesCsv, writeCsv, writeRecordFile } from "../src/writers.ts";

const outDir = process.argv[2] ?? "/tmp/cxr-eval-demo";
const nStudies = Number(process.argv[3] ?? 200);
const seed = Number(process.argv[4] ?? 0);
const S = 96;
const rng = Sfc32.fromLabel("demo-split");
const codes = new Map<string, Float32Array>();
const studies: BenchStudy[] = [];
const images: BenchImage[] = [];
for (let s = 0; s < nStudies; s++) {
  const studyId = `s${String(s).padStart(5, "0")}`;
  const code = Float32Array.from({ length: 16 }, () => rng.nextBelow(201) / 100 - 1);
  const text = `Impression: finding pattern ${studyId}.`;
  codes.set(text, code);
  studies.push({ studyId, impression: text });
  for (let i = 0; i < 1 + (s % 3 === 0 ? 1 : 0); i++) {
    images.push({
      id: `${studyId}/view${i}`,
      studyId,
      imageKey: `${studyId}/view${i}`,
      view: "frontal",
      sha256: (studyId + i).padEnd(64, "0").replace(/[^0-9a-f]/g, "0"),
      load: async (): Promise<DecodedPixels> => {
        const data = new Uint8Array(S * S);
        const q = S / 4;
        for (let y = 0; y < S; y++)
          for (let x = 0; x < S; x++)
            data[y * S + x] =
              128 +
              Math.round(90 * code[Math.floor(y / q) * 4 + Math.floor(x / q)]!) +
              ((x * 7 + y * 3 + i) % 11);
        return { width: S, height: S, channels: 1, data };
      },
    });
  }
}
const toy = (id: string, blur: number): BenchModel => ({
  id,
  fingerprint: `toy-${id}`,
  executionProvider: "cpu",
  async encodeImages(pixels) {
    return pixels.map((p) => {
      const v = new Float32Array(16);
      const q = S / 4;
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) v[Math.floor(y / q) * 4 + Math.floor(x / q)]! += p.data[y * S + x]! - 128;
      // a weaker model: mixes neighbouring blocks
      return v.map((x, k) => x + blur * (v[(k + 1) % 16]! + v[(k + 15) % 16]!));
    });
  },
  async encodeTexts(texts) {
    return texts.map((t) => codes.get(t)!);
  },
});

const file = await runBenchmark({
  protocol: { seed, levels: [0, 0.1, 0.2, 0.3, 0.4, 0.5] },
  dataset: { id: "toy", fingerprint: "0".repeat(64) },
  studies,
  images,
  models: [toy("clip", 0.9), toy("toy-good", 0), toy("toy-mid", 0.4)],
  cache: new CorruptionCache(join(outDir, "cache")),
  onProgress: (e) => {
    if (e.phase === "level-done")
      console.log(`level ${e.level} ${e.modelId} done${e.resumed ? " (resumed)" : ""}`);
  },
});
await writeRecordFile(join(outDir, "run.json"), file);
await writeCsv(join(outDir, "results.csv"), resultsCsv(file.results));
await writeCsv(join(outDir, "ranks.csv"), ranksCsv(file.run, file.results));
await writeCsv(join(outDir, "summaries.csv"), summariesCsv(file.summaries));
await writeReport(join(outDir, "report.html"), file);
for (const r of file.results.filter((x) => x.direction === "image->text")) {
  const m = r.metrics;
  const ci = r.ci["recall@5"]!;
  console.log(
    `${r.modelId} p=${r.level}: R@1 ${m["recall@1"]!.toFixed(3)} R@5 ${m["recall@5"]!.toFixed(3)} [${ci.low.toFixed(3)}, ${ci.high.toFixed(3)}] MRR ${m["mrr"]!.toFixed(3)} median ${m["medianRank"]}`,
  );
}
console.log(`written to ${outDir} (protocol ${file.run.protocolKey})`);
