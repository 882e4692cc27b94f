import { type ExecutedJob, executeJob, type JobKind, prepareJob, type Services } from "@cxr/services";
import { CliError, EXIT } from "./errors.ts";

/**
 * A long command runs its use case as a job in the foreground: prepare (validate, create or find
 * the open job of the same request) then execute, with Ctrl-C wired to an AbortSignal. The first
 * Ctrl-C stops the job at its next safe point, leaves it `interrupted` (the same command resumes
 * it) and exits 130; a second one exits at once (the job is still resumable, as after a kill).
 */

let current: AbortController | undefined;

/** main.ts's SIGINT handler: true when a job took the interrupt (the process then exits by itself). */
export function interruptJob(): boolean {
  if (current === undefined || current.signal.aborted) return false;
  current.abort(new Error("interrupted (Ctrl-C)"));
  process.stderr.write("\ncxr: stopping at the next safe point (Ctrl-C again to quit at once)\n");
  return true;
}

export async function runJob<R>(
  services: Services,
  kind: JobKind,
  parameters: unknown,
  onEvent?: (event: never) => void,
): Promise<ExecutedJob<R>> {
  const job = await prepareJob(services, kind, parameters);
  const controller = new AbortController();
  current = controller;
  try {
    return await executeJob<R>(services, job.id, {
      signal: controller.signal,
      ...(onEvent === undefined ? {} : { onEvent: onEvent as (event: unknown) => void }),
    });
  } catch (error) {
    if (controller.signal.aborted) {
      throw new CliError(
        `interrupted: job ${job.id} is resumable (run the same command again; cxr jobs show ${job.id})`,
        EXIT.interrupted,
      );
    }
    throw error;
  } finally {
    current = undefined;
  }
}
