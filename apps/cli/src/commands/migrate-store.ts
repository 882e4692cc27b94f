import { type MigrateStoreResult, migrateStore } from "@cxr/services";
import type { Command } from "commander";
import { output, withServices } from "../context.ts";
import { CliError } from "../errors.ts";
import { createProgress, type Progress } from "../progress.ts";

/**
 * `cxr migrate-store`: moves this install's metadata to PostgreSQL and its vectors to Qdrant (or
 * another embedded store folder). Safe to run again: it adds only what is missing. Exit 2 for bad
 * targets or an unreachable one, 1 when a copy fails part way (run it again to finish).
 */

function positive(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) {
    throw new CliError(`${flag} must be 1..10000, got "${raw}"`);
  }
  return Number(raw);
}

function summary(r: MigrateStoreResult): string {
  const lines: string[] = [];
  if (r.database !== null) {
    const rows = r.database.tables.reduce((n, t) => n + t.rows, 0);
    const inserted = r.database.tables.reduce((n, t) => n + t.inserted, 0);
    lines.push(
      `database: ${r.database.from} -> ${r.database.to}: ${rows} rows in ${r.database.tables.length} tables, ${inserted} new`,
    );
    for (const t of r.database.tables) lines.push(`  ${t.table}: ${t.rows} rows, ${t.inserted} new`);
  }
  if (r.vectors !== null) {
    lines.push(`vectors: ${r.vectors.from} -> ${r.vectors.to}: ${r.vectors.collections.length} collections`);
    for (const c of r.vectors.collections)
      lines.push(`  ${c.collection}: ${c.points} points, ${c.copied} in the target`);
    for (const a of r.vectors.aliases) lines.push(`  alias ${a.alias} -> ${a.collection}`);
  }
  lines.push(
    "next: set " +
      [
        r.database === null ? "" : `DATABASE_URL=<the target URL>`,
        r.vectors === null ? "" : "QDRANT_URL=<the target URL>",
      ]
        .filter((s) => s !== "")
        .join(" and ") +
      " wherever cxr runs",
  );
  return lines.join("\n");
}

export function registerMigrateStoreCommand(program: Command): void {
  program
    .command("migrate-store")
    .description(
      "copy this install's metadata to PostgreSQL and its vectors to Qdrant (re-runnable: adds only what is missing)",
    )
    .option("--to-database <url>", "postgresql://user@host:5432/db to copy every table into (migrated first)")
    .option("--to-qdrant <url>", "http(s)://host:6333 to copy every collection and alias into")
    .option("--to-vectors <dir>", "or another embedded vector store folder (e.g. <new data dir>/vectors)")
    .option("--batch <n>", "database rows per batch (default 500)")
    .option("--page <n>", "vector points per page (default 512)")
    .option("--json", "print the result as JSON")
    .action(
      async (opts: {
        toDatabase?: string;
        toQdrant?: string;
        toVectors?: string;
        batch?: string;
        page?: string;
        json?: boolean;
      }) => {
        const batchSize = positive("--batch", opts.batch);
        const pageSize = positive("--page", opts.page);
        const bars = new Map<string, Progress>();
        const result = await withServices((services) =>
          migrateStore(
            services,
            {
              ...(opts.toDatabase === undefined ? {} : { databaseUrl: opts.toDatabase }),
              ...(opts.toQdrant === undefined ? {} : { qdrantUrl: opts.toQdrant }),
              ...(opts.toVectors === undefined ? {} : { vectorsDir: opts.toVectors }),
            },
            {
              ...(batchSize === undefined ? {} : { batchSize }),
              ...(pageSize === undefined ? {} : { pageSize }),
              onProgress: (p) => {
                const key = `${p.stage} ${p.name}`;
                let bar = bars.get(key);
                if (bar === undefined) {
                  bar = createProgress(key, {
                    unit: p.stage === "database" ? "rows" : "points",
                    total: p.total,
                  });
                  bars.set(key, bar);
                }
                bar.tick(p.done, p.total);
                if (p.done >= p.total) bar.done();
              },
            },
          ),
        );
        output(opts.json, result, () => summary(result));
      },
    );
}
