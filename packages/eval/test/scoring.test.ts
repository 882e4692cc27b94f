import * as onnx from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { computeMetrics } from "../src/metrics.ts";
import { Sfc32 } from "../src/prng.ts";
import { l2NormalizeRows, rankQueries, tieOrderFromIds } from "../src/scoring/rank.ts";
import { JsScorer, OrtScorer, type Scorer } from "../src/scoring/scorer.ts";

const rows = (...r: number[][]) => r.map((x) => Float32Array.from(x));
let ort: OrtScorer;
let ortMatmul: OrtScorer;
const js = new JsScorer();
beforeAll(async () => {
  ort = await OrtScorer.create({ intraOpNumThreads: 1 });
  ortMatmul = await OrtScorer.create({ op: "matmul", intraOpNumThreads: 1 });
});
afterAll(async () => {
  await ort.close();
  await ortMatmul.close();
});

function randomUnit(n: number, dim: number, label: string): Float32Array[] {
  const r = Sfc32.fromLabel(label);
  return Array.from({ length: n }, () =>
    Float32Array.from({ length: dim }, () => r.nextUint32() / 2 ** 31 - 1),
  );
}

describe("exact ranking", () => {
  it("hand-computed case with the tie rule", async () => {
    // candidates (unit after normalising): c0 = x, c1 = y, c2 = x (tie with c0), c3 = -x
    const C = l2NormalizeRows(rows([1, 0], [0, 1], [2, 0], [-1, 0]), 2);
    // q0 = x: scores 1, 0, 1, -1. positive c2: c0 ties and has a smaller id -> rank 2. positive c0 -> rank 1.
    // q1 = (1, 1): scores .707, .707, .707, -.707; positive c1 -> c0 beats it on id -> rank 2.
    // q2 = -x: positive c1 (score 0): c3 (1) beats it -> rank 2. positives {c1, c0}: best is c1 -> rank 2.
    const Q = l2NormalizeRows(rows([1, 0], [1, 0], [1, 1], [-1, 0], [-1, 0]), 2);
    for (const scorer of [js, ort, ortMatmul] as Scorer[]) {
      const out = await rankQueries({
        queries: Q,
        candidates: C,
        dim: 2,
        positives: [[2], [0], [1], [1], [1, 0]],
        scorer,
      });
      expect([...out.ranks], scorer.name).toEqual([2, 1, 2, 2, 2]);
      expect([...out.bestPositive]).toEqual([2, 0, 1, 1, 1]);
    }
  });

  it("tie order can come from ids instead of positions", async () => {
    const C = l2NormalizeRows(rows([1, 0], [1, 0]), 2);
    const Q = l2NormalizeRows(rows([1, 0]), 2);
    const ids = ["b", "a"]; // candidate 1 has the smaller id and wins the tie
    const out = await rankQueries({
      queries: Q,
      candidates: C,
      dim: 2,
      positives: [[0]],
      scorer: js,
      tieOrder: tieOrderFromIds(ids),
    });
    expect(out.ranks[0]).toBe(2);
    expect([...tieOrderFromIds(["c", "a", "b"])]).toEqual([2, 0, 1]);
  });

  it("identical embeddings give Recall@1 = 1", async () => {
    const E = l2NormalizeRows(randomUnit(50, 16, "same"), 16);
    const out = await rankQueries({
      queries: E,
      candidates: E,
      dim: 16,
      positives: Array.from({ length: 50 }, (_, i) => [i]),
      scorer: ort,
    });
    expect(computeMetrics(out.ranks, [1])["recall@1"]).toBe(1);
  });

  it("shuffling the candidates (ids travel with them) changes nothing; block sizes change nothing", async () => {
    const dim = 8;
    const base = randomUnit(300, dim, "cands");
    for (let i = 0; i < 40; i++) base[i + 100] = base[i]!.slice(); // exact duplicates: ties
    const C = l2NormalizeRows(base, dim);
    const Q = l2NormalizeRows(randomUnit(120, dim, "queries"), dim);
    const r = Sfc32.fromLabel("pos");
    const positives = Array.from({ length: 120 }, () => [r.nextBelow(300), r.nextBelow(300)]);
    const ref = await rankQueries({ queries: Q, candidates: C, dim, positives, scorer: ort });

    const perm = Array.from({ length: 300 }, (_, i) => i);
    for (let i = 299; i > 0; i--) {
      const j = r.nextBelow(i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const inv = new Array<number>(300);
    perm.forEach((old, pos) => {
      inv[old] = pos;
    });
    const shuffled = l2NormalizeRows(
      perm.map((old) => base[old]!),
      dim,
    );
    const tieOrder = Int32Array.from(perm); // the id of the candidate now at `pos` is its old index
    for (const [qb, cb] of [
      [7, 13],
      [1000, 1000],
      [64, 1],
    ] as const) {
      const out = await rankQueries({
        queries: Q,
        candidates: shuffled,
        dim,
        positives: positives.map((p) => p.map((c) => inv[c]!)),
        scorer: ort,
        tieOrder,
        queryBlock: qb,
        candidateBlock: cb,
      });
      expect([...out.ranks]).toEqual([...ref.ranks]);
      expect([...out.bestPositive].map((p) => perm[p])).toEqual([...ref.bestPositive]);
    }
  });

  it("the ONNX Runtime kernels agree with the TypeScript kernel", async () => {
    const dim = 32;
    const C = l2NormalizeRows(randomUnit(257, dim, "c2"), dim);
    const Q = l2NormalizeRows(randomUnit(65, dim, "q2"), dim);
    const a = await js.block(Q, 65, C, 257, dim);
    const b = await ort.block(Q, 65, C, 257, dim);
    const c = await ortMatmul.block(Q, 65, C, 257, dim);
    let worst = 0;
    for (let i = 0; i < a.length; i++)
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!), Math.abs(a[i]! - c[i]!));
    expect(a.length).toBe(65 * 257);
    expect(worst).toBeLessThan(1e-5);
  });

  it("the fused count graph gives the ranks of counting in TypeScript, exact ties included", async () => {
    // Sparse sign vectors: scores are exact multiples of 1/16 in any arithmetic, so ties are real.
    const dim = 64;
    const r = Sfc32.fromLabel("fused");
    const sparse = () => {
      const v = new Float32Array(dim);
      for (let placed = 0; placed < 16; ) {
        const k = r.nextBelow(dim);
        if (v[k] === 0) {
          v[k] = r.nextBelow(2) ? 1 : -1;
          placed++;
        }
      }
      return v;
    };
    const C = l2NormalizeRows(Array.from({ length: 3000 }, sparse), dim);
    const Q = l2NormalizeRows(Array.from({ length: 200 }, sparse), dim);
    const positives = Array.from({ length: 200 }, () => [r.nextBelow(3000)]);
    const tieOrder = Int32Array.from({ length: 3000 }, (_, i) => (i * 7919) % 3000);
    let fusedCalls = 0;
    const counting: Scorer = {
      name: ort.name,
      block: (...a) => ort.block(...a),
      count: (...a) => {
        fusedCalls++;
        return ort.count!(...a);
      },
      close: async () => {},
    };
    const opts = { queries: Q, candidates: C, dim, positives, tieOrder, queryBlock: 16, candidateBlock: 64 };
    const fused = await rankQueries({ ...opts, scorer: counting });
    expect(fusedCalls).toBeGreaterThan(100);
    const plain = await rankQueries({ ...opts, scorer: ortMatmul });
    const slow = await rankQueries({ ...opts, scorer: js });
    expect([...fused.ranks]).toEqual([...plain.ranks]);
    expect([...fused.ranks]).toEqual([...slow.ranks]);
    expect(new Set(fused.ranks).size).toBeGreaterThan(20);
  });

  it("a scorer whose count graph cannot be created releases the similarity session it made", async () => {
    const real = onnx.InferenceSession.create.bind(onnx.InferenceSession);
    const made: onnx.InferenceSession[] = [];
    const create = vi.spyOn(onnx.InferenceSession, "create").mockImplementation((async (
      ...args: Parameters<typeof real>
    ) => {
      if (made.length > 0) throw new Error("no memory for the count graph");
      const session = await real(...args);
      made.push(session);
      return session;
    }) as typeof onnx.InferenceSession.create);
    try {
      await expect(OrtScorer.create({ intraOpNumThreads: 1 })).rejects.toThrow("no memory");
    } finally {
      create.mockRestore();
    }
    expect(made).toHaveLength(1);
    // A released session refuses to run.
    const x = new onnx.Tensor("float32", new Float32Array(2), [1, 2]);
    await expect(made[0]!.run({ queries: x, candidates: x })).rejects.toThrow();
  });

  it("rejects bad input", async () => {
    const E = l2NormalizeRows(rows([1, 0]), 2);
    await expect(
      rankQueries({ queries: E, candidates: E, dim: 2, positives: [[]], scorer: js }),
    ).rejects.toThrow(/no positive/);
    await expect(
      rankQueries({ queries: E, candidates: E, dim: 2, positives: [[3]], scorer: js }),
    ).rejects.toThrow(/bad positive/);
    expect(() => l2NormalizeRows(rows([0, 0]), 2)).toThrow(/zero vector/);
    expect(() => l2NormalizeRows(rows([1, 0, 0]), 2)).toThrow(/expected 2/);
  });
});
