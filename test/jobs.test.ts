import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { addModel, synthesizeDataset } from "@cxr/services";
import { seedDataset } from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cxr, repoRoot } from "./support/cli.ts";

/**
 * `cxr jobs` and Ctrl-C, as a user meets them: `cxr index` interrupted with SIGINT exits 130 and
 * leaves its job interrupted; the same command resumes the same job; `cxr jobs list|show|cancel`;
 * a cancel from another process stops a running `cxr index` at its next safe point; `cxr ingest`
 * runs as an ingest job whose row shows its progress and outcome, and resumes after a kill -9.
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-jobs-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dataDir = path.join(work, "data");
const env = { CXR_DATA_DIR: dataDir, CXR_EXECUTION_PROVIDERS: "cpu", CXR_CPU_THREADS: "1" };

let db: Database;

beforeAll(async () => {
  const config = loadConfig(env, work);
  db = await openDatabase(config);
  const bundle = path.join(work, "bundle");
  await writeTinyBundle(bundle, { id: "tiny" });
  await addModel(db, config, bundle);
  await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 80, side: 16 });
}, 120_000);
afterAll(async () => {
  await db?.close();
});

function spawnCxr(args: string[]): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "apps/cli/src/main.ts"), ...args],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, stderr })),
  );
  return { child, exit };
}

/** Freezes the child between looks until its index job of `modality` has written a batch and is not done. */
async function midJob(child: ChildProcess, modality: string): Promise<string> {
  for (;;) {
    if (child.exitCode !== null) throw new Error("cxr index ended before it could be stopped");
    child.kill("SIGSTOP");
    const job = await db.prisma.indexJob.findFirst({ where: { modality, status: "running" } });
    if (job?.jobId && job.processed > 0 && job.processed + job.failed < job.total - 5) return job.jobId;
    child.kill("SIGCONT");
    await sleep(15);
  }
}

function json<T>(result: { status: number | null; stdout: string; stderr: string }): T {
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

interface JobJson {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  cancelRequested: boolean;
  progress: { done: number; total: number; unit: string } | null;
}

describe("cxr jobs", () => {
  it("Ctrl-C stops cxr index cleanly (exit 130), leaves the job interrupted, and the same command resumes it", async () => {
    const args = ["index", "--model", "tiny", "--dataset", "set", "--modality", "images", "--batch", "1"];
    const { child, exit } = spawnCxr(args);
    const jobId = await midJob(child, "images");
    child.kill("SIGCONT");
    child.kill("SIGINT");
    const { code, stderr } = await exit;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain(`interrupted: job ${jobId} is resumable`);

    const shown = json<JobJson>(cxr(["jobs", "show", jobId, "--json"], env));
    expect(shown).toMatchObject({ id: jobId, kind: "index", status: "interrupted", attempts: 1 });
    expect(shown.progress!.done).toBeLessThan(shown.progress!.total);
    const human = cxr(["jobs", "show", jobId], env);
    expect(human.stdout).toContain(`job ${jobId}: index, interrupted`);
    const list = json<{ jobs: JobJson[] }>(cxr(["jobs", "list", "--status", "interrupted", "--json"], env));
    expect(list.jobs.map((j) => j.id)).toEqual([jobId]);

    const again = json<{
      results: Array<{ resumed: boolean; processed: number; failed: number; total: number }>;
    }>(cxr([...args, "--json"], env));
    expect(again.results[0]).toMatchObject({ resumed: true });
    expect(again.results[0]!.processed + again.results[0]!.failed).toBe(again.results[0]!.total);
    expect(json<JobJson>(cxr(["jobs", "show", jobId, "--json"], env))).toMatchObject({
      status: "completed",
      attempts: 2,
    });
    // Nothing left to cancel: exit 2, and an unknown id is exit 2.
    const finished = cxr(["jobs", "cancel", jobId], env);
    expect(finished.status).toBe(2);
    expect(finished.stderr).toContain("completed: nothing to cancel");
    expect(cxr(["jobs", "show", "nope"], env).status).toBe(2);
  }, 600_000);

  it("cxr jobs cancel from another process stops a running cxr index at its next safe point", async () => {
    const { child, exit } = spawnCxr([
      "index",
      "--model",
      "tiny",
      "--dataset",
      "set",
      "--modality",
      "reports",
      "--batch",
      "1",
    ]);
    const jobId = await midJob(child, "reports");
    // The job's process stays frozen while the other one asks; it sees the request when it goes on.
    const asked = cxr(["jobs", "cancel", jobId], env);
    expect(asked.status, asked.stderr).toBe(0);
    expect(asked.stdout).toContain("cancel requested");
    child.kill("SIGCONT");
    const { code, stderr } = await exit;
    expect(code).toBe(1);
    expect(stderr).toContain(`job ${jobId} was cancelled`);
    const shown = json<JobJson>(cxr(["jobs", "show", jobId, "--json"], env));
    expect(shown).toMatchObject({ status: "cancelled", cancelRequested: true });
    expect(shown.progress!.done).toBeLessThan(shown.progress!.total);
  }, 600_000);

  it("cxr ingest runs as a job: Ctrl-C leaves it interrupted, a kill -9 leaves it running, and the same command resumes the same job to completed", async () => {
    const source = path.join(work, "synth");
    await synthesizeDataset({ out: source, studies: 120, seed: "jobs", size: 32 });
    const args = ["ingest", "manifest", source, "--name", "synth-job"];
    const studies = async () => {
      const dataset = await db.prisma.dataset.findUnique({ where: { name: "synth-job" } });
      return dataset ? db.prisma.study.count({ where: { datasetId: dataset.id } }) : 0;
    };
    /** Freezes the child between looks until it has written more than `after` studies and left some. */
    const midIngest = async (child: ChildProcess, after: number): Promise<string> => {
      for (;;) {
        if (child.exitCode !== null) throw new Error("cxr ingest ended before it could be stopped");
        child.kill("SIGSTOP");
        const written = await studies();
        if (written > after && written < 100) {
          const job = await db.prisma.job.findFirst({ where: { kind: "ingest", status: "running" } });
          if (job !== null) return job.id;
        }
        child.kill("SIGCONT");
        await sleep(15);
      }
    };

    // Ctrl-C: stops after the studies in flight, exit 130, the job interrupted, the dataset unfinished.
    const first = spawnCxr(args);
    const jobId = await midIngest(first.child, 0);
    first.child.kill("SIGCONT");
    first.child.kill("SIGINT");
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain(`interrupted: job ${jobId} is resumable`);
    expect(json<JobJson>(cxr(["jobs", "show", jobId, "--json"], env))).toMatchObject({
      kind: "ingest",
      status: "interrupted",
      attempts: 1,
    });
    expect((await db.prisma.dataset.findUniqueOrThrow({ where: { name: "synth-job" } })).status).toBe(
      "ingesting",
    );

    // kill -9 during the resumed run: the row still says running, as the process died.
    const second = spawnCxr(args);
    expect(await midIngest(second.child, await studies())).toBe(jobId);
    second.child.kill("SIGKILL");
    await second.exit;
    expect(json<JobJson>(cxr(["jobs", "show", jobId, "--json"], env))).toMatchObject({
      status: "running",
      attempts: 2,
    });

    const summary = json<{ status: string; added: number; existing: number; studies: number }>(
      cxr([...args, "--json"], env),
    );
    expect(summary).toMatchObject({ status: "ready", studies: 120 });
    expect(summary.existing).toBeGreaterThan(0);
    expect(summary.added + summary.existing).toBe(120);
    const shown = json<JobJson & { result: { studies: number } }>(
      cxr(["jobs", "show", jobId, "--json"], env),
    );
    expect(shown).toMatchObject({
      kind: "ingest",
      status: "completed",
      attempts: 3,
      result: { studies: 120 },
    });
    expect(shown.progress).toMatchObject({ unit: "studies", done: 120, total: 120 });
    const listed = json<{ jobs: JobJson[] }>(cxr(["jobs", "list", "--kind", "ingest", "--json"], env));
    expect(listed.jobs.map((j) => j.id)).toEqual([jobId]);
  }, 600_000);
});
