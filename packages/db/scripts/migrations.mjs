#!/usr/bin/env node
// Versioned migrations for both databases, generated offline from schema snapshots.
//
//   node packages/db/scripts/migrations.mjs new <name>   write the next migration from the schema change
//   node packages/db/scripts/migrations.mjs check        fail when schema and migrations disagree
//
// Each folder prisma/migrations/NNNN_name/ holds sqlite.sql, postgresql.sql and schema.prisma, the
// schema snapshot the SQL leads to. Prisma's own `migrate dev/deploy` cannot be used for PostgreSQL
// here (toolchain.md), so the SQL comes from `prisma migrate diff` between consecutive snapshots
// and @cxr/db applies it with its own runner.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { prisma, root, sourceSchema, toPostgres } from "./prisma.mjs";

// Overridable so that tests can evolve a copy of the schema without touching the repository.
const migrationsDir = process.env.CXR_MIGRATIONS_DIR ?? path.join(root, "prisma/migrations");
const schemaFile = process.env.CXR_SCHEMA ?? sourceSchema;
const DIALECTS = ["sqlite", "postgresql"];

function folders() {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{4}_[a-z0-9_]+$/.test(d.name))
    .map((d) => d.name)
    .sort();
}

/** SQL that takes a database from schema `from` (text or null for empty) to schema `to`, per dialect. */
function diffSql(from, to, dialect) {
  const tmp = mkdtempSync(path.join(tmpdir(), "cxr-migrate-"));
  try {
    const write = (name, text) => {
      const file = path.join(tmp, name);
      writeFileSync(file, dialect === "postgresql" ? toPostgres(text) : text);
      return file;
    };
    const args = ["migrate", "diff", "--script"];
    args.push(
      ...(from === null ? ["--from-empty"] : ["--from-schema-datamodel", write("from.prisma", from)]),
    );
    args.push("--to-schema-datamodel", write("to.prisma", to));
    const { status, stdout } = prisma(args);
    if (status !== 0) throw new Error(`prisma migrate diff failed for ${dialect}`);
    return stdout;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const isEmptyScript = (sql) => sql.split("\n").every((l) => l.trim() === "" || l.startsWith("--"));

function newMigration(name) {
  if (!/^[a-z0-9_]+$/.test(name ?? "")) {
    console.error("usage: migrations.mjs new <name>   (name: lower-case letters, digits, _)");
    process.exit(2);
  }
  const existing = folders();
  const last = existing.at(-1);
  const from = last ? readFileSync(path.join(migrationsDir, last, "schema.prisma"), "utf8") : null;
  const to = readFileSync(schemaFile, "utf8");
  const sql = Object.fromEntries(DIALECTS.map((d) => [d, diffSql(from, to, d)]));
  if (isEmptyScript(sql.sqlite)) {
    console.log("The schema has not changed since the last migration; nothing written.");
    return;
  }
  const folder = path.join(migrationsDir, `${String(existing.length + 1).padStart(4, "0")}_${name}`);
  mkdirSync(folder, { recursive: true });
  for (const d of DIALECTS) writeFileSync(path.join(folder, `${d}.sql`), sql[d]);
  writeFileSync(path.join(folder, "schema.prisma"), to);
  console.log(`wrote ${folder}`);
}

function check() {
  const problems = [];
  const all = folders();
  if (all.length === 0) problems.push("there are no migrations");
  let previous = null;
  for (const name of all) {
    const dir = path.join(migrationsDir, name);
    const snapshot = readFileSync(path.join(dir, "schema.prisma"), "utf8");
    for (const d of DIALECTS) {
      const committed = readFileSync(path.join(dir, `${d}.sql`), "utf8");
      if (diffSql(previous, snapshot, d).trim() !== committed.trim()) {
        problems.push(
          `${name}/${d}.sql is not what its schema snapshot generates (edited by hand, or stale)`,
        );
      }
    }
    previous = snapshot;
  }
  if (previous !== null) {
    const pending = diffSql(previous, readFileSync(schemaFile, "utf8"), "sqlite");
    if (!isEmptyScript(pending)) {
      problems.push(
        "prisma/schema.prisma differs from the last migration: run `pnpm db:migration:new <name>`",
      );
    }
  }
  if (problems.length > 0) {
    for (const p of problems) console.error(`migration check: ${p}`);
    process.exit(1);
  }
  console.log(
    `migration check: ${all.length} migration(s) agree with prisma/schema.prisma for ${DIALECTS.join(" and ")}`,
  );
}

const [command, arg] = process.argv.slice(2);
if (command === "new") newMigration(arg);
else if (command === "check") check();
else {
  console.error("usage: migrations.mjs new <name> | check");
  process.exit(2);
}
