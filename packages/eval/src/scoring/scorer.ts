import * as ort from "onnxruntime-node";
import { buildCountModel, buildSimilarityModel, type SimilarityOp } from "./onnx-graph.ts";

/**
 * A similarity kernel: the dot products of every query row with every candidate row of one block.
 * Implementations must be deterministic: the same inputs give the same float32 scores every call.
 */
export interface Scorer {
  /** Recorded with every result, e.g. "onnxruntime-node@1.30.0/gemm/cpu". */
  readonly name: string;
  /** `queries` holds nq rows and `candidates` nc rows of `dim` floats; returns nq x nc scores, row-major. */
  block(
    queries: Float32Array,
    nq: number,
    candidates: Float32Array,
    nc: number,
    dim: number,
  ): Promise<Float32Array>;
  /**
   * Optional fused counting: for each query i, the number of candidates j of the block with
   * s_ij > threshold[i], or s_ij == threshold[i] and tie[j] < thresholdTie[i] (`count`), the number
   * with s_ij > threshold[i] (`greater`) and the number with s_ij == threshold[i] whatever the tie
   * order (`equal`, the exact ties), where s_ij is
   * exactly what `block` returns. Lets a kernel (e.g. on GPU) avoid handing the score block back.
   */
  count?(
    queries: Float32Array,
    nq: number,
    candidates: Float32Array,
    nc: number,
    dim: number,
    threshold: Float32Array,
    thresholdTie: Int32Array,
    tie: Int32Array,
  ): Promise<{ count: Int32Array; greater: Int32Array; equal: Int32Array }>;
  close(): Promise<void>;
}

/** Plain TypeScript kernel: float64 accumulation in index order, rounded once to float32. ~1 GFLOP/s. */
export class JsScorer implements Scorer {
  readonly name = "js/f64-accumulate";

  async block(queries: Float32Array, nq: number, candidates: Float32Array, nc: number, dim: number) {
    const out = new Float32Array(nq * nc);
    for (let i = 0; i < nq; i++) {
      const qo = i * dim;
      for (let j = 0; j < nc; j++) {
        const co = j * dim;
        let s = 0;
        for (let k = 0; k < dim; k++) s += queries[qo + k]! * candidates[co + k]!;
        out[i * nc + j] = s;
      }
    }
    return out;
  }

  async close() {}
}

export interface OrtScorerOptions {
  /** "gemm" (Gemm, transB = 1; default, measured fastest) or "matmul" (MatMul on transposed candidates). */
  op?: SimilarityOp;
  /** Execution providers in preference order, e.g. ["cuda", "cpu"]. Default ["cpu"]. */
  executionProviders?: string[];
  /** CPU threads for the kernel; default: ORT's own choice. */
  intraOpNumThreads?: number;
  /** Count in the graph too (Gemm + comparisons + ReduceSum) instead of in TypeScript. Default true. */
  fusedCount?: boolean;
}

/** The ONNX Runtime kernel: one in-memory Gemm (or MatMul) graph built with onnx-proto. */
export class OrtScorer implements Scorer {
  readonly name: string;
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly op: SimilarityOp,
    providers: string[],
    private readonly countSession: ort.InferenceSession | undefined,
  ) {
    this.name = `onnxruntime-node@1.30.0/${op}${countSession ? "+fused-count" : ""}/${providers.join("+")}`;
    if (!countSession) this.count = undefined;
  }

  static async create(options: OrtScorerOptions = {}): Promise<OrtScorer> {
    const op = options.op ?? "gemm";
    const providers = options.executionProviders ?? ["cpu"];
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: providers,
      graphOptimizationLevel: "all",
    };
    if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
    const session = await ort.InferenceSession.create(buildSimilarityModel(op), sessionOptions);
    // The fused count uses Gemm; it reproduces the "gemm" similarity exactly, so it pairs with it only.
    const fused = (options.fusedCount ?? true) && op === "gemm";
    let countSession: ort.InferenceSession | undefined;
    try {
      countSession = fused ? await ort.InferenceSession.create(buildCountModel(), sessionOptions) : undefined;
    } catch (error) {
      await session.release();
      throw error;
    }
    return new OrtScorer(session, op, providers, countSession);
  }

  count?: Scorer["count"] = async (queries, nq, candidates, nc, dim, threshold, thresholdTie, tie) => {
    const out = await this.countSession!.run({
      queries: new ort.Tensor("float32", queries.subarray(0, nq * dim), [nq, dim]),
      candidates: new ort.Tensor("float32", candidates.subarray(0, nc * dim), [nc, dim]),
      threshold: new ort.Tensor("float32", threshold.subarray(0, nq), [nq, 1]),
      thresholdTie: new ort.Tensor("int32", thresholdTie.subarray(0, nq), [nq, 1]),
      tie: new ort.Tensor("int32", tie.subarray(0, nc), [1, nc]),
    });
    const count = out["count"];
    const greater = out["greater"];
    const equal = out["equal"];
    if (!count || !greater || !equal) throw new Error("count session returned no count");
    return {
      count: count.data as Int32Array,
      greater: greater.data as Int32Array,
      equal: equal.data as Int32Array,
    };
  };

  async block(queries: Float32Array, nq: number, candidates: Float32Array, nc: number, dim: number) {
    const q = new ort.Tensor("float32", queries.subarray(0, nq * dim), [nq, dim]);
    let feeds: Record<string, ort.Tensor>;
    if (this.op === "gemm") {
      feeds = {
        queries: q,
        candidates: new ort.Tensor("float32", candidates.subarray(0, nc * dim), [nc, dim]),
      };
    } else {
      const t = new Float32Array(nc * dim);
      for (let j = 0; j < nc; j++) for (let k = 0; k < dim; k++) t[k * nc + j] = candidates[j * dim + k]!;
      feeds = { queries: q, candidatesT: new ort.Tensor("float32", t, [dim, nc]) };
    }
    const out = await this.session.run(feeds);
    const scores = out["scores"];
    if (!scores) throw new Error("similarity session returned no scores");
    return scores.data as Float32Array;
  }

  async close() {
    await this.session.release();
    await this.countSession?.release();
  }
}
