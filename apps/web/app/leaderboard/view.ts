import type { Direction, LeaderboardFilter, LeaderboardSort, Provenance } from "@cxr/api-client";

/**
 * The leaderboard page's whole state, kept in the URL (a permalink): board, metric, level,
 * direction, provenance (comma list), license, inDomain (true/false), asOf (pins the view to a
 * time). The same names as the API's export routes, so an export link is this query string.
 */
export interface BoardView {
  board: string | null;
  metric: string;
  level: number | null;
  direction: Direction;
  provenance: Provenance[];
  license: string | null;
  inDomain: boolean | null;
  asOf: string | null;
}

export const PROVENANCES: Provenance[] = ["VERIFIED", "SUBMITTED", "DISPUTED", "REPORTED"];
export const DEFAULT_METRIC = "recall@1";

type Params = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => {
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return s === undefined || s.trim() === "" ? null : s.trim();
};

export function parseView(params: Params): BoardView {
  const level = Number(one(params.level) ?? Number.NaN);
  const direction = one(params.direction);
  const inDomain = one(params.inDomain);
  const prov = [params.provenance].flat().flatMap((p) => (p ?? "").split(","));
  return {
    board: one(params.board),
    metric: one(params.metric) ?? DEFAULT_METRIC,
    level: Number.isFinite(level) ? level : null,
    direction: direction === "TEXT_TO_IMAGE" ? "TEXT_TO_IMAGE" : "IMAGE_TO_TEXT",
    provenance: PROVENANCES.filter((p) => prov.includes(p)),
    license: one(params.license),
    inDomain: inDomain === "true" ? true : inDomain === "false" ? false : null,
    asOf: one(params.asOf),
  };
}

/** The view as a query string (defaults left out), optionally with other values. */
export function viewQuery(view: BoardView, change: Partial<BoardView> = {}): string {
  const v = { ...view, ...change };
  const q = new URLSearchParams();
  if (v.board) q.set("board", v.board);
  if (v.metric !== DEFAULT_METRIC) q.set("metric", v.metric);
  if (v.level !== null) q.set("level", String(v.level));
  if (v.direction !== "IMAGE_TO_TEXT") q.set("direction", v.direction);
  if (v.provenance.length > 0) q.set("provenance", v.provenance.join(","));
  if (v.license) q.set("license", v.license);
  if (v.inDomain !== null) q.set("inDomain", String(v.inDomain));
  if (v.asOf) q.set("asOf", v.asOf);
  return q.toString();
}

export function viewVariables(view: BoardView): {
  filter: LeaderboardFilter;
  sort: LeaderboardSort;
  asOf?: string;
} {
  const filter: LeaderboardFilter = {};
  if (view.board) filter.board = view.board;
  if (view.provenance.length > 0) filter.provenance = view.provenance;
  if (view.license) filter.license = view.license;
  if (view.inDomain !== null) filter.inDomain = view.inDomain;
  const sort: LeaderboardSort = { metric: view.metric, direction: view.direction };
  if (view.level !== null) sort.level = view.level;
  return { filter, sort, ...(view.asOf ? { asOf: view.asOf } : {}) };
}

/** Ranks: lower is better. Everything else (recall, MRR): higher is better. */
export const lowerIsBetter = (metric: string) => /rank/i.test(metric);

export const metricDigits = (metric: string) => (lowerIsBetter(metric) ? 1 : 3);

/** The metrics a board offers, in a stable reading order. */
export function boardMetrics(recallAt: number[]): string[] {
  return [...recallAt.map((k) => `recall@${k}`), "mrr", "medianRank", "meanRank"];
}

export const directionWords = (d: string) => (d === "TEXT_TO_IMAGE" ? "text → image" : "image → text");
