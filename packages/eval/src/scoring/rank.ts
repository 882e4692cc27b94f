import type { Scorer } from "./scorer.ts";

/** Rows of `n` vectors of `dim` floats, L2-normalised (float64 norm, result rounded to float32). */
export function l2NormalizeRows(
  rows: readonly Float32Array[],
  dim: number,
  what = "embedding",
): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((row, r) => {
    if (row.length !== dim) throw new Error(`${what} ${r} has ${row.length} values, expected ${dim}`);
    let ss = 0;
    for (let k = 0; k < dim; k++) {
      const v = row[k]!;
      if (!Number.isFinite(v)) throw new Error(`${what} ${r} has a non-finite value at ${k}`);
      ss += v * v;
    }
    if (ss === 0) throw new Error(`${what} ${r} is the zero vector; it has no direction to compare`);
    const inv = 1 / Math.sqrt(ss);
    for (let k = 0; k < dim; k++) out[r * dim + k] = row[k]! * inv;
  });
  return out;
}

export interface RankInput {
  /** nq rows of dim floats (already L2-normalised for cosine similarity). */
  queries: Float32Array;
  /** nc rows of dim floats (already L2-normalised). */
  candidates: Float32Array;
  dim: number;
  /** For each query, the indices of its positive candidates (at least one each). */
  positives: readonly (readonly number[])[];
  /**
   * Tie order of each candidate: smaller wins a tie. Default: the candidate's index. Pass the position
   * of each candidate's id in id order when the candidate array is not sorted by id.
   */
  tieOrder?: Int32Array;
  scorer: Scorer;
  /** Queries per block (default 1024). */
  queryBlock?: number;
  /** Candidates per block (default 8192). Memory: queryBlock x candidateBlock float32 scores. */
  candidateBlock?: number;
  /** Called after each query block with the number of queries ranked so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface RankOutput {
  /** 1-based rank of each query's best-ranked positive. */
  ranks: Int32Array;
  /** The candidate index of that positive. */
  bestPositive: Int32Array;
  /** Its score. */
  bestScore: Float32Array;
  /**
   * Rank of the best positive when every exact tie (equal score) with a non-positive candidate is
   * broken in the positive's favour (1 + candidates with a strictly higher score) ...
   */
  optimisticRanks: Int32Array;
  /** ... and against it (1 + higher + non-positive candidates with exactly the same score). */
  pessimisticRanks: Int32Array;
}

/**
 * Exact ranking over the whole candidate set, in blocks. Ranking: score descending, ties broken by
 * tie order ascending. For each query only two things are kept: its best-ranked positive (score, tie
 * order) and the number of candidates that rank above it; rank = that count + 1.
 *
 * Two passes per query block over the same kernel blocks: first the candidate blocks holding any of the
 * block's positives (queries are visited sorted by their first positive, so these are few), then every
 * candidate block to count. Both passes compare scores computed by the identical kernel call, so a
 * positive is compared with other candidates on the same arithmetic. When the scorer offers a fused
 * `count`, blocks without positives are counted by it (the scores never leave the kernel); blocks with
 * positives are always counted here on the scores the positives were read from.
 */
export async function rankQueries(input: RankInput): Promise<RankOutput> {
  const { queries, candidates, dim, positives, scorer } = input;
  const nq = positives.length;
  const nc = candidates.length / dim;
  if (!Number.isInteger(nc)) throw new Error("candidates length is not a multiple of dim");
  if (queries.length !== nq * dim)
    throw new Error(`queries hold ${queries.length / dim} rows, positives ${nq}`);
  const tie = input.tieOrder ?? Int32Array.from({ length: nc }, (_, i) => i);
  if (tie.length !== nc) throw new Error("tieOrder length differs from the candidate count");
  const qb = Math.max(1, input.queryBlock ?? 1024);
  const cb = Math.max(1, input.candidateBlock ?? 8192);

  for (let q = 0; q < nq; q++) {
    const pos = positives[q]!;
    if (pos.length === 0) throw new Error(`query ${q} has no positive candidate`);
    for (const p of pos)
      if (!(p >= 0 && p < nc && Number.isInteger(p))) throw new Error(`query ${q}: bad positive ${p}`);
  }
  const minPos = positives.map((pos) => pos.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY));
  const order = Array.from({ length: nq }, (_, i) => i).sort((a, b) => minPos[a]! - minPos[b]! || a - b);

  const ranks = new Int32Array(nq);
  const bestPositive = new Int32Array(nq);
  const bestScore = new Float32Array(nq);
  const optimisticRanks = new Int32Array(nq);
  const pessimisticRanks = new Int32Array(nq);
  const qbuf = new Float32Array(qb * dim);
  const nBlocks = Math.ceil(nc / cb);
  const candBlock = (b: number) => {
    const c0 = b * cb;
    const n = Math.min(cb, nc - c0);
    return { c0, n, rows: candidates.subarray(c0 * dim, (c0 + n) * dim) };
  };

  for (let s = 0; s < nq; s += qb) {
    const members = order.slice(s, s + qb);
    const m = members.length;
    for (let i = 0; i < m; i++)
      qbuf.set(queries.subarray(members[i]! * dim, (members[i]! + 1) * dim), i * dim);
    const bs = new Float64Array(m).fill(Number.NEGATIVE_INFINITY);
    const bt = new Int32Array(m).fill(2147483647);
    const bp = new Int32Array(m).fill(-1);

    // Pass 1: scores of the positives.
    const posBlocks = new Set<number>();
    for (const q of members) for (const p of positives[q]!) posBlocks.add(Math.floor(p / cb));
    const kept = new Map<number, Float32Array>();
    let keptBytes = 0;
    for (const b of [...posBlocks].sort((x, y) => x - y)) {
      const { c0, n, rows } = candBlock(b);
      const S = await scorer.block(qbuf, m, rows, n, dim);
      for (let i = 0; i < m; i++) {
        for (const p of positives[members[i]!]!) {
          if (p < c0 || p >= c0 + n) continue;
          const sc = S[i * n + (p - c0)]!;
          const t = tie[p]!;
          if (sc > bs[i]! || (sc === bs[i]! && t < bt[i]!)) {
            bs[i] = sc;
            bt[i] = t;
            bp[i] = p;
          }
        }
      }
      if (keptBytes + S.byteLength <= 256 * 1024 * 1024) {
        kept.set(b, S);
        keptBytes += S.byteLength;
      }
    }

    // Pass 2: count the candidates that rank above the best positive, those strictly above, and the
    // non-positive candidates with exactly its score (the ties the tie rule decides).
    const count = new Float64Array(m);
    const greater = new Float64Array(m);
    const tied = new Float64Array(m);
    const thr = Float32Array.from(bs);
    for (let b = 0; b < nBlocks; b++) {
      const { c0, n, rows } = candBlock(b);
      const S = kept.get(b);
      // Blocks holding positives are always counted on the very scores the positives were read from.
      if (!S && scorer.count && !posBlocks.has(b)) {
        // No positive lies in this block, so every equal score is a non-positive tie.
        const counts = await scorer.count(qbuf, m, rows, n, dim, thr, bt, tie.subarray(c0, c0 + n));
        for (let i = 0; i < m; i++) {
          count[i]! += counts.count[i]!;
          greater[i]! += counts.greater[i]!;
          tied[i]! += counts.equal[i]!;
        }
        continue;
      }
      const block = S ?? (await scorer.block(qbuf, m, rows, n, dim));
      const hasPositives = posBlocks.has(b);
      for (let i = 0; i < m; i++) {
        const t = thr[i]!;
        const tt = bt[i]!;
        const o = i * n;
        let c = 0;
        let g = 0;
        let e = 0;
        for (let j = 0; j < n; j++) {
          const v = block[o + j]!;
          if (v > t) {
            c++;
            g++;
          } else if (v === t) {
            if (tie[c0 + j]! < tt) c++;
            e++;
          }
        }
        if (hasPositives && e > 0) {
          // Positives with the best positive's score (itself included) are not ties against it.
          for (const p of positives[members[i]!]!) if (p >= c0 && p < c0 + n && block[o + p - c0] === t) e--;
        }
        count[i]! += c;
        greater[i]! += g;
        tied[i]! += e;
      }
    }
    for (let i = 0; i < m; i++) {
      const q = members[i]!;
      ranks[q] = count[i]! + 1;
      optimisticRanks[q] = greater[i]! + 1;
      pessimisticRanks[q] = greater[i]! + tied[i]! + 1;
      bestPositive[q] = bp[i]!;
      bestScore[q] = bs[i]!;
    }
    input.onProgress?.(Math.min(nq, s + m), nq);
  }
  return { ranks, bestPositive, bestScore, optimisticRanks, pessimisticRanks };
}

/** Tie order of candidates from their ids: the position of each id in code-unit order. */
export function tieOrderFromIds(ids: readonly string[]): Int32Array {
  const idx = ids.map((_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : a - b));
  const out = new Int32Array(ids.length);
  idx.forEach((i, r) => {
    out[i] = r;
  });
  return out;
}
