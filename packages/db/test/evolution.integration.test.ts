import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../src/index.ts";
import { defaultMigrationsDir } from "../src/migrations.ts";
import { postgresAvailable, tempPostgres, tempSqlite } from "../src/testing.ts";

// The schema will evolve: this walks the whole path on a copy of the repository's schema and
// migrations — change the schema, see the check fail, write the migration, see the check pass,
// apply it to both databases.
const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../scripts/migrations.mjs");
const repoSchema = path.resolve(defaultMigrationsDir, "../schema.prisma");
const work = mkdtempSync(path.join(tmpdir(), "cxr-evolve-"));
const schema = path.join(work, "schema.prisma");
const migrations = path.join(work, "migrations");
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], {
    env: { ...process.env, CXR_SCHEMA: schema, CXR_MIGRATIONS_DIR: migrations },
    encoding: "utf8",
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("schema evolution", () => {
  it("detects drift, writes the next migration for both dialects, and applies it", async () => {
    cpSync(repoSchema, schema);
    cpSync(defaultMigrationsDir, migrations, { recursive: true });
    expect(run("check").status).toBe(0);

    writeFileSync(
      schema,
      readFileSync(schema, "utf8").replace(
        "  sha256     String\n\n  study Study",
        "  sha256     String\n  language   String?\n\n  study Study",
      ),
    );
    const drift = run("check");
    expect(drift.status).toBe(1);
    expect(drift.output).toContain("differs from the last migration");

    const existing = readMigrations("sqlite", migrations).map((m) => m.name);
    const next = `${String(existing.length + 1).padStart(4, "0")}_report_language`;
    const created = run("new", "report_language");
    expect(created.status).toBe(0);
    const folder = path.join(migrations, next);
    expect(readFileSync(path.join(folder, "sqlite.sql"), "utf8")).toContain('"language" TEXT');
    expect(readFileSync(path.join(folder, "postgresql.sql"), "utf8")).toContain('"language" TEXT');
    expect(run("check").status).toBe(0);

    const sqlite = tempSqlite();
    const result = await migrate(sqlite.config, migrations);
    expect(result.applied).toEqual([...existing, next]);
    const file = sqlite.config.database.kind === "sqlite" ? sqlite.config.database.file : "";
    const db = new Sqlite(file);
    const columns = (db.prepare(`PRAGMA table_info("Report")`).all() as { name: string }[]).map(
      (c) => c.name,
    );
    db.close();
    expect(columns).toContain("language");
    await sqlite.drop();

    if (await postgresAvailable()) {
      const pgdb = await tempPostgres();
      try {
        expect((await migrate(pgdb.config, migrations)).applied).toEqual([...existing, next]);
        const url = pgdb.config.database.kind === "postgresql" ? pgdb.config.database.url : "";
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const cols = await client.query(
          "SELECT column_name FROM information_schema.columns WHERE table_name = 'Report' AND column_name = 'language'",
        );
        await client.end();
        expect(cols.rowCount).toBe(1);
      } finally {
        await pgdb.drop();
      }
    }
    // Four runs of the migration script (each loads Prisma's wasm schema engine) and two databases:
    // 32 s on an idle machine, over 60 s on a loaded one. A budget, not a speed check.
  }, 600_000);

  it("refuses a migration edited by hand", () => {
    const first = path.join(migrations, "0001_init", "sqlite.sql");
    if (!existsSync(first)) cpSync(defaultMigrationsDir, migrations, { recursive: true });
    cpSync(repoSchema, schema);
    for (const m of readMigrations("sqlite", migrations)) {
      if (m.name.endsWith("_report_language"))
        rmSync(path.join(migrations, m.name), { recursive: true, force: true });
    }
    writeFileSync(first, `${readFileSync(first, "utf8")}\nCREATE TABLE "Oops" ("id" TEXT);\n`);
    const result = run("check");
    expect(result.status).toBe(1);
    expect(result.output).toContain("0001_init/sqlite.sql is not what its schema snapshot generates");
  });
});
