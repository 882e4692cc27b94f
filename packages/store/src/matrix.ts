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

/** One MatMul session per (dimension, threads), shared by every collection in the process. */
function session(dimension: number, threads: number): Promise<ort.InferenceSession> {
  const key = `${dimension}:${threads}`;
  let s = sessions.get(key);
  if (s === undefined) {
    s = ort.InferenceSession.create(matmulModel(dimension), {
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

  /** Appends a vector; returns its slot. */
  append(vector: Float32Array): number {
    let last = this.blocks[this.blocks.length - 1];
    if (last === undefined || last.used === last.capacity) {
      if (last !== undefined && last.capacity < MAX_BLOCK_COLUMNS) {
        last = this.grow(this.blocks.length - 1, Math.min(MAX_BLOCK_COLUMNS, last.capacity * 2));
      } else {
        last = {
          data: new Float32Array(this.dimension * MIN_BLOCK_COLUMNS),
          capacity: MIN_BLOCK_COLUMNS,
          used: 0,
        };
        this.blocks.push(last);
      }
    }
    const slot = this.total++;
    last.used++;
    this.set(slot, vector);
    return slot;
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
    const last = this.blocks[this.blocks.length - 1]!;
    last.used--;
    this.total--;
    if (last.used === 0) this.blocks.pop();
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
    const s = await session(this.dimension, this.threads);
    const q = new ort.Tensor("float32", queries, [b, this.dimension]);
    for (let bi = 0; bi < this.blocks.length; bi++) {
      const block = this.blocks[bi]!;
      const out = await s.run({
        Q: q,
        X: new ort.Tensor("float32", block.data, [this.dimension, block.capacity]),
      });
      const scores = out["S"]!.data as Float32Array;
      const base = bi * MAX_BLOCK_COLUMNS;
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
