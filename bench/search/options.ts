/**
 * bench/search/options.ts: the embedded-store candidates from toolchain.md measured on our workload
 * (N x 512 random unit vectors, top-10), to choose the embedded default. Not a workspace dependency:
 * the candidates are installed in a scratch folder and loaded from there.
 *
 *   mkdir -p /tmp/storeopts && cd /tmp/storeopts && npm init -y >/dev/null && \
 *     npm install --no-audit --no-fund sqlite-vec@0.1.9 usearch@2.26.0 @lancedb/lancedb@0.31.0 apache-arrow@18.1.0
 *   pnpm exec tsx bench/search/options.ts --from /tmp/storeopts --n 100000
 *
 * (usearch reads a typed array from the start of its buffer: queries are passed as copies, not views.)
 * Prints, per candidate: write time, single-query latency (mean of 20), install size, exactness.
 * better-sqlite3 comes from this workspace (sqlite-vec is a loadable extension for it).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { EmbeddedVectorStore } from "../../packages/store/src/embedded.ts";
import { pointId } from "../../packages/store/src/ids.ts";
import { seeded } from "./seeded.ts";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "/tmp/storeopts" },
    n: { type: "string", default: "100000" },
    queries: { type: "string", default: "20" },
    only: { type: "string", default: "embedded,sqlite-vec,lancedb,usearch" },
  },
});
const N = Number(values.n);
const D = 512;
const K = 10;
const Q = Number(values.queries);
const only = new Set(values.only.split(","));
const scratch = createRequire(path.join(path.resolve(values.from), "package.json"));
// better-sqlite3 as the store package has it (the scratch install need not build it).
const storeRequire = createRequire(new URL("../../packages/store/package.json", import.meta.url));
type Db = {
  loadExtension(p: string): void;
  exec(sql: string): void;
  prepare(sql: string): { run(...a: unknown[]): unknown; pluck(): { all(...a: unknown[]): unknown[] } };
  transaction(f: () => void): () => void;
  close(): void;
};
const Database = storeRequire("better-sqlite3") as new (file: string) => Db;
interface LanceTable {
  vectorSearch(q: number[]): {
    distanceType(d: string): { limit(k: number): { toArray(): Promise<unknown[]> } };
  };
}
interface LanceDb {
  connect(uri: string): Promise<{ createTable(name: string, rows: unknown[]): Promise<LanceTable> }>;
}
interface USearch {
  MetricKind: { IP: string };
  Index: new (o: {
    dimensions: number;
    metric: string;
    connectivity: number;
  }) => {
    add(keys: BigUint64Array, vectors: Float32Array, threads: number): void;
    search(q: Float32Array, k: number, threads: number): { keys: BigUint64Array };
  };
  exactSearch(
    base: Float32Array,
    q: Float32Array,
    d: number,
    k: number,
    metric: string,
    threads: number,
  ): unknown;
}
const tmp = mkdtempSync(path.join(tmpdir(), "cxr-store-options-"));

function unit(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n * D);
  for (let i = 0; i < out.length; i++) out[i] = next() * 2 - 1;
  for (let i = 0; i < n; i++) {
    const v = out.subarray(i * D, (i + 1) * D);
    const inv = 1 / Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let d = 0; d < D; d++) v[d] = v[d]! * inv;
  }
  return out;
}
const next = seeded(7);
const base = unit(N, next);
const queries = unit(Q, next);
const row = (m: Float32Array, i: number) => m.subarray(i * D, (i + 1) * D);

// Ground truth (float64 brute force) for exactness.
const truth: number[][] = [];
for (let q = 0; q < Q; q++) {
  const qv = row(queries, q);
  const scores = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += base[i * D + d]! * qv[d]!;
    scores[i] = s;
  }
  truth.push(
    Array.from(scores.keys())
      .sort((a, b) => scores[b]! - scores[a]!)
      .slice(0, K),
  );
}
const recall = (got: number[][]) =>
  got.reduce((s, g, q) => s + g.filter((x) => truth[q]!.includes(x)).length, 0) / (Q * K);
const du = (p: string) => {
  try {
    return execFileSync("du", ["-sh", "--dereference", p], { encoding: "utf8" }).split("\t")[0]!;
  } catch {
    return "?";
  }
};

interface Row {
  name: string;
  writeS: number;
  firstMs: number;
  meanMs: number;
  recall: number;
  size: string;
  note: string;
}
const rows: Row[] = [];
async function timeQueries(search: (q: Float32Array) => Promise<number[]> | number[]) {
  let t = performance.now();
  const first = await search(row(queries, 0));
  const firstMs = performance.now() - t;
  const got: number[][] = [first];
  t = performance.now();
  for (let q = 1; q < Q; q++) got.push(await search(row(queries, q)));
  return { firstMs, meanMs: (performance.now() - t) / (Q - 1), recall: recall(got) };
}

if (only.has("embedded")) {
  const dir = path.join(tmp, "embedded");
  const store = EmbeddedVectorStore.open(dir, { scanThreads: 1, synchronous: "NORMAL" });
  await store.ensureCollection("c", { dimension: D, distance: "dot" });
  const ids = Array.from({ length: N }, (_, i) => pointId(String(i)));
  const slot = new Map(ids.map((id, i) => [id, i]));
  const t = performance.now();
  for (let s = 0; s < N; s += 5000) {
    const pts = [];
    for (let i = s; i < Math.min(N, s + 5000); i++)
      pts.push({ id: ids[i]!, vector: row(base, i), payload: {} });
    await store.upsert("c", pts);
  }
  const writeS = (performance.now() - t) / 1000;
  await store.close();
  const reopened = EmbeddedVectorStore.open(dir, { scanThreads: 1 });
  const r = await timeQueries(async (q) => (await reopened.search("c", q, K)).map((h) => slot.get(h.id)!));
  await reopened.close();
  rows.push({
    name: "embedded (SQLite + ORT MatMul)",
    writeS,
    ...r,
    size: "0 (deps already in workspace)",
    note: "first = load from SQLite",
  });
}

if (only.has("sqlite-vec")) {
  const sqliteVec = scratch("sqlite-vec") as { getLoadablePath(): string };
  const db = new Database(path.join(tmp, "vec.sqlite"));
  db.loadExtension(sqliteVec.getLoadablePath());
  db.exec(`CREATE VIRTUAL TABLE v USING vec0(embedding float[${D}] distance_metric=cosine)`);
  const ins = db.prepare("INSERT INTO v(rowid, embedding) VALUES (?, ?)");
  const t = performance.now();
  db.transaction(() => {
    for (let i = 0; i < N; i++) ins.run(BigInt(i), Buffer.from(row(base, i).slice().buffer));
  })();
  const writeS = (performance.now() - t) / 1000;
  const stmt = db
    .prepare(`SELECT rowid FROM v WHERE embedding MATCH ? AND k = ${K} ORDER BY distance`)
    .pluck();
  const r = await timeQueries((q) =>
    (stmt.all(Buffer.from(q.slice().buffer)) as Array<number | bigint>).map(Number),
  );
  db.close();
  rows.push({
    name: "sqlite-vec 0.1.9 (vec0, brute force)",
    writeS,
    ...r,
    size: du(path.join(path.resolve(values.from), "node_modules/sqlite-vec-linux-x64")),
    note: "",
  });
}

if (only.has("lancedb")) {
  const lancedb = scratch("@lancedb/lancedb") as LanceDb;
  const db = await lancedb.connect(path.join(tmp, "lance"));
  const data = Array.from({ length: N }, (_, i) => ({ id: i, vector: Array.from(row(base, i)) }));
  const t = performance.now();
  const table = await db.createTable("c", data);
  const writeS = (performance.now() - t) / 1000;
  const r = await timeQueries(async (q) =>
    (
      (await table.vectorSearch(Array.from(q)).distanceType("dot").limit(K).toArray()) as Array<{
        id: number;
      }>
    ).map((x) => x.id),
  );
  rows.push({
    name: "LanceDB 0.31.0 (no index = flat)",
    writeS,
    ...r,
    size: `${du(path.join(path.resolve(values.from), "node_modules/@lancedb"))} + arrow ${du(path.join(path.resolve(values.from), "node_modules/apache-arrow"))}`,
    note: "",
  });
}

if (only.has("usearch")) {
  const usearch = scratch("usearch") as USearch;
  const index = new usearch.Index({ dimensions: D, metric: usearch.MetricKind.IP, connectivity: 16 });
  const keys = BigUint64Array.from({ length: N }, (_, i) => BigInt(i));
  const t = performance.now();
  index.add(keys, base, 1);
  const writeS = (performance.now() - t) / 1000;
  const r = await timeQueries((q) => Array.from(index.search(q.slice(), K, 1).keys, Number));
  rows.push({
    name: "usearch 2.26 HNSW (approximate)",
    writeS,
    ...r,
    size: du(path.join(path.resolve(values.from), "node_modules/usearch")),
    note: "M=16, 1 thread",
  });
  const r2 = await timeQueries((q) =>
    Array.from(
      (usearch.exactSearch(base, q.slice(), D, K, usearch.MetricKind.IP, 1) as { keys: BigUint64Array }).keys,
      Number,
    ),
  );
  rows.push({ name: "usearch 2.26 exactSearch", writeS: 0, ...r2, size: "(same)", note: "in-memory only" });
}

console.log(
  `\nembedded candidates, ${N} x ${D} random unit vectors, top-${K}, ${Q} queries, one thread where settable\n`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(38)} write ${r.writeS.toFixed(1).padStart(6)} s  first ${r.firstMs.toFixed(0).padStart(6)} ms  ` +
      `mean ${r.meanMs.toFixed(1).padStart(7)} ms  recall@10 ${r.recall.toFixed(3)}  install ${r.size}  ${r.note}`,
  );
}
rmSync(tmp, { recursive: true, force: true });
