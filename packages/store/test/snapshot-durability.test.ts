import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { VectorMatrix } from "../src/matrix.ts";
import { readSnapshot, writeSnapshot } from "../src/snapshot.ts";

const calls = vi.hoisted(() => [] as string[]);
const diskFull = vi.hoisted(() => ({ on: false }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    fsyncSync: (fd: number) => {
      calls.push("fsync");
      fs.fsyncSync(fd);
    },
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (diskFull.on) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
    renameSync: (from: string, to: string) => {
      calls.push("rename");
      fs.renameSync(from, to);
    },
  };
});

const dir = mkdtempSync(path.join(tmpdir(), "cxr-store-snapshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a snapshot's bytes reach the disk before it is renamed into place (a power loss cannot leave a whole-looking file of zeros)", () => {
  const matrix = new VectorMatrix(4);
  matrix.append(Float32Array.from([1, 0, 0, 0]));
  const file = path.join(dir, "snapshot.bin");
  writeSnapshot(file, { uid: "u", version: 3, dimension: 4, ids: ["a"], values: [], matrix });
  expect(calls.indexOf("fsync")).toBeGreaterThanOrEqual(0);
  expect(calls.indexOf("fsync")).toBeLessThan(calls.indexOf("rename"));
  expect(readSnapshot(file, "u", 3, 0)?.matrix.get(0)).toEqual(Float32Array.from([1, 0, 0, 0]));
});

it("a snapshot that cannot be written (disk full) leaves no temporary file behind", () => {
  const sub = mkdtempSync(path.join(dir, "full-"));
  const matrix = new VectorMatrix(4);
  matrix.append(Float32Array.from([0, 1, 0, 0]));
  diskFull.on = true;
  try {
    expect(() =>
      writeSnapshot(path.join(sub, "snapshot.bin"), {
        uid: "u",
        version: 1,
        dimension: 4,
        ids: ["a"],
        values: [],
        matrix,
      }),
    ).toThrow("ENOSPC");
  } finally {
    diskFull.on = false;
  }
  expect(readdirSync(sub)).toEqual([]);
});
