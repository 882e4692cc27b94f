/**
 * Scoring throughput: exact blocked ranking of random unit vectors.
 *   pnpm exec tsx packages/eval/bench/scoring.ts [queries] [candidates] [dim] [kernels] [threads]
 * kernels: comma list of gemm (Gemm + fused count graph), gemm-nofuse (Gemm, counting in TypeScript),
 *   matmul (MatMul on transposed candidates, counting in TypeScript), js (default gemm,gemm-nofuse,matmul); threads: ORT intra-op threads (default: ORT's).
 * Prints candidates scored per second (queries x candidates / wall time) per kernel and peak RSS.
 */
import { Sfc32 } from "../src/prng.ts";
import { rankQueries } from "../src/scoring/rank.ts";
import { JsScorer, OrtScorer, type Scorer } from "../src/scoring/scorer.ts";

const [nq = 4096, nc = 65536, dim = 512] = process.argv.slice(2, 5).map(Number);
const kernels = (process.argv[5] ?? "gemm,gemm-nofuse,matmul").split(",");
const threads = process.argv[6] ? Number(process.argv[6]) : undefined;

function randomUnitRows(n: number, label: string): Float32Array {
  const r = Sfc32.fromLabel(label);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let k = 0; k < dim; k++) {
      const v = r.nextUint32() / 2 ** 31 - 1;
      out[i * dim + k] = v;
      ss += v * v;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let k = 0; k < dim; k++) out[i * dim + k]! *= inv;
  }
  return out;
}

const Q = randomUnitRows(nq, "bench-q");
const C = randomUnitRows(nc, "bench-c");
const r = Sfc32.fromLabel("bench-p");
const positives = Array.from({ length: nq }, () => [r.nextBelow(nc)]);
console.log(`queries ${nq}, candidates ${nc}, dim ${dim}, threads ${threads ?? "ORT default"}`);
let reference: Int32Array | undefined;
for (const k of kernels) {
  const scorer: Scorer =
    k === "js"
      ? new JsScorer()
      : await OrtScorer.create({
          op: k === "matmul" ? "matmul" : "gemm",
          fusedCount: k === "gemm",
          ...(threads ? { intraOpNumThreads: threads } : {}),
        });
  const t0 = performance.now();
  const out = await rankQueries({ queries: Q, candidates: C, dim, positives, scorer });
  const s = (performance.now() - t0) / 1000;
  const rate = (nq * nc) / s;
  const agree = reference ? out.ranks.every((v, i) => v === reference![i]) : true;
  reference ??= out.ranks;
  console.log(
    `${scorer.name}: ${s.toFixed(2)} s, ${(rate / 1e6).toFixed(1)} M scores/s, ${((2 * rate * dim) / 1e9).toFixed(1)} GFLOP/s; ` +
      `30k x 227k would take ~${((30000 * 227000) / rate).toFixed(0)} s; ranks agree with first kernel: ${agree}`,
  );
  if (k !== "js") {
    // The kernel alone: one 1024 x 4096 score block, 5 timed runs after a warm-up.
    const bq = Math.min(1024, nq);
    const bc = Math.min(4096, nc);
    await scorer.block(Q, bq, C, bc, dim);
    const t1 = performance.now();
    for (let i = 0; i < 5; i++) await scorer.block(Q, bq, C, bc, dim);
    const ks = (performance.now() - t1) / 5000;
    console.log(
      `  kernel only (${bq} x ${bc} block): ${((2 * bq * bc * dim) / ks / 1e9).toFixed(1)} GFLOP/s`,
    );
  }
  await scorer.close();
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
