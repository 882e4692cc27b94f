import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { EmbeddedVectorStore } from "../src/embedded.ts";
import { pointId } from "../src/ids.ts";
import { VectorMatrix } from "../src/matrix.ts";
import { openVectorStore } from "../src/open.ts";
import { QdrantVectorStore } from "../src/qdrant.ts";
import { makePoints } from "./helpers.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
// Run TypeScript children as one node process (the tsx CLI would fork a grandchild a kill -9 misses).
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
const nodeArgs = (script: string, ...args: string[]) => [
  "--import",
  tsxLoader,
  path.join(here, script),
  ...args,
];
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "cxr-store-durable-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("embedded store durability", () => {
  it("keeps collections, points, payload indexes and aliases across a restart", async () => {
    const dir = tempDir();
    const a = EmbeddedVectorStore.open(dir);
    await a.ensureCollection("c_v1", { dimension: 64, distance: "cosine", indexedFields: ["split"] });
    const points = makePoints(300, 64, 21);
    await a.upsert("c_v1", points);
    await a.setAlias("c", "c_v1");
    const before = await a.search("c", points[5]!.vector, 5, {
      filter: { must: [{ key: "split", match: "test" }] },
    });
    await a.close();

    const b = EmbeddedVectorStore.open(dir);
    expect(await b.listCollections()).toEqual(["c_v1"]);
    expect(await b.resolveAlias("c")).toBe("c_v1");
    expect(await b.count("c")).toBe(300);
    const after = await b.search("c", points[5]!.vector, 5, {
      filter: { must: [{ key: "split", match: "test" }] },
    });
    expect(after).toEqual(before);
    await b.close();
  });

  it("restarts from a snapshot of the in-memory copy, and ignores a stale or damaged one", async () => {
    const dir = tempDir();
    const opts = { snapshotMinPoints: 1 };
    const a = EmbeddedVectorStore.open(dir, opts);
    await a.ensureCollection("s", { dimension: 64, distance: "cosine", indexedFields: ["split"] });
    const points = makePoints(300, 64, 31);
    await a.upsert("s", points);
    const filter = { must: [{ key: "split", match: "train" }] };
    const before = await a.search("s", points[9]!.vector, 5, { filter });
    await a.close();
    const snaps = readdirSync(dir).filter((f) => f.startsWith("snapshot-"));
    expect(snaps).toHaveLength(1);

    const b = EmbeddedVectorStore.open(dir, opts);
    expect(await b.search("s", points[9]!.vector, 5, { filter })).toEqual(before);
    // Written while b holds the snapshot's copy: b moves along, and the snapshot becomes stale.
    const extra = makePoints(1, 64, 32, 5000)[0]!;
    await b.upsert("s", [extra]);
    expect((await b.search("s", extra.vector, 1))[0]!.id).toBe(extra.id);
    const c = EmbeddedVectorStore.open(dir, { snapshotMinPoints: 1_000_000 });
    await c.delete("s", { ids: [points[9]!.id] });
    await c.close();
    // b's copy is now behind the database: b reloads (from SQLite), and writes no stale snapshot at close.
    expect((await b.search("s", points[9]!.vector, 1))[0]!.id).not.toBe(points[9]!.id);
    await b.close();

    writeFileSync(path.join(dir, snaps[0]!), "CXRSNAP1 garbage");
    const d = EmbeddedVectorStore.open(dir, opts);
    expect(await d.count("s")).toBe(300);
    const hits = await d.search("s", extra.vector, 1);
    expect(hits[0]!.id).toBe(extra.id);
    expect((await d.search("s", points[9]!.vector, 1))[0]!.id).not.toBe(points[9]!.id);
    await d.close();
  });

  it("a kill -9 in the middle of upserts leaves only whole batches of whole points", async () => {
    const dir = tempDir();
    const setup = EmbeddedVectorStore.open(dir);
    await setup.ensureCollection("crash", { dimension: 64, distance: "dot", indexedFields: ["split"] });
    await setup.close();

    const child = spawn(process.execPath, nodeArgs("fixtures/upsert-forever.ts", dir, "crash"), {
      stdio: ["ignore", "pipe", "inherit"],
    });
    // Kill it after a few committed batches, at whatever point the next write has reached.
    await new Promise<void>((resolve, reject) => {
      let lines = 0;
      child.stdout.on("data", (chunk: Buffer) => {
        lines += chunk.toString().split("\n").length - 1;
        if (lines >= 5 && child.exitCode === null) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`writer exited early: ${code}`));
      });
    });
    await new Promise((resolve) => child.on("close", resolve));

    const store = EmbeddedVectorStore.open(dir);
    const count = await store.count("crash");
    expect(count).toBeGreaterThanOrEqual(5 * 200);
    expect(count % 200).toBe(0);
    let cursor: string | null = null;
    let seen = 0;
    do {
      const page = await store.scroll("crash", { cursor, limit: 1000, withVector: true });
      for (const p of page.points) {
        const sum = p.vector!.reduce((x, y) => x + y, 0);
        expect(sum).toBeCloseTo(p.payload.sum as number, 3);
        expect(p.id).toBe(pointId(p.payload.key as string));
      }
      seen += page.points.length;
      cursor = page.next;
    } while (cursor !== null);
    expect(seen).toBe(count);
    // Still writable and searchable after the crash.
    await store.upsert("crash", makePoints(10, 64, 5, 10_000_000));
    expect(await store.count("crash")).toBe(count + 10);
    expect((await store.search("crash", makePoints(1, 64, 9)[0]!.vector, 3)).length).toBe(3);
    await store.close();
  });

  it("sees points another process wrote after this one loaded the collection", async () => {
    const dir = tempDir();
    const store = EmbeddedVectorStore.open(dir);
    await store.ensureCollection("shared", { dimension: 64, distance: "cosine" });
    const mine = makePoints(50, 64, 1, 0);
    await store.upsert("shared", mine);
    expect((await store.search("shared", mine[0]!.vector, 1))[0]!.id).toBe(mine[0]!.id);
    execFileSync(process.execPath, nodeArgs("fixtures/write-once.ts", dir, "shared", "40", "1000"));
    const theirs = makePoints(40, 64, 77, 1000);
    expect(await store.count("shared")).toBe(89);
    expect((await store.search("shared", theirs[7]!.vector, 1))[0]!.id).toBe(theirs[7]!.id);
    // The other process deleted item-0: it must not come back from the in-memory copy.
    expect((await store.search("shared", mine[0]!.vector, 1))[0]!.id).not.toBe(mine[0]!.id);
    await store.close();
  });
});

/** A port nothing listens on: bind one, then release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("openVectorStore", () => {
  it("opens the embedded store under <dataDir>/vectors when QDRANT_URL is unset", async () => {
    const dataDir = tempDir();
    const store = openVectorStore({ dataDir, qdrantUrl: undefined, qdrantApiKey: undefined });
    expect(store.kind).toBe("embedded");
    expect(store.location).toBe(path.join(dataDir, "vectors"));
    await store.close();
  });

  it("opens Qdrant when QDRANT_URL is set, and an unreachable one is one clear UNAVAILABLE error naming it", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const store = openVectorStore(
      { dataDir: tempDir(), qdrantUrl: url, qdrantApiKey: undefined },
      { qdrant: { retry: { attempts: 2, baseDelayMs: 1 } } },
    );
    expect(store).toBeInstanceOf(QdrantVectorStore);
    await expect(store.listCollections()).rejects.toMatchObject({
      name: "StoreError",
      code: "UNAVAILABLE",
      details: { location: url },
      message: expect.stringContaining(url),
    });
  });

  it("a delete that lands while a search is scanning does not give the search's hits other points' ids", async () => {
    const dir = tempDir();
    const store = EmbeddedVectorStore.open(dir, { scanThreads: 1 });
    await store.ensureCollection("c", { dimension: 16, distance: "cosine" });
    const points = makePoints(10, 16, 5);
    await store.upsert("c", points);
    const last = points[9]!;
    await store.search("c", last.vector, 1); // loads the in-memory copy
    const scan = VectorMatrix.prototype.scan;
    let deleted = false;
    const spy = vi.spyOn(VectorMatrix.prototype, "scan").mockImplementation(async function (
      this: VectorMatrix,
      ...args
    ) {
      const out = await scan.apply(this, args);
      if (!deleted) {
        deleted = true;
        // Another caller of this process deletes the first point while the scan is in flight: the last
        // point moves into its slot.
        await store.delete("c", { ids: [points[0]!.id] });
      }
      return out;
    });
    try {
      const hits = await store.search("c", last.vector, 1);
      expect(deleted).toBe(true);
      expect(hits.map((h) => h.id)).toEqual([last.id]);
      expect(hits[0]!.payload).toEqual(last.payload);
    } finally {
      spy.mockRestore();
      await store.close();
    }
  });

  it("a database file it cannot use is UNAVAILABLE, and the SQLite handle it opened is closed", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "vectors.sqlite"), Buffer.alloc(4096, 7));
    const close = vi.spyOn(Database.prototype, "close");
    try {
      expect(() => EmbeddedVectorStore.open(dir)).toThrow(expect.objectContaining({ code: "UNAVAILABLE" }));
      expect(close).toHaveBeenCalledTimes(1);
    } finally {
      close.mockRestore();
    }
  });

  it("an embedded store that cannot be opened is UNAVAILABLE naming its folder", () => {
    const file = path.join(tempDir(), "a-file");
    writeFileSync(file, "not a folder");
    const where = path.join(file, "vectors");
    expect(() => EmbeddedVectorStore.open(where)).toThrow(
      expect.objectContaining({ code: "UNAVAILABLE", message: expect.stringContaining(where) }),
    );
  });
});
