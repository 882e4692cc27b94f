import { describe, expect, it } from "vitest";
import { MAX_BLOCK_COLUMNS, VectorMatrix } from "../src/matrix.ts";
import { TopK } from "../src/topk.ts";
import { randomVector, rng } from "./helpers.ts";

// The exact-scan engine across block boundaries (more than MAX_BLOCK_COLUMNS vectors, tiny dimension).

function reference(
  rows: Float32Array[],
  q: Float32Array,
  k: number,
  accept: (slot: number) => boolean = () => true,
) {
  return rows
    .map((v, slot) => ({ slot, score: v.reduce((s, x, i) => s + x * q[i]!, 0) }))
    .filter((r) => accept(r.slot))
    .sort((a, b) => b.score - a.score || a.slot - b.slot)
    .slice(0, k)
    .map((r) => r.slot);
}

describe("VectorMatrix", () => {
  it("appends, replaces and removes across blocks and scans exactly, with and without a filter", async () => {
    const D = 4;
    const next = rng(3);
    const m = new VectorMatrix(D, 1);
    const rows: Float32Array[] = [];
    const n = MAX_BLOCK_COLUMNS + 1500;
    m.reserve(n - 700);
    const bulk = new Float32Array((n - 700) * D);
    for (let i = 0; i < n - 700; i++) {
      const v = randomVector(next, D);
      bulk.set(v, i * D);
      rows.push(v);
    }
    m.appendRows(bulk, n - 700);
    for (let i = 0; i < 700; i++) {
      const v = randomVector(next, D);
      expect(m.append(v)).toBe(rows.length);
      rows.push(v);
    }
    expect(m.size).toBe(n);
    // Replace some, remove some (swap with last, as the store does).
    for (let i = 0; i < 50; i++) {
      const slot = Math.floor(next() * rows.length);
      const v = randomVector(next, D);
      m.set(slot, v);
      rows[slot] = v;
    }
    for (let i = 0; i < 800; i++) {
      const slot = Math.floor(next() * rows.length);
      const last = rows.length - 1;
      if (slot !== last) {
        m.set(slot, m.get(last));
        rows[slot] = rows[last]!;
      }
      m.pop();
      rows.pop();
    }
    expect(m.size).toBe(rows.length);
    expect(Array.from(m.get(123))).toEqual(Array.from(rows[123]!));

    const queries = [randomVector(next, D), randomVector(next, D)];
    const flat = new Float32Array(2 * D);
    flat.set(queries[0]!, 0);
    flat.set(queries[1]!, D);
    const plain = await m.scan(flat, 25, null);
    const even = (slot: number) => slot % 2 === 0;
    const filtered = await m.scan(flat, 25, even);
    for (let qi = 0; qi < 2; qi++) {
      expect(plain[qi]!.map((h) => h.slot)).toEqual(reference(rows, queries[qi]!, 25));
      expect(filtered[qi]!.map((h) => h.slot)).toEqual(reference(rows, queries[qi]!, 25, even));
    }
    // k beyond the live count returns every vector once.
    const small = new VectorMatrix(D, 1);
    for (let i = 0; i < 5; i++) small.append(randomVector(next, D));
    const all = await small.scan(queries[0]!, 50, null);
    expect(all[0]!.map((h) => h.slot).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("TopK keeps the k best, best first", () => {
    const t = new TopK(3);
    for (const [s, i] of [
      [0.1, 0],
      [0.9, 1],
      [0.5, 2],
      [0.7, 3],
      [0.2, 4],
    ] as const)
      t.push(s, i);
    expect(t.sorted().map((h) => h.slot)).toEqual([1, 3, 2]);
  });
});
