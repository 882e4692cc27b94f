import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { postgresAvailable, tempPostgres } from "@cxr/db/testing";
import { afterAll, describe, expect, it } from "vitest";
import { cxr } from "../support/cli.ts";

const work = mkdtempSync(path.join(tmpdir(), "cxr-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function freshDataDir(name: string): string {
  return path.join(work, name);
}

describe("cxr help", () => {
  it("has --help on every level", () => {
    for (const args of [
      ["--help"],
      ["db", "--help"],
      ["db", "migrate", "--help"],
      ["db", "status", "--help"],
      ["doctor", "--help"],
    ]) {
      const result = cxr(args);
      expect(result.status, args.join(" ")).toBe(0);
      expect(result.stdout).toContain("Usage: cxr");
    }
  });

  it("rejects an unknown command with exit code 2", () => {
    const result = cxr(["frobnicate"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command");
  });
});

describe("cxr db", () => {
  it("migrates a fresh SQLite database once; the second run is a no-op", () => {
    const env = { CXR_DATA_DIR: freshDataDir("sqlite") };
    const first = cxr(["db", "migrate", "--json"], env);
    expect(first.status, first.stderr).toBe(0);
    const applied = JSON.parse(first.stdout).applied as string[];
    expect(applied.length).toBeGreaterThan(0);
    const second = cxr(["db", "migrate", "--json"], env);
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ applied: [], pending: [] });
    const status = cxr(["db", "status", "--json"], env);
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ upToDate: true, pending: [] });
  });

  it("reports pending migrations with exit code 1", () => {
    const status = cxr(["db", "status", "--json"], { CXR_DATA_DIR: freshDataDir("pending") });
    expect(status.status).toBe(1);
    expect(JSON.parse(status.stdout).pending.length).toBeGreaterThan(0);
  });

  it("migrates PostgreSQL when DATABASE_URL points at it", async () => {
    if (!(await postgresAvailable())) return;
    const db = await tempPostgres();
    try {
      const url = db.config.database.kind === "postgresql" ? db.config.database.url : "";
      const env = { CXR_DATA_DIR: freshDataDir("pg"), DATABASE_URL: url };
      const first = cxr(["db", "migrate", "--json"], env);
      expect(first.status, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout).applied.length).toBeGreaterThan(0);
      expect(JSON.parse(cxr(["db", "migrate", "--json"], env).stdout).applied).toEqual([]);
      const doctor = cxr(["doctor", "--json"], env);
      expect(doctor.status, doctor.stdout).toBe(0);
      expect(JSON.parse(doctor.stdout).database).toMatchObject({
        kind: "postgresql",
        reachable: true,
        migrated: true,
      });
    } finally {
      await db.drop();
    }
  });
});

describe("bad configuration and environment: one clear line, exit 2, no stack trace", () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "malformed DATABASE_URL",
      { DATABASE_URL: "mysql://root@localhost/db" },
      /DATABASE_URL: must start with postgresql/,
    ],
    [
      "DATABASE_URL without database",
      { DATABASE_URL: "postgresql://u@127.0.0.1:5432" },
      /DATABASE_URL: names no database/,
    ],
    [
      "unreachable PostgreSQL",
      { DATABASE_URL: "postgresql://u@127.0.0.1:1/cxr" },
      /PostgreSQL at 127\.0\.0\.1:1\/cxr is unreachable/,
    ],
    ["bad port", { CXR_API_PORT: "eighty" }, /CXR_API_PORT: expected a whole number/],
    ["bad provider", { CXR_EXECUTION_PROVIDERS: "cuda,tpu" }, /CXR_EXECUTION_PROVIDERS/],
    ["bad Qdrant URL", { QDRANT_URL: "localhost:6333" }, /QDRANT_URL: expected an http\(s\) URL/],
  ];
  it.each(cases)("%s", (_name, env, message) => {
    const result = cxr(["db", "migrate"], { CXR_DATA_DIR: freshDataDir("bad"), ...env });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it("prints the stack trace with --verbose", () => {
    const result = cxr(["db", "migrate", "--verbose"], { DATABASE_URL: "postgresql://u@127.0.0.1:1/cxr" });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it("a read-only data folder", () => {
    const dir = freshDataDir("readonly");
    const made = spawnSync("sh", ["-c", `mkdir -p '${dir}' && chattr +i '${dir}'`]);
    if (made.status !== 0) {
      console.warn("[skipped] chattr +i is not available here: cannot make a folder read-only for root");
      return;
    }
    try {
      const result = cxr(["db", "migrate"], { CXR_DATA_DIR: dir });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`the data folder ${dir} is not writable`);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      spawnSync("chattr", ["-i", dir]);
    }
  });
});

describe("cxr doctor", () => {
  it("reports true facts of this machine as JSON", () => {
    const env = { CXR_DATA_DIR: freshDataDir("doctor") };
    expect(cxr(["db", "migrate"], env).status).toBe(0);
    const result = cxr(["doctor", "--json"], env);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.node.version).toBe(process.version);
    expect(report.platform.cpus).toBeGreaterThan(0);
    expect(report.database).toMatchObject({ kind: "sqlite", reachable: true, migrated: true, pending: 0 });
    expect(report.dataDir).toMatchObject({ path: env.CXR_DATA_DIR, writable: true });
    expect(report.vectorStore.kind).toBe("embedded");
    expect(report.onnxRuntime.available).toContain("cpu");
    expect(report.onnxRuntime.available).toContain(report.onnxRuntime.selected);
  });

  it("says what is wrong with exit code 2 when the database is not migrated", () => {
    const result = cxr(["doctor", "--json"], { CXR_DATA_DIR: freshDataDir("doctor-unmigrated") });
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).problems.join("\n")).toContain("pending migration");
  });

  it("reports an unreachable Qdrant", () => {
    const env = { CXR_DATA_DIR: freshDataDir("doctor-q"), QDRANT_URL: "http://127.0.0.1:1" };
    cxr(["db", "migrate"], env);
    const result = cxr(["doctor", "--json"], env);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).vectorStore).toMatchObject({ kind: "qdrant", reachable: false });
  });
});

writeFileSync(path.join(work, ".keep"), "");
