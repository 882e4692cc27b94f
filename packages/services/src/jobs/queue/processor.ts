import { loadConfig } from "@cxr/config";
import { FlowProducer, Queue, type SandboxedJob } from "bullmq";
import { openServices, type Services } from "../../context/open.ts";
import type { QueueJobData } from "./names.ts";
import { connection } from "./names.ts";
import { closeCachedEncoders, runStepRecorded, type StepTools } from "./steps.ts";

/**
 * The sandboxed processor: BullMQ runs this file in a child process of `cxr worker` (one per
 * concurrent job, reused), so encoding never blocks the worker's event loop and its lock renewal.
 * The child opens its own services from the same environment (database, store, encoders).
 */

let services: Services | undefined;
let tools: (StepTools & { close(): Promise<void> }) | undefined;

function open(): { services: Services; tools: StepTools } {
  if (services === undefined || tools === undefined) {
    const config = loadConfig();
    services = openServices(config);
    let flows: FlowProducer | undefined;
    const queues = new Map<string, Queue>();
    const options = { connection: connection(config, { worker: true }), prefix: config.queue.prefix };
    tools = {
      flows: () => {
        flows ??= new FlowProducer(options);
        return flows;
      },
      queue: (kind) => {
        let queue = queues.get(kind);
        if (queue === undefined) {
          queue = new Queue(kind, options);
          queues.set(kind, queue);
        }
        return queue;
      },
      close: async () => {
        await flows?.close();
        for (const q of queues.values()) await q.close();
      },
    };
  }
  return { services, tools };
}

// A child whose worker died (SIGKILL) has no one to report to: stop rather than keep writing.
process.on("disconnect", () => process.exit(1));

async function shutdown(): Promise<void> {
  await tools?.close().catch(() => undefined);
  await closeCachedEncoders().catch(() => undefined);
  await services?.close().catch(() => undefined);
}
process.once("SIGTERM", () => void shutdown().finally(() => process.exit(0)));

export default async function processor(job: SandboxedJob<QueueJobData>): Promise<unknown> {
  const opened = open();
  return runStepRecorded(opened.services, job, opened.tools);
}
