"use client";

import { useMemo } from "react";
import { Plot } from "../../components/Plot";
import type { Result } from "./results";

/** One plot per (direction, metric): each model's value against the level, with its interval band. */
export function RunCurves({ results, levels }: { results: Result[]; levels: number[] }) {
  const plots = useMemo(() => {
    const keys = new Map<string, { direction: string; metric: string }>();
    for (const r of results)
      for (const m of r.metrics)
        keys.set(`${r.direction} ${m.name}`, { direction: r.direction, metric: m.name });
    return [...keys.entries()].map(([key, { direction, metric }]) => {
      const models = [...new Set(results.map((r) => r.model))];
      const series = models.map((model) => {
        const at = (level: number) =>
          results
            .find((r) => r.model === model && r.direction === direction && r.level === level)
            ?.metrics.find((m) => m.name === metric);
        return {
          label: model,
          values: levels.map((l) => at(l)?.value ?? null),
          low: levels.map((l) => at(l)?.low ?? null),
          high: levels.map((l) => at(l)?.high ?? null),
        };
      });
      return { key, title: `${metric}, ${direction.toLowerCase().replaceAll("_", " ")}`, metric, series };
    });
  }, [results, levels]);
  return (
    <div className="grid-cards">
      {plots.map((p) => (
        <Plot
          key={p.key}
          title={p.title}
          x={levels}
          xLabel="occlusion level"
          yLabel={p.metric}
          series={p.series}
          height={220}
        />
      ))}
    </div>
  );
}
