import { type Direction, metricNames } from "./metrics.ts";
import type { ResultRecord, SummaryRecord } from "./records.ts";
import { summarize } from "./robustness.ts";

/**
 * Robustness summaries per (model, corruption, direction, metric) from result records of one protocol.
 * The corruption error is relative to `referenceModel` (default: the model with id "clip" when present;
 * pass null for none); it is null when the reference has no results at the same levels.
 */
export function summarizeResults(
  results: readonly ResultRecord[],
  referenceModel?: string | null,
): SummaryRecord[] {
  const out: SummaryRecord[] = [];
  const keys = new Map<string, ResultRecord[]>();
  for (const r of results) {
    const k = JSON.stringify([r.protocolKey, r.modelId, r.corruption, r.direction]);
    const list = keys.get(k) ?? [];
    list.push(r);
    keys.set(k, list);
  }
  const models = new Set(results.map((r) => r.modelId));
  const ref = referenceModel === undefined ? (models.has("clip") ? "clip" : null) : referenceModel;
  const lookup = (protocolKey: string, modelId: string, corruption: string, direction: Direction) =>
    keys.get(JSON.stringify([protocolKey, modelId, corruption, direction])) ?? [];
  for (const list of keys.values()) {
    const first = list[0]!;
    const refList = ref ? lookup(first.protocolKey, ref, first.corruption, first.direction) : [];
    for (const metric of metricNames(first.recallAt)) {
      const points = list.map((r) => ({ level: r.level, value: r.metrics[metric]! }));
      const refPoints = refList.length
        ? refList.map((r) => ({ level: r.level, value: r.metrics[metric]! }))
        : undefined;
      out.push({
        kind: "summary",
        protocolKey: first.protocolKey,
        modelId: first.modelId,
        corruption: first.corruption,
        direction: first.direction,
        referenceModel: refPoints ? ref : null,
        ...summarize(metric, points, refPoints),
      });
    }
  }
  return out;
}
