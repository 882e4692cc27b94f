// Runs the Prisma CLI offline: the environment below stops it from downloading engines
// (toolchain.md), and the derived PostgreSQL schema is written from prisma/schema.prisma.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const sourceSchema = path.join(root, "prisma/schema.prisma");
export const generatedDir = path.join(root, "packages/db/generated");
export const postgresSchema = path.join(generatedDir, "schema.postgresql.prisma");
const prismaBin = path.join(root, "packages/db/node_modules/.bin/prisma");

export const prismaEnv = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: "/bin/true",
  PRISMA_SCHEMA_ENGINE_BINARY: "/bin/true",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
  PRISMA_GENERATE_SKIP_AUTOINSTALL: "1",
};

/** The PostgreSQL variant of a SQLite-dialect schema text: same models, other provider. */
export function toPostgres(schemaText, outputDir = "./postgresql") {
  const out = schemaText
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace(/url\s*=\s*"file:[^"]*"/, 'url      = "postgresql://localhost/unused"')
    .replace(/output\s*=\s*"[^"]*"/, `output     = "${outputDir}"`);
  if (!out.includes('provider = "postgresql"')) throw new Error("schema has no sqlite datasource to swap");
  return out;
}

export function writePostgresSchema() {
  mkdirSync(generatedDir, { recursive: true });
  writeFileSync(postgresSchema, toPostgres(readFileSync(sourceSchema, "utf8")));
  return postgresSchema;
}

/** Runs `prisma ...args`; returns { status, stdout, stderr }. */
export function prisma(args, { quiet = false } = {}) {
  const result = spawnSync(
    prismaBin,
    [...args, "--config", path.join(root, "packages/db/prisma.config.ts")],
    { cwd: root, env: prismaEnv, encoding: "utf8" },
  );
  if (!quiet && result.status !== 0) process.stderr.write(result.stdout + result.stderr);
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
