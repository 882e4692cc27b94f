import {
  compareCodeUnits,
  computeMetrics,
  higherIsBetter,
  normalizedAuc,
  percentile,
  Sfc32,
} from "@cxr/eval";

/**
 * Ranks with uncertainty (packages/services/README.md, "Leaderboard: ranking"): a seeded paired
 * bootstrap over studies between the entries of one board. Entries of a board share the query list,
 * so replicate b reweights the same studies for every entry, and the per-replicate differences of the
 * sorted metric between two entries give a paired interval.
 */

export interface RankedInput {
  id: string;
  /** Per-query ranks in the board's query order (all entries the same length). */
  ranks: ArrayLike<number>;
  /** For an `auc:` metric: the ranks at each of `RankingOptions.levels`, in that order. */
  ranksByLevel?: ArrayLike<number>[];
}

/** The prefix of a robustness sort: `auc:mrr` is the normalised AUC of MRR over the board's levels. */
export const AUC_PREFIX = "auc:";

export interface RankingOptions {
  /**
   * A metric name of @cxr/eval ("recall@1", "mrr", "medianRank", ...), or `auc:<metric>`: the
   * trapezoidal AUC of that metric over `levels` divided by their span (@cxr/eval normalizedAuc),
   * every level's metric computed with the same replicate weights.
   */
  metric: string;
  /** The levels of an `auc:` metric (each entry's `ranksByLevel` follows them). */
  levels?: readonly number[];
  recallAt: readonly number[];
  /** The bootstrap group (study) of each query, in the same order as the ranks. */
  groups: readonly string[];
  samples: number;
  confidence: number;
  /** The stream: sfc32 seeded from sha256(`${seed}:leaderboard:${label}`). */
  seed: number;
  label: string;
}

export interface RankedEntry {
  id: string;
  value: number;
  /** 1 + the entries significantly better than this one. */
  rankLow: number;
  /** The entries not significantly worse than this one (itself included). */
  rankHigh: number;
  /** "1", or "1-2" when rankLow < rankHigh. */
  rankLabel: string;
  /** 1-based tie group in display order (see rankWithUncertainty). */
  tieGroup: number;
}

/**
 * Orders entries by the metric's point estimate (better first; equal values by id in code-unit
 * order) and gives each:
 *  - rankLow / rankHigh: with d_ef^b = (m_e^b - m_f^b), signed so that positive means e is better,
 *    over B paired replicates, e is significantly better than f when the (1-c)/2 percentile (type 7)
 *    of d_ef is > 0. rankLow = 1 + #{f significantly better than e}; rankHigh = N - #{f that e is
 *    significantly better than}.
 *  - tieGroup: walking the order, an entry joins the current group when it is not significantly
 *    worse than the group's first entry, else it opens the next group.
 * Replicate b draws G studies with replacement (G = distinct groups, sorted by code unit;
 * draw = rng.nextBelow(G)); every query of a drawn study enters with it; all entries use the same
 * weights. A replicate in which the metric is undefined cannot happen (every draw has >= 1 query).
 */
export function rankWithUncertainty(entries: readonly RankedInput[], options: RankingOptions): RankedEntry[] {
  const n = options.groups.length;
  for (const e of entries) {
    if (e.ranks.length !== n) throw new Error(`entry ${e.id}: ${e.ranks.length} ranks for ${n} queries`);
  }
  const auc = options.metric.startsWith(AUC_PREFIX);
  const metric = auc ? options.metric.slice(AUC_PREFIX.length) : options.metric;
  const levels = options.levels ?? [];
  if (auc) {
    for (const e of entries) {
      if (e.ranksByLevel?.length !== levels.length || levels.length === 0)
        throw new Error(`entry ${e.id}: an AUC needs the ranks at each of ${levels.length} levels`);
      for (const r of e.ranksByLevel)
        if (r.length !== n) throw new Error(`entry ${e.id}: ${r.length} ranks for ${n} queries`);
    }
  }
  const sign = higherIsBetter(metric) ? 1 : -1;
  const metricOf = (ranks: ArrayLike<number>, weights?: Float64Array) => {
    const v = computeMetrics(ranks, options.recallAt, weights)[metric];
    if (v === undefined) throw new Error(`unknown metric ${options.metric}`);
    return v;
  };
  const value = (e: RankedInput, weights?: Float64Array) =>
    auc
      ? normalizedAuc(levels.map((level, k) => ({ level, value: metricOf(e.ranksByLevel![k]!, weights) })))
      : metricOf(e.ranks, weights);
  const points = entries.map((e) => value(e));
  const order = entries
    .map((_, i) => i)
    .sort((a, b) => sign * (points[b]! - points[a]!) || compareCodeUnits(entries[a]!.id, entries[b]!.id));
  const N = entries.length;
  if (N === 0) return [];

  const ids = [...new Set(options.groups)].sort(compareCodeUnits);
  const gIndex = new Map(ids.map((g, i) => [g, i]));
  const groupOf = Int32Array.from(options.groups, (g) => gIndex.get(g)!);
  const G = ids.length;
  const rng = Sfc32.fromLabel(`${options.seed}:leaderboard:${options.label}`);
  const B = options.samples;
  const replicate = entries.map(() => new Float64Array(B));
  const mult = new Float64Array(G);
  const weights = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    mult.fill(0);
    for (let i = 0; i < G; i++) mult[rng.nextBelow(G)]! += 1;
    for (let q = 0; q < n; q++) weights[q] = mult[groupOf[q]!]!;
    entries.forEach((e, i) => {
      replicate[i]![b] = value(e, weights);
    });
  }
  const alpha = (1 - options.confidence) / 2;
  // better[i][j]: entry i is significantly better than entry j
  const better = entries.map(() => new Array<boolean>(N).fill(false));
  const diff = new Float64Array(B);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (i === j) continue;
      for (let b = 0; b < B; b++) diff[b] = sign * (replicate[i]![b]! - replicate[j]![b]!);
      const sorted = Float64Array.from(diff).sort();
      better[i]![j] = percentile(sorted, alpha) > 0;
    }
  }
  const out: RankedEntry[] = [];
  let group = 0;
  let leader = -1;
  for (const i of order) {
    if (leader < 0 || better[leader]![i]) {
      group++;
      leader = i;
    }
    const rankLow = 1 + better.filter((row) => row[i]).length;
    const rankHigh = N - better[i]!.filter(Boolean).length;
    out.push({
      id: entries[i]!.id,
      value: points[i]!,
      rankLow,
      rankHigh,
      rankLabel: rankLow === rankHigh ? String(rankLow) : `${rankLow}-${rankHigh}`,
      tieGroup: group,
    });
  }
  return out;
}
