import * as ort from "onnxruntime-node";
import { buildSimilarityModel, type SimilarityOp } from "./onnx-graph.ts";

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
}

/** The ONNX Runtime kernel: one in-memory Gemm (or MatMul) graph built with onnx-proto. */
export class OrtScorer implements Scorer {
  readonly name: string;
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly op: SimilarityOp,
    providers: string[],
  ) {
    this.name = `onnxruntime-node@1.30.0/${op}/${providers.join("+")}`;
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
    return new OrtScorer(session, op, providers);
  }

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
  }
}
