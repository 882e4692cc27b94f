import { Sfc32 } from "./prng.ts";
import { compareCodeUnits } from "./text.ts";

/** The two retrieval directions of every cell: image->text (primary), then text->image. */
export const DIRECTIONS = ["image->text", "text->image"] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Metric values keyed by name: "recall@K" for every K of the protocol, "mrr", "medianRank", "meanRank". */
export type MetricValues = Record<string, number>;
export type MetricIntervals = Record<string, { low: number; high: number }>;

/** A query as metrics see it: its id and its bootstrap group (the study, for image queries). */
export interface QueryRef {
  id: string;
  group: string;
}

export function metricNames(recallAt: readonly number[]): string[] {
  return [...recallAt.map((k) => `recall@${k}`), "mrr", "medianRank", "meanRank"];
}

/** Metrics whose values lie in [0, 1] with higher better (those a corruption error is defined for). */
export function isUnitMetric(name: string): boolean {
  return name.startsWith("recall@") || name === "mrr";
}

/** Whether a higher value of this metric is better. */
export function higherIsBetter(name: string): boolean {
  return isUnitMetric(name);
}

/**
 * Metrics of 1-based ranks (each query weighted by `weights[q]`, default 1):
 * recall@K = share of queries with rank <= K (a hit when any positive is in the top K, since the rank
 * is that of the best-ranked positive); mrr = mean of 1/rank; meanRank = mean rank; medianRank = the
 * median of the ranks (the mean of the two middle ones for an even count, as numpy.median).
 */
export function computeMetrics(
  ranks: ArrayLike<number>,
  recallAt: readonly number[],
  weights?: ArrayLike<number>,
  sortedIndex?: ArrayLike<number>,
): MetricValues {
  const n = ranks.length;
  if (n === 0) throw new Error("no queries to compute metrics over");
  const w = (q: number) => (weights ? weights[q]! : 1);
  let total = 0;
  let rr = 0;
  let sum = 0;
  const hits = new Float64Array(recallAt.length);
  for (let q = 0; q < n; q++) {
    const wq = w(q);
    if (wq === 0) continue;
    const r = ranks[q]!;
    if (!(r >= 1 && Number.isInteger(r)))
      throw new Error(`rank ${r} of query ${q} is not a positive integer`);
    total += wq;
    rr += wq / r;
    sum += wq * r;
    for (let k = 0; k < recallAt.length; k++) if (r <= recallAt[k]!) hits[k]! += wq;
  }
  const order = sortedIndex ?? sortByRank(ranks);
  const out: MetricValues = {};
  recallAt.forEach((k, i) => {
    out[`recall@${k}`] = hits[i]! / total;
  });
  out["mrr"] = rr / total;
  out["medianRank"] = weightedMedian(ranks, order, w, total);
  out["meanRank"] = sum / total;
  return out;
}

function sortByRank(ranks: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: ranks.length }, (_, i) => i).sort((a, b) => ranks[a]! - ranks[b]!);
}

/** The median of the multiset where query q appears w(q) times (weights are integers). */
function weightedMedian(
  ranks: ArrayLike<number>,
  order: ArrayLike<number>,
  w: (q: number) => number,
  total: number,
) {
  const lo = Math.floor((total - 1) / 2);
  const hi = Math.floor(total / 2);
  let acc = 0;
  let loVal = Number.NaN;
  for (let i = 0; i < order.length; i++) {
    const q = order[i]!;
    acc += w(q);
    if (Number.isNaN(loVal) && acc > lo) loVal = ranks[q]!;
    if (acc > hi) return (loVal + ranks[q]!) / 2;
  }
  throw new Error("weighted median: weights do not add up");
}

/** Percentile with linear interpolation between order statistics (numpy's default, "type 7"). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const f = Math.floor(h);
  const c = Math.min(n - 1, f + 1);
  return sorted[f]! + (h - f) * (sorted[c]! - sorted[f]!);
}

export interface BootstrapOptions {
  samples: number;
  confidence: number;
  seed: number;
  direction: Direction;
}

/**
 * Percentile bootstrap over groups (studies): each replicate draws as many groups as there are, with
 * replacement, and every query of a drawn group enters with it (a group drawn twice counts twice).
 * Groups are indexed in code-unit order of their ids; draw i of a replicate is
 * rng.nextBelow(groupCount) with rng = sfc32 seeded from sha256(`${seed}:bootstrap:${direction}`), one
 * stream for all replicates in order (so every model and level is resampled identically). The interval
 * is the (1-confidence)/2 and (1+confidence)/2 percentiles (type 7) of the replicate values.
 */
export function bootstrapIntervals(
  ranks: ArrayLike<number>,
  groups: readonly string[],
  recallAt: readonly number[],
  options: BootstrapOptions,
): MetricIntervals {
  const n = ranks.length;
  if (groups.length !== n) throw new Error("bootstrap: one group per query is required");
  const ids = [...new Set(groups)].sort(compareCodeUnits);
  const gIndex = new Map(ids.map((g, i) => [g, i]));
  const groupOf = Int32Array.from(groups, (g) => gIndex.get(g)!);
  const G = ids.length;
  const order = sortByRank(ranks);
  const rng = Sfc32.fromLabel(`${options.seed}:bootstrap:${options.direction}`);
  const names = metricNames(recallAt);
  const values = names.map(() => new Float64Array(options.samples));
  const mult = new Float64Array(G);
  const weights = new Float64Array(n);
  for (let b = 0; b < options.samples; b++) {
    mult.fill(0);
    for (let i = 0; i < G; i++) mult[rng.nextBelow(G)]! += 1;
    for (let q = 0; q < n; q++) weights[q] = mult[groupOf[q]!]!;
    const m = computeMetrics(ranks, recallAt, weights, order);
    names.forEach((name, i) => {
      values[i]![b] = m[name]!;
    });
  }
  const a = (1 - options.confidence) / 2;
  const out: MetricIntervals = {};
  names.forEach((name, i) => {
    const v = values[i]!.sort();
    out[name] = { low: percentile(v, a), high: percentile(v, 1 - a) };
  });
  return out;
}

export interface RecomputeOptions {
  recallAt: readonly number[];
  bootstrap?: BootstrapOptions;
}

/**
 * Every metric (and, with bootstrap options, every interval) from stored per-query ranks: what the
 * leaderboard server runs to verify a submission. `queries[i]` is the query whose rank is `ranks[i]`.
 */
export function recomputeMetrics(
  ranks: ArrayLike<number>,
  queries: readonly QueryRef[],
  options: RecomputeOptions,
): { metrics: MetricValues; ci?: MetricIntervals } {
  if (ranks.length !== queries.length) throw new Error(`${ranks.length} ranks for ${queries.length} queries`);
  const metrics = computeMetrics(ranks, options.recallAt);
  if (!options.bootstrap) return { metrics };
  const ci = bootstrapIntervals(
    ranks,
    queries.map((q) => q.group),
    options.recallAt,
    options.bootstrap,
  );
  return { metrics, ci };
}

/**
 * What a model that ranks candidates in a uniformly random order scores, from the real positive sets:
 * `positiveCounts[q]` positives among `candidates` for query q. Recall@K = mean over queries of
 * 1 - C(n-p, K) / C(n, K) (the chance that at least one of p positives is in the top K); mrr = mean of
 * E[1/R] with R the position of the best of p positives, P(R = r) = C(n-r, p-1) / C(n, p). For one
 * positive per query these are K/n and H(n)/n.
 */
export function chanceMetrics(
  positiveCounts: ArrayLike<number>,
  candidates: number,
  recallAt: readonly number[],
): MetricValues {
  const n = candidates;
  const q = positiveCounts.length;
  if (q === 0) throw new Error("no queries to compute chance levels for");
  const byCount = new Map<number, number>();
  for (let i = 0; i < q; i++) byCount.set(positiveCounts[i]!, (byCount.get(positiveCounts[i]!) ?? 0) + 1);
  const out: MetricValues = {};
  for (const k of recallAt) out[`recall@${k}`] = 0;
  out["mrr"] = 0;
  for (const [p, howMany] of byCount) {
    if (!(p >= 1 && p <= n)) throw new Error(`a query has ${p} positives among ${n} candidates`);
    const w = howMany / q;
    for (const k of recallAt) {
      // C(n-p, K) / C(n, K) = prod_{i<K} (n-p-i)/(n-i); zero once K > n-p.
      let miss = 1;
      for (let i = 0; i < k && miss > 0; i++) miss *= Math.max(0, n - p - i) / (n - i);
      out[`recall@${k}`]! += w * (1 - miss);
    }
    // P(R = 1) = p/n; P(R = r+1) / P(R = r) = (n-r-p+1) / (n-r).
    let pr = p / n;
    let rr = 0;
    for (let r = 1; r <= n - p + 1 && pr > 0; r++) {
      rr += pr / r;
      pr *= (n - r - p + 1) / (n - r);
    }
    out["mrr"]! += w * rr;
  }
  return out;
}

/** Queries whose best positive ties exactly with a non-positive candidate: [query index, optimistic rank, pessimistic rank]. */
export type TiedQuery = [number, number, number];

/** How exact ties could move a result: the metrics with every tie broken for, then against, the positives. */
export interface TieRange {
  /** Queries whose best positive has exactly the score of at least one non-positive candidate. */
  queries: number;
  /** Metrics with every tie broken in the positive's favour (ranks = 1 + strictly higher scores). */
  optimistic: MetricValues;
  /** ... and against it (ranks = 1 + higher + tied non-positive candidates). */
  pessimistic: MetricValues;
  /** The tied queries, ascending by index (every other query's rank is the same under any tie order). */
  tied: TiedQuery[];
}

/**
 * The tie range of a result from its ranks under the tie rule and each query's rank range. Every
 * headline rank must lie in its range; queries not listed rank the same under every tie order.
 */
export function tieRange(
  ranks: ArrayLike<number>,
  tied: readonly TiedQuery[],
  recallAt: readonly number[],
): TieRange {
  const optimistic = Array.from(ranks);
  const pessimistic = Array.from(ranks);
  for (const [q, lo, hi] of tied) {
    if (!(q >= 0 && q < ranks.length)) throw new Error(`tied query ${q} is not a query index`);
    const r = ranks[q]!;
    if (!(lo <= r && r <= hi && lo < hi))
      throw new Error(`query ${q}: rank ${r} is not inside its tie range [${lo}, ${hi}]`);
    optimistic[q] = lo;
    pessimistic[q] = hi;
  }
  return {
    queries: tied.length,
    optimistic: computeMetrics(optimistic, recallAt),
    pessimistic: computeMetrics(pessimistic, recallAt),
    tied: [...tied].sort((a, b) => a[0] - b[0]),
  };
}

/** The tied queries of a ranking: those whose optimistic and pessimistic ranks differ. */
export function tiedQueries(optimistic: ArrayLike<number>, pessimistic: ArrayLike<number>): TiedQuery[] {
  const out: TiedQuery[] = [];
  for (let q = 0; q < optimistic.length; q++)
    if (pessimistic[q]! > optimistic[q]!) out.push([q, optimistic[q]!, pessimistic[q]!]);
  return out;
}
