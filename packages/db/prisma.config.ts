import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";

// Used only by the Prisma CLI when the project's own scripts generate clients and migration SQL
// (packages/db/scripts). Applying migrations is done by @cxr/db's own runner: the wasm schema
// engine cannot `migrate deploy` to PostgreSQL offline (toolchain.md).
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "../../prisma/schema.prisma",
  async adapter() {
    return new PrismaBetterSQLite3({ url: process.env.CXR_PRISMA_CLI_SQLITE ?? "file::memory:" });
  },
});
