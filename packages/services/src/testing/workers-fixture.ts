import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "@cxr/db";
import { Redis } from "ioredis";
import { fixtureImpression } from "./index-fixture.ts";

/**
 * Test and benchmark support for the queue runner: a text-only dataset of many studies written in
 * a few statements (thousands of items in a second), and `cxr worker` processes started the way
 * docker/worker.Dockerfile starts them (node --import tsx), each the leader of its own process
 * group so that a SIGKILL takes its sandboxed children with it, as a container kill does.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** A ready dataset of `studies` studies with one report each (no images). Ids sort in study order. */
export async function seedTextDataset(
  db: Pick<Database, "prisma">,
  options: { name: string; studies: number; dir: string },
): Promise<{ datasetId: string; reports: number }> {
  const { name, studies } = options;
  const dataset = await db.prisma.dataset.create({
    data: { name, adapter: "manifest", sourcePath: options.dir, status: "ingesting" },
  });
  const split = await db.prisma.split.create({ data: { datasetId: dataset.id, name: "test" } });
  const pad = (i: number) => String(i).padStart(7, "0");
  for (let start = 0; start < studies; start += 1000) {
    const ids = Array.from({ length: Math.min(1000, studies - start) }, (_, k) => start + k);
    await db.prisma.study.createMany({
      data: ids.map((i) => ({
        id: `${name}-st${pad(i)}`,
        datasetId: dataset.id,
        splitId: split.id,
        externalId: `s${pad(i)}`,
        patientId: `p${i}`,
      })),
    });
    await db.prisma.report.createMany({
      data: ids.map((i) => {
        const impression = fixtureImpression(i);
        return {
          id: `${name}-rp${pad(i)}`,
          studyId: `${name}-st${pad(i)}`,
          fullText: `IMPRESSION: ${impression}`,
          impression,
          findings: null,
          sha256: createHash("sha256").update(impression).digest("hex"),
        };
      }),
    });
  }
  await db.prisma.dataset.update({ where: { id: dataset.id }, data: { status: "ready" } });
  return { datasetId: dataset.id, reports: studies };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGKILL to the worker and every process it started. */
  kill(): void;
  /** SIGTERM to the worker: it finishes its jobs in hand and stops. */
  stop(): void;
  /** What it printed on stderr (its last 20,000 characters). */
  stderr(): string;
}

/** Starts `cxr worker` with this environment (REDIS_URL, DATABASE_URL, CXR_* …) from the repository root. */
export function spawnWorker(env: Record<string, string>, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/cli/src/main.ts", "worker", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  const stop = () => {
    try {
      process.kill(child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
  };
  return { child, exited, kill: () => group("SIGKILL"), stop, stderr: () => err };
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function poll<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** Removes every Redis key of a queue prefix (a test's or a benchmark's own). */
export async function dropQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
