import { describeDatabase, migrateDatabase, migrationStatus } from "@cxr/services";
import type { Command } from "commander";
import { config, output } from "../context.ts";
import { EXIT } from "../errors.ts";

export function registerDbCommands(program: Command): void {
  const db = program
    .command("db")
    .description("the metadata database (SQLite by default, PostgreSQL when DATABASE_URL says so)");

  db.command("migrate")
    .description("create the database if needed and apply pending migrations (a no-op when up to date)")
    .option("--json", "print the result as JSON")
    .action(async (opts: { json?: boolean }) => {
      const cfg = config();
      const result = await migrateDatabase(cfg);
      output(
        opts.json,
        { database: describeDatabase(cfg), applied: result.applied, pending: result.status.pending },
        () =>
          result.applied.length === 0
            ? `${describeDatabase(cfg)}: up to date (${result.status.applied.length} migration(s) applied earlier)`
            : `${describeDatabase(cfg)}: applied ${result.applied.join(", ")}`,
      );
    });

  db.command("status")
    .description("show applied and pending migrations; exits 1 when migrations are pending")
    .option("--json", "print the status as JSON")
    .action(async (opts: { json?: boolean }) => {
      const cfg = config();
      const status = await migrationStatus(cfg);
      const upToDate =
        status.pending.length === 0 && status.modified.length === 0 && status.unknown.length === 0;
      output(opts.json, { database: describeDatabase(cfg), upToDate, ...status }, () =>
        [
          `${describeDatabase(cfg)}`,
          ...status.applied.map((a) => `  applied  ${a.name}  ${a.appliedAt}`),
          ...status.pending.map((name) => `  pending  ${name}`),
          ...status.modified.map((name) => `  MODIFIED ${name} (changed after it was applied)`),
          ...status.unknown.map((name) => `  UNKNOWN  ${name} (applied by a newer version)`),
          upToDate ? "up to date" : "not up to date: run `cxr db migrate`",
        ].join("\n"),
      );
      if (!upToDate) process.exitCode = EXIT.failed;
    });
}
