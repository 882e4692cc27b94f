import { type HealthReport, health } from "@cxr/services";
import type { Command } from "commander";
import { output, withServices } from "../context.ts";
import { EXIT } from "../errors.ts";

function human(report: HealthReport): string {
  const mark = (ok: boolean | null) => (ok === null ? "-" : ok ? "ok" : "FAIL");
  const db = report.database;
  const lines = [
    `cxr-retrieval ${report.version}`,
    `node          ${mark(report.node.supported)}  ${report.node.version}`,
    `platform      ${report.platform.os}/${report.platform.arch}, ${report.platform.cpus} CPUs, ${report.platform.memoryGiB} GiB`,
    `data dir      ${mark(report.dataDir.writable)}  ${report.dataDir.path}`,
    `models dir    ${mark(report.modelsDir.exists ? true : null)}  ${report.modelsDir.path} (${report.modelsDir.bundles} bundle(s))`,
    `database      ${mark(db.reachable && db.migrated)}  ${db.kind}: ${db.location}, ${db.applied} applied, ${db.pending} pending${db.error ? ` (${db.error})` : ""}`,
    `vector store  ${mark(report.vectorStore.reachable)}  ${report.vectorStore.kind}: ${report.vectorStore.location}${report.vectorStore.error ? ` (${report.vectorStore.error})` : ""}`,
    report.queue.configured
      ? `job queue     ${mark(report.queue.reachable)}  Redis at ${report.queue.location}, prefix ${report.queue.prefix}${report.queue.error ? ` (${report.queue.error})` : ""}`
      : "job queue     -  not configured (no REDIS_URL): long commands run in their own process",
    `onnxruntime   ${report.onnxRuntime.version}; providers here: ${report.onnxRuntime.available.join(", ")}; preference ${report.onnxRuntime.preference.join(" > ")}; would use ${report.onnxRuntime.selected}`,
    ...report.onnxRuntime.unavailable.map((u) => `              ${u.provider} unavailable: ${u.reason}`),
  ];
  if (report.problems.length > 0) lines.push("", "problems:", ...report.problems.map((p) => `  - ${p}`));
  else lines.push("", "all checks passed");
  return lines.join("\n");
}

export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description(
      "report what this machine offers: Node, database, vector store, job queue (REDIS_URL), ONNX Runtime providers, folders",
    )
    .option("--json", "print the report as JSON")
    .action(async (opts: { json?: boolean }) => {
      const report = await withServices((services) => health(services));
      output(opts.json, report, () => human(report));
      if (!report.ok) process.exitCode = EXIT.environment;
    });
}
