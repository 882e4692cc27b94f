/**
 * bench/search: exact top-10 over random unit vectors, embedded store vs FAISS IndexFlatIP.
 *
 *   pnpm bench:search                          # 10k, 100k, 300k x 512, one thread each side
 *   pnpm bench:search --sizes 10000 --threads 2 --singles 50 --batch 64
 *
 * Both sides read the same seeded vectors from one temp .f32 file. For each size it prints the
 * embedded store's write and load times, single-query latency and batched throughput, FAISS's
 * (Debian python3-faiss, one-threaded by default), their ratios and the overlap of their top-10
 * (the embedded store is exact, so it should be 1.000). The embedded store offers no approximate
 * index, so there is no recall row. Not part of the test suite.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EmbeddedVectorStore } from "../../packages/store/src/embedded.ts";
import { pointId } from "../../packages/store/src/ids.ts";
import type { Point } from "../../packages/store/src/types.ts";
import { seeded } from "./seeded.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000,300000" },
    dim: { type: "string", default: "512" },
    k: { type: "string", default: "10" },
    singles: { type: "string", default: "30" },
    batch: { type: "string", default: "64" },
    threads: { type: "string", default: "1" },
    seed: { type: "string", default: "42" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const dim = Number(values.dim);
const k = Number(values.k);
const singles = Number(values.singles);
const batch = Number(values.batch);
const threads = Number(values.threads);
const maxN = Math.max(...sizes);
const here = path.dirname(fileURLToPath(import.meta.url));

/** Seeded random unit vectors (Gaussian via Box-Muller, then normalised). */
function unitVectors(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next() + 1e-12));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
  for (let i = 0; i < n; i++) {
    const v = out.subarray(i * dim, (i + 1) * dim);
    let s = 0;
    for (const x of v) s += x * x;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) v[d] = v[d]! * inv;
  }
  return out;
}

function writeF32(file: string, data: Float32Array): void {
  const fd = openSync(file, "w");
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0; off < bytes.length; off += 1 << 26)
    writeSync(fd, bytes, off, Math.min(1 << 26, bytes.length - off));
  closeSync(fd);
}

const fmt = (x: number, d = 1) => x.toFixed(d);
const tmp = mkdtempSync(path.join(tmpdir(), "cxr-bench-search-"));
try {
  const t0 = performance.now();
  const next = seeded(Number(values.seed));
  const base = unitVectors(maxN, next);
  const queries = unitVectors(Math.max(singles, batch), next);
  const basePath = path.join(tmp, "base.f32");
  const queryPath = path.join(tmp, "queries.f32");
  writeF32(basePath, base);
  writeF32(queryPath, queries);
  const ids = Array.from({ length: maxN }, (_, i) => pointId(`bench/${i}`));
  const slotOf = new Map(ids.map((id, i) => [id, i]));
  console.log(
    `bench/search: ${sizes.join(", ")} x ${dim} random unit vectors (seed ${values.seed}), top-${k}, ` +
      `${singles} single queries, batch of ${batch}, ${threads} thread(s) each side; data written in ${fmt((performance.now() - t0) / 1000)} s`,
  );
  const rows: string[][] = [];

  for (const n of sizes) {
    const dir = path.join(tmp, `store-${n}`);
    let store = EmbeddedVectorStore.open(dir, { scanThreads: threads, synchronous: "NORMAL" });
    await store.ensureCollection("bench", { dimension: dim, distance: "dot", indexedFields: ["split"] });
    let t = performance.now();
    for (let start = 0; start < n; start += 5000) {
      const points: Point[] = [];
      for (let i = start; i < Math.min(n, start + 5000); i++) {
        points.push({
          id: ids[i]!,
          vector: base.subarray(i * dim, (i + 1) * dim),
          payload: { split: "test", i },
        });
      }
      await store.upsert("bench", points);
    }
    const writeS = (performance.now() - t) / 1000;
    await store.close();
    // A fresh process's view: open, then the first search loads the vectors from SQLite.
    store = EmbeddedVectorStore.open(dir, { scanThreads: threads });
    t = performance.now();
    await store.search("bench", queries.subarray(0, dim), k);
    const loadS = (performance.now() - t) / 1000;

    const lat: number[] = [];
    for (let i = 0; i < singles; i++) {
      const q = queries.subarray(i * dim, (i + 1) * dim);
      const s = performance.now();
      await store.search("bench", q, k, { exact: true });
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    const meanMs = lat.reduce((a, b) => a + b, 0) / lat.length;
    const qb = Array.from({ length: batch }, (_, i) => queries.subarray(i * dim, (i + 1) * dim));
    await store.searchBatch("bench", qb.slice(0, 2), k);
    t = performance.now();
    const ours = await store.searchBatch("bench", qb, k, { exact: true });
    const batchQps = batch / ((performance.now() - t) / 1000);
    await store.close();
    // A restart after that: the first search maps the snapshot written by the cold load.
    store = EmbeddedVectorStore.open(dir, { scanThreads: threads });
    t = performance.now();
    await store.search("bench", queries.subarray(0, dim), k);
    const restartS = (performance.now() - t) / 1000;
    await store.close();
    rmSync(dir, { recursive: true, force: true });

    const idsPath = path.join(tmp, `faiss-${n}.i64`);
    const faiss = JSON.parse(
      execFileSync(
        "/usr/bin/python3",
        [
          path.join(here, "faiss_flat.py"),
          basePath,
          queryPath,
          ...[dim, n, k, singles, batch, threads].map(String),
          idsPath,
        ],
        // OpenBLAS at its best (toolchain.md): no core-type or L2 overrides, one thread.
        {
          encoding: "utf8",
          env: {
            ...Object.fromEntries(
              Object.entries(process.env).filter(
                ([name]) => name !== "OPENBLAS_CORETYPE" && name !== "OPENBLAS_L2_SIZE",
              ),
            ),
            OMP_NUM_THREADS: String(threads),
            OPENBLAS_NUM_THREADS: String(threads),
          },
        },
      ).trim(),
    ) as { faiss: string; single_mean_ms: number; single_p50_ms: number; batch_qps: number };
    const theirs = new BigInt64Array(readFileSync(idsPath).buffer.slice(0));
    let overlap = 0;
    for (let q = 0; q < batch; q++) {
      const want = new Set(Array.from(theirs.subarray(q * k, (q + 1) * k), Number));
      for (const h of ours[q]!) if (want.has(slotOf.get(h.id)!)) overlap++;
    }
    rows.push([
      String(n),
      fmt(writeS),
      fmt(loadS, 2),
      fmt(restartS, 2),
      fmt(meanMs, 2),
      fmt(lat[Math.floor(lat.length / 2)]!, 2),
      fmt(faiss.single_mean_ms, 2),
      fmt(meanMs / faiss.single_mean_ms, 2),
      fmt(batchQps, 0),
      fmt(faiss.batch_qps, 0),
      fmt(faiss.batch_qps / batchQps, 2),
      fmt(overlap / (batch * k), 3),
    ]);
    console.log(`  ${n}: done (faiss ${faiss.faiss})`);
  }

  const header = [
    "n",
    "write s",
    "load s",
    "restart s",
    "ours ms",
    "ours p50",
    "faiss ms",
    "latency x",
    "ours q/s",
    "faiss q/s",
    "thrpt x",
    "top10 =",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join("  ");
  console.log(`\n${line(header)}`);
  for (const r of rows) console.log(line(r));
  console.log(
    "\nlatency x = our mean single-query latency / FAISS IndexFlatIP's (goal <= 2); thrpt x = FAISS batched q/s / ours (goal <= 2);" +
      "\nwrite s = upserts in batches of 5000 (SQLite, synchronous=NORMAL); load s = first search after opening (reads SQLite, writes a snapshot);" +
      "\nrestart s = first search after reopening again (reads the snapshot);" +
      "\ntop10 = share of our exact top-10 that FAISS also returns; approximate search: not offered by the embedded store (exact only)." +
      `\ntotal ${fmt((performance.now() - t0) / 1000)} s`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
