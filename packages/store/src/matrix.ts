import ort from "onnxruntime-node";
import { matmulModel } from "./onnx-matmul.ts";
import { TopK } from "./topk.ts";

/**
 * The in-memory copy of a collection's vectors that exact search scans. Vectors live in
 * column-major blocks (block[d * capacity + j] is component d of the block's j-th vector), so a
 * block is directly the X[d, n] input of the MatMul session and one query is a GEMV over it.
 * Slots are dense: removing a vector moves the last one into its place.
 */

export const MAX_BLOCK_COLUMNS = 16_384;
const MIN_BLOCK_COLUMNS = 256;

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** One session per (dimension, threads, graph), shared by every collection in the process. */
function session(dimension: number, threads: number, withTopK: boolean): Promise<ort.InferenceSession> {
  const key = `${dimension}:${threads}:${withTopK}`;
  let s = sessions.get(key);
  if (s === undefined) {
    s = ort.InferenceSession.create(matmulModel(dimension, withTopK), {
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      enableCpuMemArena: false,
    });
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

interface Block {
  data: Float32Array;
  capacity: number;
  used: number;
  /** 0 for used columns, -Infinity after; rebuilt when `used` changed. */
  mask?: { used: number; tensor: ort.Tensor };
}

function maskOf(block: Block): ort.Tensor {
  if (block.mask === undefined || block.mask.used !== block.used) {
    const m = new Float32Array(block.capacity);
    m.fill(Number.NEGATIVE_INFINITY, block.used);
    block.mask = { used: block.used, tensor: new ort.Tensor("float32", m, [block.capacity]) };
  }
  return block.mask.tensor;
}

export class VectorMatrix {
  private blocks: Block[] = [];
  private total = 0;

  constructor(
    readonly dimension: number,
    /** ONNX Runtime intra-op threads for the scan; 0 lets ONNX Runtime decide. */
    readonly threads = 0,
  ) {}

  get size(): number {
    return this.total;
  }

  /** The block the next appended vector goes to, created or grown as needed. */
  private space(): Block {
    const bi = Math.floor(this.total / MAX_BLOCK_COLUMNS);
    let block = this.blocks[bi];
    if (block === undefined) {
      block = {
        data: new Float32Array(this.dimension * MIN_BLOCK_COLUMNS),
        capacity: MIN_BLOCK_COLUMNS,
        used: 0,
      };
      this.blocks.push(block);
    } else if (block.used === block.capacity) {
      block = this.grow(bi, Math.min(MAX_BLOCK_COLUMNS, block.capacity * 2));
    }
    return block;
  }

  /**
   * Pre-sizes an empty matrix for n vectors: full blocks, then one sized to the remainder, so a
   * bulk load neither copies while growing nor scans more than 255 unused columns.
   */
  reserve(n: number): void {
    if (this.total !== 0 || this.blocks.length !== 0) return;
    for (let left = n; left > 0; left -= MAX_BLOCK_COLUMNS) {
      const capacity = Math.min(MAX_BLOCK_COLUMNS, Math.ceil(left / MIN_BLOCK_COLUMNS) * MIN_BLOCK_COLUMNS);
      this.blocks.push({ data: new Float32Array(this.dimension * capacity), capacity, used: 0 });
    }
  }

  /** The blocks' live data, for snapshots: each as (capacity, used, column-major data). */
  exportBlocks(): Array<{ capacity: number; used: number; data: Float32Array }> {
    return this.blocks.map((b) => ({ capacity: b.capacity, used: b.used, data: b.data }));
  }

  /** A matrix over blocks read back from a snapshot (the arrays are used as they are). */
  static fromBlocks(
    dimension: number,
    threads: number,
    blocks: Array<{ capacity: number; used: number; data: Float32Array }>,
  ): VectorMatrix {
    const m = new VectorMatrix(dimension, threads);
    for (const b of blocks) {
      m.blocks.push({ data: b.data, capacity: b.capacity, used: b.used });
      m.total += b.used;
    }
    return m;
  }

  /** Appends a vector; returns its slot. */
  append(vector: Float32Array): number {
    const block = this.space();
    const slot = this.total++;
    block.used++;
    this.set(slot, vector);
    return slot;
  }

  /**
   * Appends n row-major vectors (rows[i * dimension + d]) in one go, transposing in tiles so the
   * column-major writes stay sequential (a vector-at-a-time append strides across the block).
   */
  appendRows(rows: Float32Array, n: number): void {
    const D = this.dimension;
    let done = 0;
    while (done < n) {
      const block = this.space();
      const take = Math.min(n - done, block.capacity - block.used);
      const { data, capacity, used } = block;
      for (let d = 0; d < D; d++) {
        const out = d * capacity + used;
        for (let j = 0; j < take; j++) data[out + j] = rows[(done + j) * D + d]!;
      }
      block.used += take;
      this.total += take;
      done += take;
    }
  }

  set(slot: number, vector: Float32Array): void {
    const block = this.blocks[Math.floor(slot / MAX_BLOCK_COLUMNS)]!;
    const j = slot % MAX_BLOCK_COLUMNS;
    const { data, capacity } = block;
    for (let d = 0; d < this.dimension; d++) data[d * capacity + j] = vector[d]!;
  }

  get(slot: number): Float32Array {
    const block = this.blocks[Math.floor(slot / MAX_BLOCK_COLUMNS)]!;
    const j = slot % MAX_BLOCK_COLUMNS;
    const out = new Float32Array(this.dimension);
    for (let d = 0; d < this.dimension; d++) out[d] = block.data[d * block.capacity + j]!;
    return out;
  }

  /** Removes the last slot (after the caller moved it elsewhere with set()). */
  pop(): void {
    const bi = Math.floor((this.total - 1) / MAX_BLOCK_COLUMNS);
    const block = this.blocks[bi]!;
    block.used--;
    this.total--;
    if (block.used === 0 && bi === this.blocks.length - 1) this.blocks.pop();
  }

  private grow(index: number, capacity: number): Block {
    const old = this.blocks[index]!;
    const data = new Float32Array(this.dimension * capacity);
    for (let d = 0; d < this.dimension; d++) {
      data.set(old.data.subarray(d * old.capacity, d * old.capacity + old.used), d * capacity);
    }
    const block = { data, capacity, used: old.used };
    this.blocks[index] = block;
    return block;
  }

  /**
   * Exact top-k of every query (rows of `queries`, each `dimension` long) by inner product.
   * `accept(slot)` filters candidates; it is only called for scores that would enter the top-k.
   */
  async scan(
    queries: Float32Array,
    k: number,
    accept: ((slot: number) => boolean) | null,
    minScore = Number.NEGATIVE_INFINITY,
  ): Promise<Array<Array<{ slot: number; score: number }>>> {
    const b = queries.length / this.dimension;
    const heaps = Array.from({ length: b }, () => new TopK(Math.min(k, Math.max(1, this.total))));
    if (this.total === 0) return heaps.map(() => []);
    const withTopK = accept === null;
    const s = await session(this.dimension, this.threads, withTopK);
    const q = new ort.Tensor("float32", queries, [b, this.dimension]);
    for (let bi = 0; bi < this.blocks.length; bi++) {
      const block = this.blocks[bi]!;
      if (block.used === 0) continue;
      const x = new ort.Tensor("float32", block.data, [this.dimension, block.capacity]);
      const base = bi * MAX_BLOCK_COLUMNS;
      if (withTopK) {
        // Unused columns are masked to -Infinity, so they only come back when k exceeds the live ones.
        const kk = Math.min(block.capacity, k);
        const out = await s.run({
          Q: q,
          X: x,
          M: maskOf(block),
          K: new ort.Tensor("int64", BigInt64Array.from([BigInt(kk)]), [1]),
        });
        const values = out["V"]!.data as Float32Array;
        const indices = out["I"]!.data as BigInt64Array;
        for (let r = 0; r < b; r++) {
          const heap = heaps[r]!;
          for (let j = r * kk; j < (r + 1) * kk; j++) {
            const col = Number(indices[j]!);
            const score = values[j]!;
            if (col >= block.used || score < minScore) continue;
            if (score <= heap.threshold && heap.size === heap.k) break;
            heap.push(score, base + col);
          }
        }
        for (const t of Object.values(out)) t.dispose();
        continue;
      }
      const out = await s.run({ Q: q, X: x });
      const scores = out["S"]!.data as Float32Array;
      for (let r = 0; r < b; r++) {
        const heap = heaps[r]!;
        const row = r * block.capacity;
        let threshold = Math.max(heap.threshold, minScore);
        for (let j = 0; j < block.used; j++) {
          const score = scores[row + j]!;
          if (score < threshold || (score === threshold && heap.size === heap.k)) continue;
          if (accept !== null && !accept(base + j)) continue;
          heap.push(score, base + j);
          threshold = Math.max(heap.threshold, minScore);
        }
      }
      for (const t of Object.values(out)) t.dispose();
    }
    return heaps.map((h) => h.sorted());
  }
}
