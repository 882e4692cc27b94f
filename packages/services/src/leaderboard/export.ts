import { type LeaderboardDb, type LeaderboardView, leaderboardView, type ViewQuery } from "./board.ts";

/**
 * Exports of a filtered view: the permalink and the as-of time inside the file, so that a cited
 * table can be re-opened to the same rows. CSV cells that a spreadsheet would run as a formula
 * (starting with = + - @, or a tab or carriage return) are prefixed with an apostrophe (OWASP).
 */

const COLUMNS = [
  "board",
  "dataset",
  "split",
  "protocolKey",
  "rank",
  "tieGroup",
  "model",
  "modelFingerprint",
  "provenance",
  "license",
  "inDomain",
  "metric",
  "direction",
  "level",
  "value",
  "low",
  "high",
  "entryId",
  "runId",
  "createdAt",
] as const;

export function neutraliseCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function rowsOf(view: LeaderboardView): unknown[][] {
  return view.rows.map((r) => [
    r.board.id,
    r.board.datasetName,
    r.board.split,
    r.board.protocolKey,
    r.rankLabel,
    r.tieGroup,
    r.entry.modelName,
    r.entry.modelFingerprint,
    r.entry.provenance,
    r.entry.license,
    r.entry.inDomain,
    view.metric,
    view.direction,
    // an AUC sort spans every level
    view.metric.startsWith("auc:")
      ? "all"
      : (r.entry.cells.find(
          (c) => c.direction === view.direction && (view.level === null || c.level === view.level),
        )?.level ?? ""),
    r.value,
    r.low,
    r.high,
    r.entry.id,
    r.entry.runId,
    r.entry.createdAt,
  ]);
}

export async function exportView(
  db: LeaderboardDb,
  query: ViewQuery,
  permalink: (asOf: string) => string,
): Promise<{ view: LeaderboardView; csv: string; json: string }> {
  const view = await leaderboardView(db, query);
  const link = permalink(view.asOf);
  const csv = [
    `# permalink,${neutraliseCell(link)}`,
    `# asOf,${view.asOf}`,
    COLUMNS.join(","),
    ...rowsOf(view).map((r) => r.map(neutraliseCell).join(",")),
  ].join("\n");
  const json = JSON.stringify(
    {
      format: "cxr-leaderboard-export/1",
      permalink: link,
      asOf: view.asOf,
      metric: view.metric,
      direction: view.direction,
      level: view.level,
      columns: COLUMNS,
      rows: rowsOf(view),
    },
    null,
    1,
  );
  return { view, csv: `${csv}\n`, json: `${json}\n` };
}
