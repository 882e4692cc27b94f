import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapIntervals, computeMetrics } from "../src/metrics.ts";
import { Sfc32 } from "../src/prng.ts";
import { l2NormalizeRows, rankQueries } from "../src/scoring/rank.ts";
import { OrtScorer } from "../src/scoring/scorer.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./python/rank_reference.py", import.meta.url).pathname;
const probe = spawnSync(PYTHON, ["-c", "import numpy"], { encoding: "utf8" });
const hasNumpy = probe.status === 0;
if (!hasNumpy) {
  console.warn(
    `SKIPPED numpy agreement tests: ${PYTHON} -c "import numpy" failed (${(probe.stderr || String(probe.error)).trim()}). ` +
      "Install python3-numpy (apt-get install -y python3-numpy) to run them.",
  );
}

let dir: string;
let scorer: OrtScorer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cxr-eval-numpy-"));
  scorer = await OrtScorer.create({ intraOpNumThreads: 1 });
});
afterAll(async () => {
  await scorer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Reference {
  ranks: number[];
  metrics: Record<string, number>;
  ci: Record<string, { low: number; high: number }> | null;
  ambiguous: number[];
}

async function reference(
  name: string,
  Q: Float32Array,
  C: Float32Array,
  c: Record<string, unknown>,
): Promise<Reference> {
  const folder = join(dir, name);
  await rm(folder, { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(folder));
  await writeFile(join(folder, "queries.f32"), new Uint8Array(Q.buffer, Q.byteOffset, Q.byteLength));
  await writeFile(join(folder, "candidates.f32"), new Uint8Array(C.buffer, C.byteOffset, C.byteLength));
  await writeFile(join(folder, "case.json"), JSON.stringify(c));
  const res = spawnSync(PYTHON, [SCRIPT, folder], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`reference failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as Reference;
}

function shuffledIds(n: number, r: Sfc32): Int32Array {
  const t = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.nextBelow(i + 1);
    [t[i], t[j]] = [t[j]!, t[i]!];
  }
  return t;
}

describe.skipIf(!hasNumpy)("agreement with an independent numpy computation", () => {
  it("500 queries x 2,000 candidates with many exact ties: every rank, metric and interval", async () => {
    // Sparse sign vectors with exactly 16 non-zeros of +-1 in 64 dims: after normalising, entries are
    // +-0.25 exactly, so every score is a multiple of 1/16 in any arithmetic: ties are exact everywhere.
    const dim = 64;
    const nq = 500;
    const nc = 2000;
    const r = Sfc32.fromLabel("numpy-grid");
    const sparse = () => {
      const v = new Float32Array(dim);
      let placed = 0;
      while (placed < 16) {
        const k = r.nextBelow(dim);
        if (v[k] === 0) {
          v[k] = r.nextBelow(2) ? 1 : -1;
          placed++;
        }
      }
      return v;
    };
    const C = l2NormalizeRows(Array.from({ length: nc }, sparse), dim);
    const Q = l2NormalizeRows(Array.from({ length: nq }, sparse), dim);
    const positives = Array.from({ length: nq }, () =>
      Array.from({ length: 1 + r.nextBelow(3) }, () => r.nextBelow(nc)),
    );
    const tie = shuffledIds(nc, r);
    const groups = Array.from(
      { length: nq },
      (_, q) => `s${String(Math.floor(q / 2) + (q % 7 === 0 ? 1000 : 0)).padStart(4, "0")}`,
    );
    const bootstrap = { samples: 200, confidence: 0.95, seed: 11, direction: "image->text" as const };

    const ours = await rankQueries({
      queries: Q,
      candidates: C,
      dim,
      positives,
      scorer,
      tieOrder: tie,
      queryBlock: 128,
      candidateBlock: 512,
    });
    const ref = await reference("grid", Q, C, {
      dim,
      nq,
      nc,
      positives,
      tie: Array.from(tie),
      groups,
      recallAt: [1, 5, 10],
      bootstrap,
      eps: 0,
    });
    expect(Array.from(ours.ranks)).toEqual(ref.ranks);
    const ties = new Set(ref.ranks).size;
    expect(ties).toBeGreaterThan(10); // a real spread of ranks, not a degenerate case
    const metrics = computeMetrics(ours.ranks, [1, 5, 10]);
    for (const [k, v] of Object.entries(ref.metrics)) expect(metrics[k], k).toBeCloseTo(v, 12);
    const ci = bootstrapIntervals(ours.ranks, groups, [1, 5, 10], bootstrap);
    for (const [k, v] of Object.entries(ref.ci!)) {
      expect(ci[k]!.low, `${k} low`).toBeCloseTo(v.low, 12);
      expect(ci[k]!.high, `${k} high`).toBeCloseTo(v.high, 12);
    }
  });

  it("500 queries x 2,000 continuous embeddings: ranks agree wherever rounding cannot reorder", async () => {
    const dim = 32;
    const nq = 500;
    const nc = 2000;
    const r = Sfc32.fromLabel("numpy-continuous");
    const vec = () => Float32Array.from({ length: dim }, () => r.nextUint32() / 2 ** 31 - 1);
    const C = l2NormalizeRows(Array.from({ length: nc }, vec), dim);
    const Q = l2NormalizeRows(Array.from({ length: nq }, vec), dim);
    const positives = Array.from({ length: nq }, () => [r.nextBelow(nc)]);
    // small blocks so that most blocks hold no positive and go through the fused count graph
    const ours = await rankQueries({
      queries: Q,
      candidates: C,
      dim,
      positives,
      scorer,
      queryBlock: 64,
      candidateBlock: 128,
    });
    const ref = await reference("continuous", Q, C, {
      dim,
      nq,
      nc,
      positives,
      tie: Array.from({ length: nc }, (_, i) => i),
      groups: [],
      recallAt: [1, 5, 10],
      eps: 1e-6,
    });
    const ambiguous = new Set(ref.ambiguous);
    expect(ambiguous.size).toBeLessThan(nq / 10);
    let compared = 0;
    for (let q = 0; q < nq; q++) {
      if (ambiguous.has(q)) continue;
      expect(ours.ranks[q], `query ${q}`).toBe(ref.ranks[q]);
      compared++;
    }
    expect(compared).toBeGreaterThan(nq * 0.9);
  });
});
