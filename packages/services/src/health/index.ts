export {
  describeDatabase,
  type MigrateResult,
  type MigrationStatus,
  migrate as migrateDatabase,
  migrationStatus,
} from "@cxr/db";
export { type HealthReport, health } from "./health.ts";
