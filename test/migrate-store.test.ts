import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { postgresAvailable, type TempDatabase, tempDatabase } from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cxr } from "./support/cli.ts";

// `cxr migrate-store` as a user runs it: an embedded install with an ingested dataset moved to the
// real PostgreSQL here (and its vector store to a new folder), then used through DATABASE_URL.

const pgUp = await postgresAvailable();

describe.runIf(pgUp)("cxr migrate-store", () => {
  const root = mkdtempSync(path.join(tmpdir(), "cxr-e2e-migrate-"));
  const env = { CXR_DATA_DIR: path.join(root, "data") };
  let pg: TempDatabase;
  const url = () => (pg.config.database as { url: string }).url;

  beforeAll(async () => {
    pg = await tempDatabase("postgresql");
    const synth = path.join(root, "synth");
    expect(cxr(["synth", "--out", synth, "--studies", "12", "--size", "32"], env).status).toBe(0);
    const ingest = cxr(["ingest", "manifest", synth, "--name", "synthetic"], env);
    expect(ingest.status, ingest.stderr).toBe(0);
  });
  afterAll(async () => {
    await pg?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it("copies the install, duplicates nothing when run again, and the moved install works", () => {
    const args = [
      "migrate-store",
      "--to-database",
      url(),
      "--to-vectors",
      path.join(root, "new", "vectors"),
      "--json",
    ];
    const first = cxr(args, env);
    expect(first.status, first.stderr).toBe(0);
    const tables = JSON.parse(first.stdout).database.tables as Array<{
      table: string;
      rows: number;
      inserted: number;
    }>;
    expect(tables.find((t) => t.table === "Study")).toEqual({ table: "Study", rows: 12, inserted: 12 });

    const second = cxr(args, env);
    expect(second.status, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout).database.tables as typeof tables).every((t) => t.inserted === 0)).toBe(
      true,
    );

    const listed = cxr(["datasets", "list", "--json"], {
      CXR_DATA_DIR: path.join(root, "new"),
      DATABASE_URL: url(),
    });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('"synthetic"');
  });

  it("a bad target is one line and exit 2, with nothing copied", () => {
    const bad = cxr(["migrate-store", "--to-database", "file:./x.db"], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--to-database must be a postgresql:\/\/ URL/);
    expect(cxr(["migrate-store", "--to-qdrant", "http://127.0.0.1:6333", "--batch", "0"], env).status).toBe(
      2,
    );
  });
});
