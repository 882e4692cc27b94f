import type { Database, Db } from "./database.ts";
import { DatabaseError } from "./errors.ts";

/**
 * Copies every table of one database into another with the same migrations applied (in practice:
 * an embedded SQLite install moving to PostgreSQL). Rows go through the Prisma clients, so each
 * column is converted as the schema says (dates, bytes, booleans), in primary-key order and in
 * batches, parents before children (the foreign keys decide the order). A row whose key already
 * exists in the target is left alone (`ON CONFLICT DO NOTHING`), so running the copy again, or
 * after an interruption, adds only what is missing and duplicates nothing.
 */

/** The migration runner's bookkeeping: each database keeps its own. */
const INTERNAL_TABLES = new Set(["_cxr_migrations"]);

export interface TableCopy {
  table: string;
  /** Rows in the source. */
  rows: number;
  /** Rows written to the target by this run (0 on a re-run). */
  inserted: number;
}

export interface CopyDatabaseOptions {
  /** Rows per read and per insert (default 500). */
  batchSize?: number;
  /** Called after each batch (table, rows read so far, rows in the table). */
  onProgress?: (table: string, done: number, total: number) => void;
}

interface TableShape {
  name: string;
  primaryKey: string[];
  parents: string[];
}

type Row = Record<string, unknown>;

async function sqliteTables(prisma: Db): Promise<TableShape[]> {
  const names = await prisma.$queryRawUnsafe<Array<{ name: string }>>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const out: TableShape[] = [];
  for (const { name } of names) {
    const columns = await prisma.$queryRawUnsafe<Array<{ name: string; pk: number | bigint }>>(
      "SELECT name, pk FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
      name,
    );
    const parents = await prisma.$queryRawUnsafe<Array<{ parent: string }>>(
      `SELECT DISTINCT "table" AS parent FROM pragma_foreign_key_list(?)`,
      name,
    );
    out.push({ name, primaryKey: columns.map((c) => c.name), parents: parents.map((p) => p.parent) });
  }
  return out;
}

// information_schema's identifier columns are of type "name", which Prisma cannot read: cast to text.
async function postgresTables(prisma: Db): Promise<TableShape[]> {
  const names = await prisma.$queryRawUnsafe<Array<{ name: string }>>(
    `SELECT table_name::text AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const keys = await prisma.$queryRawUnsafe<Array<{ table: string; column: string }>>(
    `SELECT kcu.table_name::text AS "table", kcu.column_name::text AS "column"
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu
         ON kcu.constraint_name = tc.constraint_name AND kcu.constraint_schema = tc.constraint_schema
      WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()
      ORDER BY kcu.table_name, kcu.ordinal_position`,
  );
  const links = await prisma.$queryRawUnsafe<Array<{ child: string; parent: string }>>(
    `SELECT DISTINCT tc.table_name::text AS child, ccu.table_name::text AS parent
       FROM information_schema.table_constraints tc
       JOIN information_schema.constraint_column_usage ccu
         ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema
      WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()`,
  );
  return names.map(({ name }) => ({
    name,
    primaryKey: keys.filter((k) => k.table === name).map((k) => k.column),
    parents: links.filter((l) => l.child === name).map((l) => l.parent),
  }));
}

/** The tables of a database with their primary keys and the tables their foreign keys point at. */
export async function describeTables(database: Database): Promise<TableShape[]> {
  const all =
    database.dialect === "sqlite"
      ? await sqliteTables(database.prisma)
      : await postgresTables(database.prisma);
  return all.filter((t) => !INTERNAL_TABLES.has(t.name));
}

/** Parents before children; a cycle (none in our schema) is refused rather than half-copied. */
function parentsFirst(tables: TableShape[]): TableShape[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: TableShape[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (t: TableShape, path: string[]) => {
    const s = state.get(t.name);
    if (s === "done") return;
    if (s === "visiting") {
      throw new Error(`foreign keys form a cycle (${[...path, t.name].join(" -> ")}); cannot order the copy`);
    }
    state.set(t.name, "visiting");
    for (const p of t.parents) {
      const parent = byName.get(p);
      if (parent !== undefined && p !== t.name) visit(parent, [...path, t.name]);
    }
    state.set(t.name, "done");
    out.push(t);
  };
  for (const t of tables) visit(t, []);
  return out;
}

type Delegate = {
  count(): Promise<number>;
  findMany(args: { orderBy: Row[]; skip: number; take: number }): Promise<Row[]>;
  createMany(args: { data: Row[]; skipDuplicates?: boolean }): Promise<{ count: number }>;
};

/** The Prisma model of a table: models keep their table's name (no @@map in the schema). */
function delegate(prisma: Db, table: string, where: string): Delegate {
  const key = table.charAt(0).toLowerCase() + table.slice(1);
  const found = (prisma as unknown as Record<string, Delegate | undefined>)[key];
  if (found === undefined || typeof found.findMany !== "function") {
    throw new DatabaseError(
      "MIGRATION_UNKNOWN",
      `table "${table}" in ${where} has no model in this version of cxr: upgrade before copying`,
    );
  }
  return found;
}

export async function copyDatabase(
  source: Database,
  target: Database,
  options: CopyDatabaseOptions = {},
): Promise<TableCopy[]> {
  if (target.dialect !== "postgresql") {
    // createMany's skipDuplicates (what makes a re-run safe) exists on PostgreSQL only.
    throw new DatabaseError("NOT_WRITABLE", `the copy target must be PostgreSQL, not ${target.location}`);
  }
  const batchSize = options.batchSize ?? 500;
  const tables = parentsFirst(await describeTables(source));
  const targetTables = new Set((await describeTables(target)).map((t) => t.name));
  for (const t of tables) {
    if (!targetTables.has(t.name)) {
      throw new DatabaseError(
        "NOT_MIGRATED",
        `${target.location} has no table "${t.name}": both databases need the same migrations (cxr db migrate)`,
      );
    }
    if (t.primaryKey.length === 0) {
      throw new DatabaseError(
        "MIGRATION_UNKNOWN",
        `table "${t.name}" has no primary key; cannot copy it in order`,
      );
    }
  }
  const out: TableCopy[] = [];
  for (const t of tables) {
    const from = delegate(source.prisma, t.name, source.location);
    const to = delegate(target.prisma, t.name, target.location);
    const orderBy = t.primaryKey.map((column) => ({ [column]: "asc" }));
    const rows = await from.count();
    let done = 0;
    let inserted = 0;
    while (done < rows) {
      const batch = await from.findMany({ orderBy, skip: done, take: batchSize });
      if (batch.length === 0) break;
      inserted += (await to.createMany({ data: batch, skipDuplicates: true })).count;
      done += batch.length;
      options.onProgress?.(t.name, done, rows);
    }
    out.push({ table: t.name, rows, inserted });
  }
  return out;
}
