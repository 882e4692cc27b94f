import { Sfc32 } from "@cxr/eval";

/**
 * The leaderboard's ranks with uncertainty written out the long way, for tests only: an oracle
 * independent of src/leaderboard/ranking.ts and of @cxr/eval's weighted metrics. It follows
 * docs/leaderboard.md ("Ranking with uncertainty") literally: replicate b draws G studies with
 * replacement from the sfc32 stream of sha256(`${seed}:leaderboard:${label}`), builds the explicit
 * list of the drawn studies' queries (a study drawn twice enters twice), computes the metric of
 * each entry on that list, and compares entries pairwise by the type-7 percentile of the paired
 * differences. Only the random stream (Sfc32) is shared with the code under test: it must be, for
 * the same draws.
 */

export interface IndependentRank {
  id: string;
  value: number;
  rankLow: number;
  rankHigh: number;
  label: string;
  tieGroup: number;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The metric of a plain list of ranks: recall@K, mrr, meanRank, medianRank (numpy's median). */
export function plainMetric(metric: string, ranks: readonly number[]): number {
  if (metric.startsWith("recall@")) {
    const k = Number(metric.slice("recall@".length));
    return ranks.filter((r) => r <= k).length / ranks.length;
  }
  if (metric === "mrr") return ranks.reduce((s, r) => s + 1 / r, 0) / ranks.length;
  if (metric === "meanRank") return ranks.reduce((s, r) => s + r, 0) / ranks.length;
  if (metric === "medianRank") {
    const s = [...ranks].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
  throw new Error(`no such metric ${metric}`);
}

/**
 * `auc:<metric>`: each entry gives `ranksByLevel` (its ranks at each of `options.levels`); the value
 * is the trapezoidal area under the metric over the levels divided by their span.
 */
export function independentRanking(
  entries: readonly { id: string; ranks: readonly number[]; ranksByLevel?: readonly (readonly number[])[] }[],
  groups: readonly string[],
  options: {
    metric: string;
    seed: number;
    label: string;
    samples: number;
    confidence: number;
    levels?: readonly number[];
  },
): IndependentRank[] {
  const auc = options.metric.startsWith("auc:");
  const base = auc ? options.metric.slice(4) : options.metric;
  const levels = options.levels ?? [];
  const statistic = (e: (typeof entries)[number], queries: readonly number[]) => {
    if (!auc)
      return plainMetric(
        base,
        queries.map((q) => e.ranks[q]!),
      );
    const values = levels.map((_, k) =>
      plainMetric(
        base,
        queries.map((q) => e.ranksByLevel![k]![q]!),
      ),
    );
    if (levels.length === 1) return values[0]!;
    let area = 0;
    for (let k = 1; k < levels.length; k++)
      area += (levels[k]! - levels[k - 1]!) * (values[k]! + values[k - 1]!) * 0.5;
    return area / (levels.at(-1)! - levels[0]!);
  };
  const all = groups.map((_, q) => q);
  const lowerIsBetter = base === "meanRank" || base === "medianRank";
  const studies = [...new Set(groups)].sort(byCodeUnit);
  const members = new Map(studies.map((s) => [s, [] as number[]]));
  groups.forEach((g, q) => {
    members.get(g)!.push(q);
  });
  const rng = Sfc32.fromLabel(`${options.seed}:leaderboard:${options.label}`);
  const replicates = entries.map(() => [] as number[]);
  for (let b = 0; b < options.samples; b++) {
    const drawn: number[] = [];
    for (let i = 0; i < studies.length; i++)
      drawn.push(...members.get(studies[rng.nextBelow(studies.length)]!)!);
    entries.forEach((e, i) => {
      replicates[i]!.push(statistic(e, drawn));
    });
  }
  const type7 = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    const h = (s.length - 1) * p;
    const f = Math.floor(h);
    return s[f]! + (h - f) * (s[Math.min(f + 1, s.length - 1)]! - s[f]!);
  };
  const alpha = (1 - options.confidence) / 2;
  const better = (i: number, j: number) =>
    type7(
      replicates[i]!.map((v, b) => (lowerIsBetter ? -1 : 1) * (v - replicates[j]![b]!)),
      alpha,
    ) > 0;
  const values = entries.map((e) => statistic(e, all));
  const order = entries
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (lowerIsBetter ? values[a]! - values[b]! : values[b]! - values[a]!) ||
        byCodeUnit(entries[a]!.id, entries[b]!.id),
    );
  const out: IndependentRank[] = [];
  let group = 0;
  let leader = -1;
  for (const i of order) {
    if (leader < 0 || better(leader, i)) {
      group++;
      leader = i;
    }
    const others = entries.map((_, j) => j).filter((j) => j !== i);
    const rankLow = 1 + others.filter((j) => better(j, i)).length;
    const rankHigh = entries.length - others.filter((j) => better(i, j)).length;
    out.push({
      id: entries[i]!.id,
      value: values[i]!,
      rankLow,
      rankHigh,
      label: rankLow === rankHigh ? `${rankLow}` : `${rankLow}-${rankHigh}`,
      tieGroup: group,
    });
  }
  return out;
}
