/**
 * The search page's whole state, kept in the URL so a link reproduces the view:
 * q = upload:<id> | image:<imageId> | text:<words>; models = a,b; level; grid; seed; fill; k.
 */
export type Query =
  | { kind: "upload"; id: string }
  | { kind: "image"; id: string }
  | { kind: "text"; text: string };
export type Fill = "BLACK" | "MEAN" | "NOISE";

export interface SearchState {
  query: Query | null;
  models: string[];
  level: number;
  grid: number;
  seed: number;
  fill: Fill;
  k: number;
}

export const DEFAULTS = { level: 0, grid: 8, seed: 0, fill: "BLACK" as Fill, k: 10 };

const int = (value: string | null, fallback: number, min: number, max: number) => {
  const n = value === null ? Number.NaN : Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
};

export function parseState(params: URLSearchParams): SearchState {
  const q = params.get("q");
  let query: Query | null = null;
  if (q?.startsWith("upload:") && q.length > 7) query = { kind: "upload", id: q.slice(7) };
  else if (q?.startsWith("image:") && q.length > 6) query = { kind: "image", id: q.slice(6) };
  else if (q?.startsWith("text:") && q.trim().length > 5) query = { kind: "text", text: q.slice(5) };
  const levelRaw = Number(params.get("level") ?? "0");
  const fill = params.get("fill");
  return {
    query,
    models: (params.get("models") ?? "").split(",").filter((m) => m !== ""),
    level: Number.isFinite(levelRaw) && levelRaw >= 0 && levelRaw <= 1 ? levelRaw : 0,
    grid: int(params.get("grid"), DEFAULTS.grid, 1, 64),
    seed: int(params.get("seed"), DEFAULTS.seed, 0, 2 ** 31 - 1),
    fill: fill === "MEAN" || fill === "NOISE" ? fill : "BLACK",
    k: int(params.get("k"), DEFAULTS.k, 1, 50),
  };
}

export function toParams(state: SearchState): URLSearchParams {
  const p = new URLSearchParams();
  if (state.query) {
    p.set(
      "q",
      state.query.kind === "text" ? `text:${state.query.text}` : `${state.query.kind}:${state.query.id}`,
    );
  }
  if (state.models.length > 0) p.set("models", state.models.join(","));
  if (state.level !== DEFAULTS.level) p.set("level", String(state.level));
  if (state.grid !== DEFAULTS.grid) p.set("grid", String(state.grid));
  if (state.seed !== DEFAULTS.seed) p.set("seed", String(state.seed));
  if (state.fill !== DEFAULTS.fill) p.set("fill", state.fill);
  if (state.k !== DEFAULTS.k) p.set("k", String(state.k));
  return p;
}

export const isImageQuery = (q: Query | null) => q !== null && q.kind !== "text";
