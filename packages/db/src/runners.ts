import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { DatabaseError } from "./errors.ts";
import {
  type AppliedMigration,
  compareMigrations,
  type Migration,
  type MigrationStatus,
} from "./migrations.ts";

/**
 * Applies migrations with the database drivers directly. Prisma's `migrate deploy` is not used:
 * offline, its wasm schema engine cannot migrate PostgreSQL (toolchain.md). Each migration runs
 * in its own transaction and is recorded in _cxr_migrations with its checksum; concurrent
 * starters are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock).
 */

const TABLE = "_cxr_migrations";
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "${TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TEXT NOT NULL)`;
/** Any constant works; it only has to be the same for every cxr process. */
const ADVISORY_LOCK_KEY = 7_231_842_001;

export interface MigrateResult {
  applied: string[];
  status: MigrationStatus;
}

function refuseInconsistent(status: MigrationStatus): void {
  if (status.modified.length > 0) {
    throw new DatabaseError(
      "MIGRATION_MODIFIED",
      `migration(s) ${status.modified.join(", ")} were changed after they were applied to this database`,
    );
  }
  if (status.unknown.length > 0) {
    throw new DatabaseError(
      "MIGRATION_UNKNOWN",
      `the database has migration(s) ${status.unknown.join(", ")} that this version does not know: it was migrated by a newer version`,
    );
  }
}

// ---------------------------------------------------------------- SQLite

/** Makes sure the folder of the SQLite file exists and can be written, with a clear error if not. */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    // access() says yes to root on a read-only folder; a real write is the only honest probe.
    const probe = path.join(dir, `.cxr-write-probe-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    throw new DatabaseError("NOT_WRITABLE", `the data folder ${dir} is not writable (${code})`, { cause });
  }
}

export function openSqlite(file: string): Sqlite.Database {
  ensureWritableDir(path.dirname(file));
  try {
    const db = new Sqlite(file);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 10000");
    db.pragma("foreign_keys = ON");
    return db;
  } catch (cause) {
    throw new DatabaseError(
      "NOT_WRITABLE",
      `cannot open the SQLite database ${file}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

function sqliteApplied(db: Sqlite.Database): AppliedMigration[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(TABLE);
  if (!exists) return [];
  return db
    .prepare(`SELECT "name", "checksum", "appliedAt" FROM "${TABLE}" ORDER BY "name"`)
    .all() as AppliedMigration[];
}

export function sqliteStatus(file: string, migrations: Migration[]): MigrationStatus {
  const db = openSqlite(file);
  try {
    return compareMigrations(migrations, sqliteApplied(db));
  } finally {
    db.close();
  }
}

export function migrateSqlite(file: string, migrations: Migration[]): MigrateResult {
  const db = openSqlite(file);
  try {
    db.exec(CREATE_TABLE);
    refuseInconsistent(compareMigrations(migrations, sqliteApplied(db)));
    const applied: string[] = [];
    for (const migration of migrations) {
      // One transaction per migration; IMMEDIATE takes the write lock before reading what is applied.
      db.exec("BEGIN IMMEDIATE");
      try {
        const status = compareMigrations(migrations, sqliteApplied(db));
        refuseInconsistent(status);
        if (status.pending.includes(migration.name)) {
          db.exec(migration.sql);
          db.prepare(`INSERT INTO "${TABLE}" ("name", "checksum", "appliedAt") VALUES (?, ?, ?)`).run(
            migration.name,
            migration.checksum,
            new Date().toISOString(),
          );
          applied.push(migration.name);
        }
        db.exec("COMMIT");
      } catch (cause) {
        db.exec("ROLLBACK");
        if (cause instanceof DatabaseError) throw cause;
        throw new DatabaseError(
          "MIGRATION_FAILED",
          `migration ${migration.name} failed: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      }
    }
    return { applied, status: compareMigrations(migrations, sqliteApplied(db)) };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** Where the URL points, without the password, for messages. */
export function describePostgres(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL at ${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}

export async function connectPostgres(url: string, timeoutMs = 5000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A dropped connection later must not crash the process with an unhandled 'error' event.
  client.on("error", () => {});
  try {
    await client.connect();
    return client;
  } catch (cause) {
    await client.end().catch(() => {});
    const err = cause as NodeJS.ErrnoException & { code?: string };
    const where = describePostgres(url);
    if (err.code === "28P01" || err.code === "28000") {
      throw new DatabaseError("AUTH_FAILED", `${where} refused the credentials (${err.message})`, { cause });
    }
    if (err.code === "3D000") {
      throw new DatabaseError("DATABASE_MISSING", `${where}: ${err.message}`, { cause });
    }
    const reason = err.code ?? (err.message.includes("timeout") ? "timeout" : err.message);
    throw new DatabaseError("UNREACHABLE", `${where} is unreachable (${reason})`, { cause });
  }
}

async function postgresApplied(client: pg.Client): Promise<AppliedMigration[]> {
  const exists = await client.query("SELECT to_regclass($1) AS t", [`public."${TABLE}"`]);
  if (exists.rows[0]?.t === null) return [];
  const rows = await client.query(`SELECT "name", "checksum", "appliedAt" FROM "${TABLE}" ORDER BY "name"`);
  return rows.rows as AppliedMigration[];
}

export async function postgresStatus(url: string, migrations: Migration[]): Promise<MigrationStatus> {
  const client = await connectPostgres(url);
  try {
    return compareMigrations(migrations, await postgresApplied(client));
  } finally {
    await client.end();
  }
}

export async function migratePostgres(url: string, migrations: Migration[]): Promise<MigrateResult> {
  const client = await connectPostgres(url);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [ADVISORY_LOCK_KEY]);
    await client.query(CREATE_TABLE);
    refuseInconsistent(compareMigrations(migrations, await postgresApplied(client)));
    const applied: string[] = [];
    for (const name of compareMigrations(migrations, await postgresApplied(client)).pending) {
      const migration = migrations.find((m) => m.name === name)!;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query(`INSERT INTO "${TABLE}" ("name", "checksum", "appliedAt") VALUES ($1, $2, $3)`, [
          migration.name,
          migration.checksum,
          new Date().toISOString(),
        ]);
        await client.query("COMMIT");
        applied.push(migration.name);
      } catch (cause) {
        await client.query("ROLLBACK");
        throw new DatabaseError(
          "MIGRATION_FAILED",
          `migration ${migration.name} failed: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      }
    }
    return { applied, status: compareMigrations(migrations, await postgresApplied(client)) };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [ADVISORY_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
