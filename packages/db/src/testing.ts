import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Config } from "@cxr/config";
import pg from "pg";

/**
 * Test support: throwaway databases on both dialects. PostgreSQL tests run against the real server
 * ($CXR_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres), each in a new
 * database dropped afterwards.
 */

export const testPostgresUrl =
  process.env.CXR_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

let reachable: Promise<boolean> | undefined;

/** Whether the test PostgreSQL answers. In CI it must: there, a missing server is a failure, not a skip. */
export function postgresAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: testPostgresUrl, connectionTimeoutMillis: 3000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      if (process.env.CI)
        throw new Error(`CI needs PostgreSQL at ${testPostgresUrl} and it is not reachable`);
      console.warn(`[postgresql absent] ${testPostgresUrl} is unreachable: PostgreSQL variants are skipped`);
      return false;
    }
  })();
  return reachable;
}

export interface TempDatabase {
  config: Pick<Config, "database">;
  /** Removes the database (and its folder, for SQLite). */
  drop(): Promise<void>;
}

export function tempSqlite(): TempDatabase {
  const dir = mkdtempSync(path.join(tmpdir(), "cxr-db-"));
  const file = path.join(dir, "cxr.db");
  return {
    config: { database: { kind: "sqlite", url: `file:${file}`, file } },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function tempPostgres(): Promise<TempDatabase> {
  const name = `cxr_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return {
    config: { database: { kind: "postgresql", url: url.toString() } },
    drop: async () => {
      const c = new pg.Client({ connectionString: testPostgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export function tempDatabase(dialect: "sqlite" | "postgresql"): Promise<TempDatabase> {
  return dialect === "sqlite" ? Promise.resolve(tempSqlite()) : tempPostgres();
}
