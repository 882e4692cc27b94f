import { isUnitMetric } from "./metrics.ts";

export interface LevelValue {
  level: number;
  value: number;
}

export interface RobustnessSummary {
  metric: string;
  /** m(0), or null when level 0 was not run. */
  clean: number | null;
  /** 1 - m(p)/m(0) at each level (null without a clean value or when m(0) = 0). */
  relativeDrop: { level: number; value: number | null }[];
  /** Trapezoidal area under m(p) over the levels, divided by the level span (the mean over levels). */
  auc: number;
  /** auc / m(0). */
  relativeRobustness: number | null;
  /** sum_p (1 - m(p)) / sum_p (1 - m_ref(p)) over the same levels (unit metrics with a reference only). */
  corruptionError: number | null;
}

/** Trapezoidal AUC over levels divided by (last - first level); a single level gives its value. */
export function normalizedAuc(points: readonly LevelValue[]): number {
  const p = [...points].sort((a, b) => a.level - b.level);
  if (p.length === 0) throw new Error("AUC of no levels");
  if (p.length === 1) return p[0]!.value;
  let area = 0;
  for (let i = 1; i < p.length; i++)
    area += ((p[i]!.level - p[i - 1]!.level) * (p[i]!.value + p[i - 1]!.value)) / 2;
  return area / (p[p.length - 1]!.level - p[0]!.level);
}

/**
 * Corruption error normalised by a reference model, as ImageNet-C's CE: the model's summed error
 * (1 - m) over levels divided by the reference's summed error over the same levels.
 */
export function corruptionError(
  model: readonly LevelValue[],
  reference: readonly LevelValue[],
): number | null {
  const ref = new Map(reference.map((r) => [r.level, r.value]));
  let num = 0;
  let den = 0;
  for (const { level, value } of model) {
    const r = ref.get(level);
    if (r === undefined) return null;
    num += 1 - value;
    den += 1 - r;
  }
  return den === 0 ? null : num / den;
}

export function summarize(
  metric: string,
  points: readonly LevelValue[],
  reference?: readonly LevelValue[],
): RobustnessSummary {
  const sorted = [...points].sort((a, b) => a.level - b.level);
  const clean = sorted.find((p) => p.level === 0)?.value ?? null;
  const auc = normalizedAuc(sorted);
  return {
    metric,
    clean,
    relativeDrop: sorted.map((p) => ({
      level: p.level,
      value: clean === null || clean === 0 ? null : 1 - p.value / clean,
    })),
    auc,
    relativeRobustness: clean === null || clean === 0 ? null : auc / clean,
    corruptionError: reference && isUnitMetric(metric) ? corruptionError(sorted, reference) : null,
  };
}
