import { JOB_KINDS, openServices, startWorkers } from "@cxr/services";
import type { Command } from "commander";
import { config } from "../context.ts";
import { CliError } from "../errors.ts";

/**
 * `cxr worker [--queues index,bench] [--concurrency N] [--global-concurrency N]`: takes jobs from
 * the BullMQ queues in Redis (REDIS_URL) until SIGTERM or SIGINT, each job in a child process
 * (sandboxed processor). Any number of workers on any number of machines share the queues; the
 * Job rows in the database are the state (`cxr jobs list`).
 */

function whole(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1)
    throw new CliError(`${flag} expects a whole number >= 1, got "${raw}"`);
  return Number(raw);
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("take index, bench and ingest jobs from the queues in Redis (REDIS_URL) until stopped")
    .option("--queues <list>", `comma-separated queues: ${JOB_KINDS.join(", ")} (default: all)`)
    .option(
      "--concurrency <n>",
      "jobs at a time per queue in this worker",
      (v) => whole("--concurrency", v),
      1,
    )
    .option(
      "--global-concurrency <n>",
      "cap the queues' concurrency across every worker (e.g. one job per GPU)",
      (v) => whole("--global-concurrency", v),
    )
    .action(async (opts: { queues?: string; concurrency: number; globalConcurrency?: number }) => {
      const cfg = config();
      if (cfg.redisUrl === undefined) {
        throw new CliError(
          "cxr worker needs REDIS_URL (e.g. redis://127.0.0.1:6379): the queues live in Redis",
        );
      }
      const services = openServices(cfg);
      try {
        const workers = await startWorkers(services, {
          ...(opts.queues === undefined ? {} : { queues: opts.queues.split(",").map((q) => q.trim()) }),
          concurrency: opts.concurrency,
          ...(opts.globalConcurrency === undefined ? {} : { globalConcurrency: opts.globalConcurrency }),
        });
        process.stderr.write(
          `cxr: worker ${process.pid} taking ${workers.queues.join(", ")} (concurrency ${opts.concurrency})\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            process.stderr.write(`cxr: ${signal}: finishing the jobs in hand, then stopping\n`);
            workers.close().then(resolve, resolve);
          };
          process.once("SIGTERM", () => stop("SIGTERM"));
        });
      } finally {
        await services.close();
      }
    });
}
