import { pointId } from "../src/ids.ts";
import type { Payload, Point } from "../src/types.ts";

/** Seeded PRNG (mulberry32) so every run and every store sees the same vectors. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVector(next: () => number, dimension: number): Float32Array {
  const v = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) v[i] = next() * 2 - 1;
  return v;
}

const DATASETS = ["mimic", "chexpert", "synthetic"];
const SPLITS = ["train", "validate", "test"];
const VIEWS = ["PA", "AP", "LATERAL"];

/** n points with keyword payloads spread over datasets / splits / views, keys "item-<i>". */
export function makePoints(n: number, dimension: number, seed = 1, offset = 0): Point[] {
  const next = rng(seed);
  return Array.from({ length: n }, (_, j) => {
    const i = j + offset;
    const payload: Payload = {
      key: `item-${i}`,
      dataset: DATASETS[i % 3]!,
      split: SPLITS[Math.floor(i / 3) % 3]!,
      view: VIEWS[i % 2]!,
      studyId: `s${Math.floor(i / 2)}`,
      n: i,
    };
    return { id: pointId(`item-${i}`), vector: randomVector(next, dimension), payload };
  });
}

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** Brute-force reference top-k in float64. */
export function bruteForce(
  points: Point[],
  query: Float32Array,
  k: number,
  distance: "cosine" | "dot",
  accept: (p: Point) => boolean = () => true,
): Array<{ id: string; score: number }> {
  const qn = distance === "cosine" ? norm(query) : 1;
  return points
    .filter(accept)
    .map((p) => {
      let s = 0;
      for (let i = 0; i < query.length; i++) s += p.vector[i]! * query[i]!;
      const pn = distance === "cosine" ? norm(p.vector) : 1;
      return { id: p.id, score: s / (qn * pn) };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
