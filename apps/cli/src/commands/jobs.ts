import { getJob, JOB_KINDS, JOB_STATUSES, type Job, listJobs, requestCancel, retryJob } from "@cxr/services";
import { type Command, Option } from "commander";
import { output, withServices } from "../context.ts";
import { CliError } from "../errors.ts";

/**
 * `cxr jobs list|show <id>|cancel <id>|retry <id>`: the Job rows every long command (index, bench) and the API
 * write. A cancel of a job running in another process sets its `cancelRequested`; that process
 * stops at its next safe point. Unknown id -> exit 2; a finished job cannot be cancelled -> exit 2.
 */

function when(date: Date | null): string {
  return date === null ? "–" : date.toISOString().replace(/\.\d+Z$/, "Z");
}

function progressLine(job: Job): string {
  const p = job.progress;
  if (p === null) return "–";
  const total = p.total === null ? "" : `/${p.total}`;
  const rate = p.rate === null ? "" : ` ${p.rate.toFixed(1)}/s`;
  const eta = p.eta === null || job.status !== "running" ? "" : ` ETA ${Math.round(p.eta)}s`;
  return `${p.phase} ${p.done}${total} ${p.unit}${rate}${eta}`;
}

function describeJob(job: Job): string {
  return [
    `job ${job.id}: ${job.kind}, ${job.status}${job.cancelRequested && job.status === "running" ? " (cancel requested)" : ""}`,
    `  parameters: ${JSON.stringify(job.parameters)}`,
    `  progress:   ${progressLine(job)}`,
    `  attempts:   ${job.attempts}${job.owner ? ` (last by ${job.owner})` : ""}`,
    `  created ${when(job.createdAt)}, started ${when(job.startedAt)}, finished ${when(job.finishedAt)}`,
    ...(job.error ? [`  error: ${job.error}`] : []),
    ...(job.result === null ? [] : [`  result: ${JSON.stringify(job.result)}`]),
  ].join("\n");
}

function wholeNumber(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new CliError(`--first expects a whole number, got "${raw}"`);
  return Number(raw);
}

/** The kind column is as wide as the longest kind ("dataset-pull"), so the columns line up. */
const KIND_WIDTH = Math.max(...JOB_KINDS.map((k) => k.length));

export function registerJobCommands(program: Command): void {
  const jobs = program
    .command("jobs")
    .description(
      `long jobs (${JOB_KINDS.join(", ")}) as recorded in the database: list, show, cancel, retry`,
    );

  jobs
    .command("list")
    .description("jobs, newest first")
    .addOption(new Option("--status <status>", "only jobs in this status").choices(JOB_STATUSES))
    .addOption(new Option("--kind <kind>", "only jobs of this kind").choices(JOB_KINDS))
    .option("--first <n>", "at most this many (1..100)", wholeNumber, 20)
    .option("--after <id>", "the page after this job id")
    .option("--json", "print as JSON")
    .action(
      async (opts: { status?: string; kind?: string; first: number; after?: string; json?: boolean }) => {
        const page = await withServices((services) =>
          listJobs(services, {
            first: opts.first,
            after: opts.after ?? null,
            status: opts.status ?? null,
            kind: opts.kind ?? null,
          }),
        );
        output(opts.json, page, () =>
          page.jobs.length === 0
            ? "no jobs"
            : [
                ...page.jobs.map(
                  (j) =>
                    `${j.id}  ${j.kind.padEnd(KIND_WIDTH)}  ${j.status.padEnd(11)}  ${when(j.createdAt)}  ${progressLine(j)}`,
                ),
                ...(page.hasNextPage ? [`… ${page.total} in all; next page: --after ${page.endCursor}`] : []),
              ].join("\n"),
        );
      },
    );

  jobs
    .command("show <id>")
    .description("one job: parameters, status, progress, attempts, error, result")
    .option("--json", "print as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const job = await withServices((services) => getJob(services, id));
      output(opts.json, job, () => describeJob(job));
    });

  jobs
    .command("cancel <id>")
    .description(
      "cancel a job: at once when nothing runs it, else at its next safe point (whichever process runs it)",
    )
    .option("--json", "print as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const job = await withServices((services) => requestCancel(services, id));
      output(opts.json, job, () =>
        job.status === "cancelled"
          ? `job ${job.id} cancelled`
          : `job ${job.id}: cancel requested; the process running it stops at its next safe point`,
      );
    });

  jobs
    .command("retry <id>")
    .description(
      "schedule a failed job again: on the queues with REDIS_URL (a worker takes it), else run here; it resumes where it stopped",
    )
    .option("--json", "print as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const job = await withServices(async (services) => {
        const retried = await retryJob(services, id);
        // Without a queue the job runs in this process: wait for it, as `cxr index` would.
        return services.config.redisUrl === undefined ? services.jobs.wait(id) : retried;
      });
      output(opts.json, job, () =>
        job.status === "queued"
          ? `job ${job.id} queued again (attempts so far: ${job.attempts})`
          : describeJob(job),
      );
    });
}
