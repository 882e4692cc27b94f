import type { BenchmarkRunQuery } from "@cxr/api-client";

export type Run = BenchmarkRunQuery["benchmarkRun"];
export type Result = Run["results"][number];

const quote = (v: string | number | null) => {
  if (v === null) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** One row per (model, direction, level, metric), with the interval: what the run page tabulates. */
export function resultsCsv(run: Run): string {
  const lines = [
    [
      "run",
      "model",
      "model_fingerprint",
      "direction",
      "level",
      "queries",
      "candidates",
      "metric",
      "value",
      "low",
      "high",
    ].join(","),
  ];
  for (const r of sortedResults(run)) {
    for (const m of r.metrics) {
      lines.push(
        [
          run.runId,
          r.model,
          r.modelFingerprint,
          r.direction,
          r.level,
          r.queries,
          r.candidates,
          m.name,
          m.value,
          m.low ?? null,
          m.high ?? null,
        ]
          .map(quote)
          .join(","),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export function sortedResults(run: Run): Result[] {
  return [...run.results].sort(
    (a, b) => a.model.localeCompare(b.model) || a.direction.localeCompare(b.direction) || a.level - b.level,
  );
}
