import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { DIRECTIONS, type Direction, higherIsBetter } from "./metrics.ts";
import type { RecordFile, ResultRecord } from "./records.ts";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(digits);
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * One self-contained SVG: `metric` against level, one line per model with its confidence band
 * (a translucent polygon between the interval bounds). Unit metrics use a 0..1 axis.
 */
export function metricPlotSvg(
  results: readonly ResultRecord[],
  metric: string,
  direction: Direction,
): string {
  const rows = results.filter((r) => r.direction === direction && r.metrics[metric] !== undefined);
  const models = [...new Set(rows.map((r) => r.modelId))].sort();
  const levels = [...new Set(rows.map((r) => r.level))].sort((a, b) => a - b);
  const W = 640;
  const H = 380;
  const m = { l: 60, r: 150, t: 30, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const x0 = levels[0] ?? 0;
  const x1 = levels[levels.length - 1] ?? 1;
  const unit = higherIsBetter(metric);
  const yMax = unit ? 1 : niceMax(Math.max(1, ...rows.map((r) => r.ci[metric]?.high ?? r.metrics[metric]!)));
  const X = (v: number) => m.l + (x1 === x0 ? pw / 2 : ((v - x0) / (x1 - x0)) * pw);
  const Y = (v: number) => m.t + ph - (v / yMax) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<title>${esc(`${metric} (${direction}) vs level`)}</title>`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${m.l}" y="18" font-weight="bold">${esc(`${metric}, ${direction}`)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const y = Y(v).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(v, unit ? 1 : 0)}</text>`,
    );
  }
  for (const l of levels) {
    const x = X(l).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 18}" text-anchor="middle">${l}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">level</text>`);
  parts.push(
    `<text x="16" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.t + ph / 2})">${esc(metric)}</text>`,
  );
  models.forEach((model, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const pts = rows.filter((r) => r.modelId === model).sort((a, b) => a.level - b.level);
    const hi = pts.map(
      (r) => `${X(r.level).toFixed(1)},${Y(r.ci[metric]?.high ?? r.metrics[metric]!).toFixed(1)}`,
    );
    const lo = pts.map(
      (r) => `${X(r.level).toFixed(1)},${Y(r.ci[metric]?.low ?? r.metrics[metric]!).toFixed(1)}`,
    );
    parts.push(
      `<polygon points="${[...hi, ...lo.reverse()].join(" ")}" fill="${colour}" fill-opacity="0.18" stroke="none"/>`,
    );
    const line = pts.map((r) => `${X(r.level).toFixed(1)},${Y(r.metrics[metric]!).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${line}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const r of pts) {
      parts.push(
        `<circle cx="${X(r.level).toFixed(1)}" cy="${Y(r.metrics[metric]!).toFixed(1)}" r="3" fill="${colour}"><title>${esc(
          `${model} level ${r.level}: ${fmt(r.metrics[metric])} [${fmt(r.ci[metric]?.low)}, ${fmt(r.ci[metric]?.high)}]`,
        )}</title></circle>`,
      );
    }
    const ly = m.t + 10 + i * 20;
    parts.push(`<rect x="${m.l + pw + 12}" y="${ly - 6}" width="14" height="12" fill="${colour}"/>`);
    parts.push(`<text x="${m.l + pw + 32}" y="${ly}" dominant-baseline="middle">${esc(model)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/**
 * A self-contained HTML report (inline SVG and CSS, no external assets): one plot per metric for
 * image->text, then text->image Recall, a table of per-level values with intervals, the robustness
 * summaries, and the run's parameters.
 */
export function reportHtml(file: RecordFile, metrics?: readonly string[]): string {
  const { run, results, summaries } = file;
  const shown = metrics ?? [...run.protocol.recallAt.map((k) => `recall@${k}`), "mrr"];
  const sections: string[] = [];
  for (const direction of DIRECTIONS) {
    const rows = results.filter((r) => r.direction === direction);
    if (!rows.length) continue;
    sections.push(`<h2>${esc(direction)}</h2>`);
    for (const metric of shown) sections.push(`<figure>${metricPlotSvg(rows, metric, direction)}</figure>`);
    const header = [
      "model",
      "level",
      ...shown.map(esc),
      "median rank",
      "mean rank",
      "tied queries",
      ...shown.map((m) => `${esc(m)} over tie orders`),
    ];
    const body = [...rows]
      .sort((a, b) => (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : a.level - b.level))
      .map(
        (r) =>
          `<tr><td>${esc(r.modelId)}</td><td>${r.level}</td>${shown
            .map(
              (mm) =>
                `<td>${fmt(r.metrics[mm])} <small>[${fmt(r.ci[mm]?.low)}, ${fmt(r.ci[mm]?.high)}]</small></td>`,
            )
            .join(
              "",
            )}<td>${fmt(r.metrics["medianRank"], 1)}</td><td>${fmt(r.metrics["meanRank"], 1)}</td>${tieCells(r, shown)}</tr>`,
      );
    const first = rows[0]!;
    if (first.chance) {
      sections.push(
        `<p>Chance level (a random ranking on this direction's positive sets): ${shown
          .filter((m) => first.chance![m] !== undefined)
          .map((m) => `${esc(m)} ${fmt(first.chance![m])}`)
          .join(", ")}.</p>`,
      );
    }
    sections.push(
      "<p><small>Headline values follow the protocol's tie rule (equal scores ranked by candidate id). A tied query's positive has exactly the score of another candidate; the range is the metric with every tie broken for, then against, the positives.</small></p>",
    );
    sections.push(
      `<table><thead><tr>${header.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`,
    );
    const sums = summaries.filter((s) => s.direction === direction && shown.includes(s.metric));
    if (sums.length) {
      sections.push("<h3>Robustness</h3>");
      sections.push(
        `<table><thead><tr><th>model</th><th>metric</th><th>clean</th><th>AUC</th><th>AUC / clean</th><th>CE (ref ${esc(
          sums[0]?.referenceModel ?? "none",
        )})</th></tr></thead><tbody>${sums
          .map(
            (s) =>
              `<tr><td>${esc(s.modelId)}</td><td>${esc(s.metric)}</td><td>${fmt(s.clean)}</td><td>${fmt(s.auc)}</td><td>${fmt(
                s.relativeRobustness,
              )}</td><td>${fmt(s.corruptionError)}</td></tr>`,
          )
          .join("")}</tbody></table>`,
      );
    }
  }
  const p = run.protocol;
  const params = [
    ["protocol", `${run.protocolVersion} (${run.protocolKey})`],
    ["corruption", JSON.stringify(p.corruption)],
    ["levels", p.levels.join(", ")],
    ["seed", String(p.seed)],
    ["text field", p.textField],
    ["corpus", JSON.stringify(p.corpus)],
    ["views", p.views.join(", ")],
    ...(p.excludedImages ? [["excluded as undecodable", p.excludedImages.join(", ")]] : []),
    [
      "bootstrap",
      `B = ${p.bootstrap.samples}, ${p.bootstrap.confidence * 100}% percentile, resampling ${p.bootstrap.unit === "patient" ? "patients" : "studies"}`,
    ],
    ["dataset", `${run.dataset.id} (${run.dataset.fingerprint})`],
    [
      "models",
      run.models
        .map((mm) => `${mm.id} (${mm.fingerprint.slice(0, 12)}…, ${mm.executionProvider})`)
        .join("; "),
    ],
    ["counts", JSON.stringify(run.counts)],
    ["scoring", run.scoringKernel],
    ["software", `${run.software.package} ${run.software.version}, node ${run.software.node}`],
    ["time", `${run.startedAt} – ${run.endedAt}`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cxr bench ${esc(run.runId)}</title>
<style>body{font-family:sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:0.5rem}small{color:#666}</style>
</head><body>
<h1>Occlusion-robustness benchmark: run ${esc(run.runId)}</h1>
<table>${params.map(([k, v]) => `<tr><th>${esc(k!)}</th><td style="text-align:left">${esc(v!)}</td></tr>`).join("")}</table>
${sections.join("\n")}
</body></html>
`;
}

function tieCells(r: RecordFile["results"][number], shown: readonly string[]): string {
  if (!r.ties) return `<td>–</td>${shown.map(() => "<td>–</td>").join("")}`;
  const t = r.ties;
  return `<td>${t.queries} / ${r.queries}</td>${shown
    .map((m) => `<td>${fmt(t.pessimistic[m])} – ${fmt(t.optimistic[m])}</td>`)
    .join("")}`;
}

export async function writeReport(path: string, file: RecordFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, reportHtml(file));
}
