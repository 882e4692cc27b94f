export type * from "../generated/sqlite/models.ts";
export { type CopyDatabaseOptions, copyDatabase, describeTables, type TableCopy } from "./copy.ts";
export {
  type Database,
  type Db,
  describeDatabase,
  migrate,
  migrationStatus,
  openDatabase,
} from "./database.ts";
export { DatabaseError, type DatabaseErrorCode } from "./errors.ts";
export { type Dialect, type Migration, type MigrationStatus, readMigrations } from "./migrations.ts";
export type { MigrateResult } from "./runners.ts";
