import { describe, expect, it } from "vitest";
import { bootstrapIntervals, computeMetrics, percentile, recomputeMetrics } from "../src/metrics.ts";
import { Sfc32 } from "../src/prng.ts";
import { corruptionError, normalizedAuc, summarize } from "../src/robustness.ts";

describe("metrics", () => {
  it("hand-computed values", () => {
    const ranks = [1, 3, 7, 12, 2];
    const m = computeMetrics(ranks, [1, 5, 10]);
    expect(m["recall@1"]).toBe(1 / 5);
    expect(m["recall@5"]).toBe(3 / 5);
    expect(m["recall@10"]).toBe(4 / 5);
    expect(m["mrr"]).toBeCloseTo((1 + 1 / 3 + 1 / 7 + 1 / 12 + 1 / 2) / 5, 15);
    expect(m["medianRank"]).toBe(3);
    expect(m["meanRank"]).toBe(5);
    expect(computeMetrics([4, 1, 2, 10], [1])["medianRank"]).toBe(3); // even count: mean of middle two
  });

  it("weights count a query that many times", () => {
    const a = computeMetrics([1, 4, 9], [1, 5], [2, 0, 3]);
    const b = computeMetrics([1, 1, 9, 9, 9], [1, 5]);
    expect(a).toEqual(b);
  });

  it("Recall@K is non-decreasing in K", () => {
    const r = Sfc32.fromLabel("ranks");
    const ranks = Array.from({ length: 500 }, () => 1 + r.nextBelow(40));
    const ks = Array.from({ length: 40 }, (_, i) => i + 1);
    const m = computeMetrics(ranks, ks);
    for (let k = 1; k < 40; k++) expect(m[`recall@${k + 1}`]!).toBeGreaterThanOrEqual(m[`recall@${k}`]!);
    expect(m["recall@40"]).toBe(1);
  });

  it("percentile interpolates like numpy", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 0.025)).toBeCloseTo(11, 12);
    expect(percentile([10, 20, 30, 40, 50], 0.975)).toBeCloseTo(49, 12);
  });

  it("bootstrap: seeded, brackets the estimate, and resamples whole studies", () => {
    const r = Sfc32.fromLabel("b");
    const ranks = Array.from({ length: 300 }, () => 1 + r.nextBelow(20));
    const groups = ranks.map((_, i) => `s${Math.floor(i / 3)}`);
    const opts = { samples: 200, confidence: 0.95, seed: 3, direction: "image->text" as const };
    const a = bootstrapIntervals(ranks, groups, [1, 5], opts);
    expect(bootstrapIntervals(ranks, groups, [1, 5], opts)).toEqual(a);
    expect(bootstrapIntervals(ranks, groups, [1, 5], { ...opts, seed: 4 })).not.toEqual(a);
    const m = computeMetrics(ranks, [1, 5]);
    for (const k of Object.keys(m)) {
      expect(a[k]!.low).toBeLessThanOrEqual(m[k]!);
      expect(a[k]!.high).toBeGreaterThanOrEqual(m[k]!);
    }
    // Studies whose images all share one rank: resampling studies keeps every draw a mix of whole
    // studies, so with 1 study the interval collapses onto the value.
    const one = bootstrapIntervals([1, 3, 5], ["s", "s", "s"], [1], opts);
    expect(one["recall@1"]).toEqual({ low: 1 / 3, high: 1 / 3 });
    // ...whereas per-image resampling would have moved it.
    const split = bootstrapIntervals([1, 3, 5], ["a", "b", "c"], [1], opts);
    expect(split["recall@1"]!.high).toBeGreaterThan(1 / 3);
  });

  it("recomputeMetrics reproduces metrics and intervals from stored ranks", () => {
    const ranks = [1, 2, 2, 8, 1, 30];
    const queries = ranks.map((_, i) => ({ id: `q${i}`, group: `s${i % 4}` }));
    const bootstrap = { samples: 100, confidence: 0.9, seed: 1, direction: "text->image" as const };
    const out = recomputeMetrics(ranks, queries, { recallAt: [1, 5, 10], bootstrap });
    expect(out.metrics).toEqual(computeMetrics(ranks, [1, 5, 10]));
    expect(out.ci).toEqual(
      bootstrapIntervals(
        ranks,
        queries.map((q) => q.group),
        [1, 5, 10],
        bootstrap,
      ),
    );
    expect(() => recomputeMetrics([1], queries, { recallAt: [1] })).toThrow(/1 ranks for 6/);
    expect(() => computeMetrics([0], [1])).toThrow(/positive integer/);
  });
});

describe("robustness summaries", () => {
  const pts = [
    { level: 0, value: 0.8 },
    { level: 0.1, value: 0.6 },
    { level: 0.3, value: 0.2 },
  ];
  it("AUC is the trapezoid over levels divided by the span", () => {
    // (0.1 * (0.8 + 0.6) / 2 + 0.2 * (0.6 + 0.2) / 2) / 0.3 = (0.07 + 0.08) / 0.3 = 0.5
    expect(normalizedAuc(pts)).toBeCloseTo(0.5, 12);
    expect(normalizedAuc([{ level: 0, value: 0.4 }])).toBe(0.4);
  });

  it("relative drop, relative robustness and corruption error", () => {
    const ref = [
      { level: 0, value: 0.6 },
      { level: 0.1, value: 0.4 },
      { level: 0.3, value: 0.1 },
    ];
    const s = summarize("recall@5", pts, ref);
    expect(s.clean).toBe(0.8);
    expect(s.relativeDrop.map((d) => d.value)).toEqual([0, 1 - 0.6 / 0.8, 1 - 0.2 / 0.8]);
    expect(s.relativeRobustness).toBeCloseTo(0.5 / 0.8, 12);
    // (0.2 + 0.4 + 0.8) / (0.4 + 0.6 + 0.9)
    expect(s.corruptionError).toBeCloseTo(1.4 / 1.9, 12);
    expect(corruptionError(pts, pts)).toBe(1);
    expect(corruptionError(pts, ref.slice(0, 2))).toBeNull();
    expect(summarize("meanRank", pts, ref).corruptionError).toBeNull();
  });
});
