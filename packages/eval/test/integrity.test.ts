import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchImage, type BenchModel, type BenchStudy, runBenchmark } from "../src/engine.ts";
import { recomputeMetrics } from "../src/metrics.ts";
import { Sfc32 } from "../src/prng.ts";
import { canonicalProtocol, type ProtocolInput, parseProtocol, protocolKey } from "../src/protocol.ts";
import type { RecordFile, ResultRecord } from "../src/records.ts";
import { reportHtml } from "../src/report.ts";
import { OrtScorer } from "../src/scoring/scorer.ts";
import { selectText } from "../src/text.ts";
import { checkRecordFile } from "../src/verify.ts";

// A split built to make the benchmark's integrity numbers non-trivial:
// - report texts repeat across studies (several positive images per text query);
// - texts share their first N tokens, and the models embed only the first N tokens (as a text
//   encoder truncating at its maximum length does), so distinct texts embed identically and tie;
// - studies belong to patients (three studies each), for the patient bootstrap.
const N = 3;
const DIM = 8;
const TEXTS = [
  "no acute disease in the left lung",
  "no acute disease in the right lung", // same first 3 tokens as the one above
  "no acute disease seen anywhere", // and again
  "small right pleural effusion is present",
  "small right pleural effusion unchanged", // same first 3 tokens
  "large left pneumothorax with shift",
  "cardiomegaly without edema",
];

function prefixVector(text: string): Float32Array {
  const rng = Sfc32.fromLabel(`prefix:${text.split(" ").slice(0, N).join(" ")}`);
  return Float32Array.from({ length: DIM }, () => rng.nextBelow(2001) / 1000 - 1);
}

const studies: BenchStudy[] = [];
const images: BenchImage[] = [];
const imageVectors = new Map<string, Float32Array>();
for (let s = 0; s < 18; s++) {
  const studyId = `st${String(s).padStart(2, "0")}`;
  const text = TEXTS[(s * 5) % TEXTS.length]!;
  studies.push({ studyId, impression: text, findings: null, patientId: `p${Math.floor(s / 3)}` });
  for (let i = 0; i < 1 + (s % 2); i++) {
    const id = `${studyId}/im${i}`;
    // Even studies' images look exactly like their report's prefix (ties); odd ones carry noise.
    const v = prefixVector(text);
    if (s % 2 === 1) {
      const rng = Sfc32.fromLabel(`noise:${id}`);
      for (let k = 0; k < DIM; k++) v[k]! += (rng.nextBelow(2001) / 1000 - 1) * 0.6;
    }
    imageVectors.set(id, v);
    images.push({
      id,
      studyId,
      imageKey: id,
      view: "frontal",
      // The pixels carry the image id; the model looks its vector up.
      load: async () => ({
        width: id.length,
        height: 1,
        channels: 1,
        data: Uint8Array.from(id, (c) => c.charCodeAt(0)),
      }),
    });
  }
}

const truncatingModel: BenchModel = {
  id: "trunc",
  fingerprint: "fp-trunc",
  executionProvider: "cpu",
  async encodeImages(pixels) {
    return pixels.map((p) => imageVectors.get(String.fromCharCode(...p.data))!);
  },
  async encodeTexts(texts) {
    return texts.map(prefixVector);
  },
};

const dataset = { id: "integrity", fingerprint: "e".repeat(64) };
const base: ProtocolInput = { levels: [0], bootstrap: { samples: 200 } };
let scorer: OrtScorer;
let file: RecordFile;
const result = (f: RecordFile, direction: string) => f.results.find((r) => r.direction === direction)!;

beforeAll(async () => {
  scorer = await OrtScorer.create({ intraOpNumThreads: 1 });
  file = await runBenchmark({ protocol: base, dataset, studies, images, models: [truncatingModel], scorer });
});
afterAll(async () => {
  await scorer?.close();
});

// Independent arithmetic: binomials as BigInt, scores in float64.
function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}
const ratio = (a: bigint, b: bigint) => Number((a * 10n ** 15n) / b) / 1e15;
function cos(a: Float32Array, b: Float32Array) {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    d += a[k]! * b[k]!;
    na += a[k]! * a[k]!;
    nb += b[k]! * b[k]!;
  }
  return d / Math.sqrt(na * nb);
}

/** Per query, from the raw embeddings: [optimistic, pessimistic] rank of its best positive. */
function independentRanges(
  queries: Float32Array[],
  candidates: Float32Array[],
  positives: number[][],
): [number, number][] {
  return queries.map((q, qi) => {
    const scores = candidates.map((c) => cos(q, c));
    const pos = new Set(positives[qi]);
    const best = Math.max(...positives[qi]!.map((p) => scores[p]!));
    let greater = 0;
    let tied = 0;
    scores.forEach((s, c) => {
      if (pos.has(c)) return;
      const gap = Math.abs(s - best);
      // No near-tie: every pair is either identical (same vector) or clearly apart.
      expect(gap === 0 || gap > 1e-5).toBe(true);
      if (gap === 0) tied++;
      else if (s > best) greater++;
    });
    return [greater + 1, greater + tied + 1];
  });
}

function expectedMetrics(ranks: number[]) {
  const n = ranks.length;
  const out: Record<string, number> = {};
  for (const k of [1, 5, 10]) out[`recall@${k}`] = ranks.filter((r) => r <= k).length / n;
  out.mrr = ranks.reduce((a, r) => a + 1 / r, 0) / n;
  return out;
}

describe("chance levels from the real positive sets", () => {
  it("text->image chance accounts for several positive images; image->text has one positive per distinct text", () => {
    const t2i = result(file, "text->image");
    const i2t = result(file, "image->text");
    const textOf = new Map(studies.map((s) => [s.studyId, selectText(s, "impression")!]));
    const nImages = images.length;
    const distinct = [...new Set(studies.map((s) => textOf.get(s.studyId)!))];
    // Some texts repeat across studies: several positives per text query.
    const positivesPerText = distinct.map((t) => images.filter((im) => textOf.get(im.studyId) === t).length);
    expect(Math.max(...positivesPerText)).toBeGreaterThan(1);
    for (const k of [1, 5, 10]) {
      const exact =
        positivesPerText.reduce((a, p) => a + (1 - ratio(binom(nImages - p, k), binom(nImages, k))), 0) /
        distinct.length;
      expect(t2i.chance![`recall@${k}`]).toBeCloseTo(exact, 12);
      // The old K / candidates is not it.
      if (k === 5) expect(Math.abs(exact - k / nImages)).toBeGreaterThan(0.01);
      expect(i2t.chance![`recall@${k}`]).toBeCloseTo(Math.min(1, k / distinct.length), 12);
    }
    const mrr =
      positivesPerText.reduce((a, p) => {
        let e = 0;
        for (let r = 1; r <= nImages - p + 1; r++)
          e += ratio(binom(nImages - r, p - 1), binom(nImages, p)) / r;
        return a + e;
      }, 0) / distinct.length;
    expect(t2i.chance!.mrr).toBeCloseTo(mrr, 10);
    expect(i2t.candidates).toBe(distinct.length);
  });
});

describe("exact ties", () => {
  it("counts tied queries and the metric range over tie orders, as an independent count from the embeddings does", () => {
    const textOf = new Map(studies.map((s) => [s.studyId, selectText(s, "impression")!]));
    const i2t = result(file, "image->text");
    const t2i = result(file, "text->image");
    const corpus = [...new Set(images.map((im) => textOf.get(im.studyId)!))].sort();
    const imageOrder = file.run.queries["image->text"].map((q) => q.id);
    const textOrder = file.run.queries["text->image"];
    const textVectors = corpus.map(prefixVector);

    const i2tRanges = independentRanges(
      imageOrder.map((id) => imageVectors.get(id)!),
      textVectors,
      imageOrder.map((id) => [corpus.indexOf(textOf.get(id.split("/")[0]!)!)]),
    );
    // Every test text is a query (no distractors), in the corpus's (code-unit) order.
    expect(textOrder).toHaveLength(corpus.length);
    const t2iRanges = independentRanges(
      corpus.map(prefixVector),
      imageOrder.map((id) => imageVectors.get(id)!),
      corpus.map((t) => imageOrder.flatMap((id, i) => (textOf.get(id.split("/")[0]!) === t ? [i] : []))),
    );
    for (const [record, ranges] of [
      [i2t, i2tRanges],
      [t2i, t2iRanges],
    ] as [ResultRecord, [number, number][]][]) {
      const tied = ranges.filter(([lo, hi]) => hi > lo).length;
      expect(tied).toBeGreaterThan(0);
      expect(record.ties!.queries).toBe(tied);
      const opt = expectedMetrics(ranges.map(([lo]) => lo));
      const pess = expectedMetrics(ranges.map(([, hi]) => hi));
      for (const name of Object.keys(opt)) {
        expect(record.ties!.optimistic[name]).toBeCloseTo(opt[name]!, 12);
        expect(record.ties!.pessimistic[name]).toBeCloseTo(pess[name]!, 12);
        // The headline (the tie rule) lies inside the range.
        expect(record.metrics[name]!).toBeGreaterThanOrEqual(pess[name]! - 1e-12);
        expect(record.metrics[name]!).toBeLessThanOrEqual(opt[name]! + 1e-12);
      }
      expect(record.ties!.optimistic["recall@1"]).toBeGreaterThan(record.ties!.pessimistic["recall@1"]!);
    }
  });

  it("the HTML report shows the tied queries and ranges, and the chance level", () => {
    const html = reportHtml(file);
    const i2t = result(file, "image->text");
    expect(html).toContain("tied queries");
    expect(html).toContain(`<td>${i2t.ties!.queries} / ${i2t.queries}</td>`);
    expect(html).toContain(
      `${i2t.ties!.pessimistic["recall@1"]!.toFixed(3)} – ${i2t.ties!.optimistic["recall@1"]!.toFixed(3)}`,
    );
    expect(html).toMatch(/Chance level/);
  });

  it("a stored tie range that does not hold is caught by verification; the honest file passes", () => {
    expect(checkRecordFile(JSON.parse(JSON.stringify(file))).problems).toEqual([]);
    const bad = JSON.parse(JSON.stringify(file)) as RecordFile;
    const r = bad.results.find((x) => x.direction === "image->text")!;
    r.ties!.pessimistic["recall@1"]! += 0.25;
    expect(checkRecordFile(bad).problems.join("\n")).toMatch(/recall@1 pessimistic/);
    const bad2 = JSON.parse(JSON.stringify(file)) as RecordFile;
    const r2 = bad2.results.find((x) => x.direction === "image->text")!;
    const [q] = r2.ties!.tied[0]!;
    r2.ranks[q] = r2.ties!.tied[0]![2] + 1; // a headline rank outside its tie range
    expect(checkRecordFile(bad2).problems.join("\n")).toMatch(/not inside its tie range/);
  });
});

describe("bootstrap unit", () => {
  it("study is protocol v1's default and leaves the key unchanged; patient is recorded and changes it", () => {
    const v1 = parseProtocol({});
    expect(canonicalProtocol(parseProtocol({ bootstrap: { unit: "study" } }))).toBe(canonicalProtocol(v1));
    expect(protocolKey(parseProtocol({ bootstrap: { unit: "study" } }))).toBe(protocolKey(v1));
    const patient = parseProtocol({ bootstrap: { unit: "patient" } });
    expect(patient.bootstrap).toEqual({ samples: 1000, confidence: 0.95, unit: "patient" });
    expect(protocolKey(patient)).not.toBe(protocolKey(v1));
  });

  it("groups image queries by patient and text queries by their patients; intervals recompute from the groups", async () => {
    const byPatient = await runBenchmark({
      protocol: { ...base, bootstrap: { samples: 200, unit: "patient" } },
      dataset,
      studies,
      images,
      models: [truncatingModel],
      scorer,
    });
    const patientOf = new Map(studies.map((s) => [s.studyId, s.patientId!]));
    const q = byPatient.run.queries["image->text"];
    expect(q.map((x) => x.group)).toEqual(q.map((x) => `patient:${patientOf.get(x.id.split("/")[0]!)}`));
    expect(new Set(q.map((x) => x.group)).size).toBe(6);
    // The study run groups by study.
    expect(new Set(file.run.queries["image->text"].map((x) => x.group)).size).toBe(18);
    const r = result(byPatient, "image->text");
    expect(r.bootstrapUnit).toBe("patient");
    expect(result(file, "image->text").bootstrapUnit).toBeUndefined();
    // Same ranks, other resampling units: other intervals.
    expect(r.ranks).toEqual(result(file, "image->text").ranks);
    expect(r.ci).not.toEqual(result(file, "image->text").ci);
    const again = recomputeMetrics(r.ranks, q, {
      recallAt: [1, 5, 10],
      bootstrap: { samples: 200, confidence: 0.95, seed: 0, direction: "image->text" },
    });
    expect(again.ci).toEqual(r.ci);
    expect(checkRecordFile(JSON.parse(JSON.stringify(byPatient))).problems).toEqual([]);
  });
});

describe("recorded exclusions and the full text", () => {
  it("an image the protocol records as undecodable is left out and counted; its key differs", async () => {
    const out = await runBenchmark({
      protocol: { ...base, excludedImages: ["st02/im0", "st03/im1"] },
      dataset,
      studies,
      images,
      models: [truncatingModel],
      scorer,
    });
    expect(out.run.counts.undecodableImages).toBe(2);
    expect(out.run.counts.undecodableStudies).toBe(1); // st02 had one image; st03 keeps im0
    expect(out.run.counts.imageQueries).toBe(images.length - 2);
    expect(out.run.queries["image->text"].map((x) => x.id)).not.toContain("st02/im0");
    expect(out.run.protocolKey).not.toBe(file.run.protocolKey);
    expect(file.run.counts.undecodableImages).toBeUndefined();
  });

  it("reports without sections are benchmarkable with textField full (and excluded under impression)", async () => {
    const free = studies.map((s) => ({
      studyId: s.studyId,
      patientId: s.patientId,
      fullText: `${s.impression}\n`,
    }));
    const run = await runBenchmark({
      protocol: { ...base, textField: "full" },
      dataset,
      studies: free,
      images,
      models: [truncatingModel],
      scorer,
    });
    expect(run.run.counts.excludedStudies).toBe(0);
    expect(result(run, "image->text").ranks).toEqual(result(file, "image->text").ranks);
    await expect(
      runBenchmark({ protocol: base, dataset, studies: free, images, models: [truncatingModel], scorer }),
    ).rejects.toThrow(/no image queries/);
  });
});
