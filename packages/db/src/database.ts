import path from "node:path";
import type { Config } from "@cxr/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresClient } from "../generated/postgresql/client.ts";
import { PrismaClient as SqliteClient } from "../generated/sqlite/client.ts";
import { DatabaseError } from "./errors.ts";
import { type Dialect, type MigrationStatus, readMigrations } from "./migrations.ts";
import {
  connectPostgres,
  describePostgres,
  ensureWritableDir,
  type MigrateResult,
  migratePostgres,
  migrateSqlite,
  postgresStatus,
  sqliteStatus,
} from "./runners.ts";

/**
 * The Prisma client type. Both generated clients come from the same models (the PostgreSQL schema
 * is derived from the SQLite one), so they share this shape; only the provider differs.
 */
export type Db = SqliteClient;

export interface Database {
  dialect: Dialect;
  /** Where it is, without credentials: a file path or host:port/db. */
  location: string;
  prisma: Db;
  close(): Promise<void>;
}

type DatabaseConfig = Pick<Config, "database">;

export function describeDatabase(config: DatabaseConfig): string {
  return config.database.kind === "sqlite"
    ? `SQLite at ${config.database.file}`
    : describePostgres(config.database.url);
}

/** Applies pending migrations (a no-op when there are none). */
export async function migrate(config: DatabaseConfig, migrationsDir?: string): Promise<MigrateResult> {
  const db = config.database;
  const migrations = readMigrations(db.kind, migrationsDir);
  return db.kind === "sqlite" ? migrateSqlite(db.file, migrations) : migratePostgres(db.url, migrations);
}

/** What is applied and what is pending, without changing anything. */
export async function migrationStatus(
  config: DatabaseConfig,
  migrationsDir?: string,
): Promise<MigrationStatus> {
  const db = config.database;
  const migrations = readMigrations(db.kind, migrationsDir);
  return db.kind === "sqlite" ? sqliteStatus(db.file, migrations) : postgresStatus(db.url, migrations);
}

/**
 * Opens the database, creating and migrating it first unless `migrate: false`. With migrate false a
 * database with pending migrations is refused, so nothing runs against an old schema.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: { migrate?: boolean; migrationsDir?: string } = {},
): Promise<Database> {
  const db = config.database;
  if (options.migrate ?? true) {
    await migrate(config, options.migrationsDir);
  } else {
    const status = await migrationStatus(config, options.migrationsDir);
    if (status.pending.length > 0) {
      throw new DatabaseError(
        "NOT_MIGRATED",
        `${describeDatabase(config)} has ${status.pending.length} pending migration(s): run \`cxr db migrate\``,
      );
    }
  }
  if (db.kind === "sqlite") {
    ensureWritableDir(path.dirname(db.file));
    const prisma = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: `file:${db.file}` }) });
    return { dialect: "sqlite", location: db.file, prisma, close: () => prisma.$disconnect() };
  }
  // Fail fast with a clear message rather than on the first query.
  await (await connectPostgres(db.url)).end();
  const prisma = new PostgresClient({ adapter: new PrismaPg({ connectionString: db.url }) }) as unknown as Db;
  return {
    dialect: "postgresql",
    location: describePostgres(db.url),
    prisma,
    close: () => prisma.$disconnect(),
  };
}
