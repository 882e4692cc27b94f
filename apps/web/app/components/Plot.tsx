"use client";

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/**
 * The one plot of the UI (run curves, the search page's rank against level, the leaderboard's
 * curves and its Pareto scatter): lines over a numeric x, each with an optional interval band, drawn by uPlot.
 * The numbers it draws are always also in a table or text next to it, for screen readers.
 */
export interface PlotSeries {
  label: string;
  values: (number | null)[];
  /** The interval's bounds, drawn as a band around the line. */
  low?: (number | null)[];
  high?: (number | null)[];
}

export interface PlotProps {
  title: string;
  x: number[];
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  /** Draw larger y downwards (ranks: 1 at the top). */
  invertY?: boolean;
  height?: number;
  /** A scatter: points only, no lines (x need not be a level; null where a series has no point). */
  scatter?: boolean;
}

const COLOURS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#be123c", "#0f766e"];

export function Plot({
  title,
  x,
  xLabel,
  yLabel,
  series,
  invertY = false,
  height = 240,
  scatter = false,
}: PlotProps) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const data: (number | null)[][] = [x];
    const uSeries: uPlot.Series[] = [{ label: xLabel }];
    const bands: uPlot.Band[] = [];
    const bandSeries: number[] = [];
    series.forEach((s, i) => {
      const colour = COLOURS[i % COLOURS.length]!;
      data.push(s.values);
      uSeries.push(
        scatter
          ? {
              label: s.label,
              stroke: colour,
              fill: colour,
              paths: () => null,
              points: { show: true, size: 10 },
            }
          : { label: s.label, stroke: colour, width: 2, points: { show: true, size: 6 } },
      );
      const line = data.length - 1;
      if (s.low && s.high) {
        data.push(s.high, s.low);
        uSeries.push(
          { label: `${s.label} high`, stroke: "transparent", points: { show: false } },
          { label: `${s.label} low`, stroke: "transparent", points: { show: false } },
        );
        bands.push({ series: [line + 1, line + 2], fill: `${colour}33` });
        bandSeries.push(line + 1, line + 2);
      }
    });
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      title,
      series: uSeries,
      bands,
      legend: { show: true, live: false },
      scales: { x: { time: false }, y: invertY ? { dir: -1 } : {} },
      axes: [{ label: xLabel }, { label: yLabel }],
    };
    const plot = new uPlot(opts, data as uPlot.AlignedData, el);
    // the band edges are not series a reader picks: keep them out of the legend
    const rows = plot.root.querySelectorAll<HTMLElement>(".u-legend .u-series");
    // the legend lists the x series too only when it is live: align rows with series indices
    const offset = uSeries.length - rows.length;
    for (const i of bandSeries) rows[i - offset]?.style.setProperty("display", "none");
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, x, xLabel, yLabel, series, invertY, height, scatter]);

  return <figure className="chart" aria-label={title} ref={host} style={{ margin: 0 }} />;
}
