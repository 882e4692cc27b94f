"use client";

import dynamic from "next/dynamic";
import { useMemo } from "react";
import type { PlotSeries } from "../components/Plot";

// uPlot is loaded after the table is on screen: it is not part of the page's first-load JavaScript.
const Plot = dynamic(() => import("../components/Plot").then((m) => m.Plot), {
  ssr: false,
  loading: () => (
    <p className="state loading" role="status">
      Loading plot…
    </p>
  ),
});

export interface ChartEntry {
  model: string;
  /** The sorted metric per level (in the board's level order), with its interval. */
  values: (number | null)[];
  low: (number | null)[];
  high: (number | null)[];
  /** Robustness: the area under the metric-against-level curve. */
  auc: number | null;
}

/** Metric against level per entry with interval bands, and the Pareto view (clean vs robustness). */
export function Charts({
  entries,
  levels,
  metric,
  direction,
  invert,
}: {
  entries: ChartEntry[];
  levels: number[];
  metric: string;
  direction: string;
  invert: boolean;
}) {
  const curves: PlotSeries[] = useMemo(
    () => entries.map((e) => ({ label: e.model, values: e.values, low: e.low, high: e.high })),
    [entries],
  );
  const pareto = useMemo(() => {
    const points = entries
      .map((e) => ({ model: e.model, x: e.values[0] ?? null, y: e.auc }))
      .filter((p): p is { model: string; x: number; y: number } => p.x !== null && p.y !== null);
    const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
    const series: PlotSeries[] = points.map((p) => ({
      label: p.model,
      values: xs.map((x) => (x === p.x ? p.y : null)),
    }));
    return { xs, series };
  }, [entries]);
  return (
    <div className="grid-cards">
      <section aria-labelledby="curves-title">
        <h2 id="curves-title">
          {metric} against level ({direction})
        </h2>
        <Plot
          title={`${metric}, ${direction}`}
          x={levels}
          xLabel="occlusion level"
          yLabel={metric}
          series={curves}
          invertY={invert}
          height={260}
        />
      </section>
      <section aria-labelledby="pareto-title">
        <h2 id="pareto-title">Pareto view: clean {metric} against robustness</h2>
        {pareto.series.length === 0 ? (
          <p className="state empty">No entry has both a clean value and a robustness summary.</p>
        ) : (
          <Plot
            title={`clean ${metric} vs robustness AUC`}
            x={pareto.xs}
            xLabel={`clean ${metric} (level ${levels[0] ?? 0})`}
            yLabel={`${metric} AUC over levels`}
            series={pareto.series}
            scatter
            height={260}
          />
        )}
      </section>
    </div>
  );
}
