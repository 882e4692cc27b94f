import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export type Dialect = "sqlite" | "postgresql";

export interface Migration {
  /** Folder name, e.g. "0001_init"; migrations apply in this order. */
  name: string;
  sql: string;
  /** sha256 of the SQL, recorded when applied, so that an edited migration is noticed. */
  checksum: string;
}

export const defaultMigrationsDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../prisma/migrations",
);

/** The repository's migrations for one dialect, in order. */
export function readMigrations(dialect: Dialect, dir = defaultMigrationsDir): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d{4}_[a-z0-9_]+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, `${dialect}.sql`), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export interface AppliedMigration {
  name: string;
  checksum: string;
  appliedAt: string;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: string[];
  /** Applied to the database but absent from this checkout (a newer version migrated it). */
  unknown: string[];
  /** Applied, but the SQL in this checkout differs from what was applied. */
  modified: string[];
}

export function compareMigrations(repo: Migration[], applied: AppliedMigration[]): MigrationStatus {
  const byName = new Map(applied.map((a) => [a.name, a]));
  const repoNames = new Set(repo.map((m) => m.name));
  return {
    applied,
    pending: repo.filter((m) => !byName.has(m.name)).map((m) => m.name),
    unknown: applied.filter((a) => !repoNames.has(a.name)).map((a) => a.name),
    modified: repo
      .filter((m) => byName.has(m.name) && byName.get(m.name)!.checksum !== m.checksum)
      .map((m) => m.name),
  };
}
