import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { VectorMatrix } from "../src/matrix.ts";
import { readSnapshot, writeSnapshot } from "../src/snapshot.ts";

const calls = vi.hoisted(() => [] as string[]);
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    fsyncSync: (fd: number) => {
      calls.push("fsync");
      fs.fsyncSync(fd);
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
