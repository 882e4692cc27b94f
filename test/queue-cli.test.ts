import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { addModel } from "@cxr/services";
import {
  dropQueueKeys,
  poll,
  seedDataset,
  spawnWorker,
  type WorkerProcess,
  writeTinyBundle,
} from "@cxr/services/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iuXmlTree } from "../packages/datasets/test/fixtures.ts";
import { cxrAsync, startCxr } from "./support/cli.ts";

/**
 * `cxr index`, `cxr ingest`, `cxr datasets pull` and `cxr doctor` with REDIS_URL set, against the real Redis at 127.0.0.1:6379 (a key
 * prefix of this file's own, removed after): the index is queued, says once that no worker has
 * taken it, is executed by a `cxr worker` started after that, and the CLI exits 0 with the result
 * a local run gives; `--local` runs it in the CLI's own process; `cxr doctor --json` reports the
 * queue reachable, unreachable (a closed port, with the reason) or not configured.
 */

const REDIS_URL = process.env.CXR_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const work = mkdtempSync(path.join(tmpdir(), "cxr-queue-cli-"));
const prefix = `cxrtest-${randomBytes(5).toString("hex")}`;
const base = {
  CXR_DATA_DIR: path.join(work, "data"),
  CXR_EXECUTION_PROVIDERS: "cpu",
  CXR_CPU_THREADS: "1",
};
let env: Record<string, string>;
let db: Database;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  const config = loadConfig(base, work);
  // Explicit, so the worker (spawned with the test's environment) uses this database too.
  env = {
    ...base,
    DATABASE_URL: config.database.url,
    REDIS_URL,
    CXR_QUEUE_PREFIX: prefix,
    CXR_SHARD_SIZE: "10",
  };
  db = await openDatabase(config);
  const bundle = path.join(work, "bundle");
  await writeTinyBundle(bundle, { id: "tiny" });
  await addModel(db, config, bundle);
  await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 12, side: 16 });
}, 120_000);

afterAll(async () => {
  worker?.kill();
  if (worker) await worker.exited;
  await db?.close();
  await dropQueueKeys(REDIS_URL, prefix);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

interface IndexJson {
  jobId?: string;
  results: { modality: string; status: string; processed: number; total: number; points: number }[];
}

describe("cxr index through the queue", () => {
  it("is queued, waits for a worker, completes on it with the result of a local run", async () => {
    const cli = startCxr(["index", "--model", "tiny", "--dataset", "set", "--json"], env);

    // No worker yet: the CLI says so once and keeps waiting.
    await poll(async () => (cli.stderr().includes("waiting for a worker") ? true : undefined), {
      timeoutMs: 120_000,
      what: "the no-worker notice",
    });
    expect(cli.stderr()).toMatch(/queued as job \S+; waiting for a worker \(start one with `cxr worker`\)/);
    expect(cli.child.exitCode).toBeNull();

    worker = spawnWorker(env);
    const { status, stdout, stderr } = await cli.exited;
    expect(status, `${stderr}\nworker:\n${worker.stderr()}`).toBe(0);
    expect(stderr.match(/waiting for a worker/g)).toHaveLength(1);
    const queued = JSON.parse(stdout) as IndexJson;
    expect(queued.jobId).toBeTruthy();
    const job = await db.prisma.job.findUnique({ where: { id: queued.jobId! } });
    expect(job?.status).toBe("completed");
    expect(job?.owner).not.toBeNull();

    const byModality = (r: IndexJson) =>
      Object.fromEntries(r.results.map((m) => [m.modality, { processed: m.processed, points: m.points }]));
    for (const m of queued.results) {
      expect(m.status).toBe("completed");
      expect(m.processed).toBe(m.total);
      expect(m.points).toBe(m.total);
    }

    // --local: in this process (a new version), the same counts.
    const local = await cxrAsync(
      ["index", "--model", "tiny", "--dataset", "set", "--reindex", "--local", "--json"],
      env,
    );
    expect(local.status, local.stderr).toBe(0);
    expect(local.stderr).not.toContain("queued as job");
    const localJson = JSON.parse(local.stdout) as IndexJson;
    expect(localJson.jobId).toBeUndefined();
    expect(byModality(localJson)).toEqual(byModality(queued));
  }, 300_000);

  it("cxr ingest is queued too and the worker ingests the folder", async () => {
    expect(worker).toBeDefined();
    const synth = path.join(work, "synth");
    const made = await cxrAsync(["synth", "--out", synth, "--studies", "6", "--size", "32", "--json"], env);
    expect(made.status, made.stderr).toBe(0);
    const ingested = await cxrAsync(["ingest", "manifest", synth, "--name", "synth", "--json"], env);
    expect(ingested.status, `${ingested.stderr}\nworker:\n${worker!.stderr()}`).toBe(0);
    expect(ingested.stderr).toMatch(/job \S+ queued/);
    const summary = JSON.parse(ingested.stdout) as { name: string; added: number };
    expect(summary).toMatchObject({ name: "synth", added: 6 });
    const job = await db.prisma.job.findFirst({ where: { kind: "ingest" }, orderBy: { createdAt: "desc" } });
    expect(job?.status).toBe("completed");
    expect(await db.prisma.study.count({ where: { dataset: { name: "synth" } } })).toBe(6);
  }, 300_000);
});

describe("cxr datasets pull through the queue", () => {
  it("is one dataset-pull job: the worker downloads from the mirror, unpacks and ingests", async () => {
    // A local mirror of Open-i: the two archives built from the IU fixture tree with the system tar.
    const tree = await iuXmlTree();
    const archives = path.join(work, "mirror");
    mkdirSync(archives, { recursive: true });
    execFileSync("tar", ["czf", path.join(archives, "NLMCXR_reports.tgz"), "-C", tree, "ecgen-radiology"]);
    execFileSync("tar", [
      "czf",
      path.join(archives, "NLMCXR_png.tgz"),
      "-C",
      path.join(tree, "NLMCXR_png"),
      ".",
    ]);
    const served: string[] = [];
    const mirror = createHttpServer((req, res) => {
      served.push(path.basename(req.url ?? ""));
      try {
        res.end(readFileSync(path.join(archives, path.basename(req.url ?? ""))));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => mirror.listen(0, "127.0.0.1", resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
      // the worker of the tests above (or one of this test's own when it runs alone)
      worker ??= spawnWorker(env);
      const pulled = await cxrAsync(["datasets", "pull", "iu-xray", "--base-url", baseUrl, "--json"], env);
      expect(pulled.status, `${pulled.stderr}\nworker:\n${worker.stderr()}`).toBe(0);
      expect(pulled.stderr).toMatch(/job \S+ queued/);
      const result = JSON.parse(pulled.stdout) as {
        files: { name: string; action: string }[];
        ingest: { name: string; status: string; studies: number };
      };
      expect(result.files.map((f) => [f.name, f.action])).toEqual([
        ["NLMCXR_reports.tgz", "downloaded"],
        ["NLMCXR_png.tgz", "downloaded"],
      ]);
      expect(result.ingest).toMatchObject({ name: "iu-xray", status: "ready", studies: 2 });
      expect(served.sort()).toEqual(["NLMCXR_png.tgz", "NLMCXR_reports.tgz"]);
      const job = await db.prisma.job.findFirst({
        where: { kind: "dataset-pull" },
        orderBy: { createdAt: "desc" },
      });
      expect(job?.status).toBe("completed");
      expect(await db.prisma.study.count({ where: { dataset: { name: "iu-xray" } } })).toBe(2);

      // --local: the same pull in the CLI's own process finds the archives there and adds nothing
      served.length = 0;
      const local = await cxrAsync(
        ["datasets", "pull", "iu-xray", "--base-url", baseUrl, "--local", "--json"],
        env,
      );
      expect(local.status, local.stderr).toBe(0);
      expect(local.stderr).not.toContain("queued as job");
      const again = JSON.parse(local.stdout) as typeof result & {
        ingest: { added: number; existing: number };
      };
      expect(again.files.map((f) => f.action)).toEqual(["present", "present"]);
      expect(again.ingest).toMatchObject({ added: 0, existing: 2 });
      expect(served).toEqual([]);
    } finally {
      await new Promise((resolve) => mirror.close(resolve));
      rmSync(tree, { recursive: true, force: true });
    }
  }, 300_000);
});

describe("cxr doctor reports the queue", () => {
  interface DoctorJson {
    queue: { configured: boolean; reachable: boolean | null; error: string | null; prefix: string | null };
    problems: string[];
  }

  it("reachable, unreachable with the reason, or not configured", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const [up, down, none] = await Promise.all([
      cxrAsync(["doctor", "--json"], env),
      cxrAsync(["doctor", "--json"], { ...env, REDIS_URL: `redis://127.0.0.1:${closedPort}` }),
      cxrAsync(["doctor", "--json"], base),
    ]);
    const upJson = JSON.parse(up.stdout) as DoctorJson;
    expect(upJson.queue).toMatchObject({ configured: true, reachable: true, error: null, prefix });
    expect(upJson.problems.filter((p) => p.startsWith("job queue"))).toEqual([]);

    const downJson = JSON.parse(down.stdout) as DoctorJson;
    expect(down.status).toBe(2);
    expect(downJson.queue.configured).toBe(true);
    expect(downJson.queue.reachable).toBe(false);
    expect(downJson.queue.error).toMatch(/cannot be reached/);
    expect(downJson.problems.some((p) => p.startsWith("job queue:"))).toBe(true);

    const noneJson = JSON.parse(none.stdout) as DoctorJson;
    expect(noneJson.queue).toEqual({
      configured: false,
      location: null,
      prefix: null,
      reachable: null,
      error: null,
    });
  }, 120_000);
});
