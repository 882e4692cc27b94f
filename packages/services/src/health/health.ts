import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Config, firstLine } from "@cxr/config";
import { describeDatabase, migrationStatus } from "@cxr/db";
import { probeExecutionProviders } from "@cxr/encoders";
import type { Services } from "../context/open.ts";
import { queueReachable } from "../jobs/retry.ts";

/** Facts about this machine, each measured, never assumed (`cxr doctor`, an API health query). */
export interface HealthReport {
  ok: boolean;
  version: string;
  node: { version: string; supported: boolean };
  platform: { os: string; arch: string; cpus: number; memoryGiB: number };
  dataDir: { path: string; exists: boolean; writable: boolean };
  modelsDir: { path: string; exists: boolean; bundles: number };
  database: {
    kind: "sqlite" | "postgresql";
    location: string;
    reachable: boolean;
    migrated: boolean;
    applied: number;
    pending: number;
    error: string | null;
  };
  vectorStore: {
    kind: "embedded" | "qdrant";
    location: string;
    reachable: boolean | null;
    error: string | null;
  };
  /**
   * The job queue: not configured (no REDIS_URL: jobs run in the process that asks; reachable
   * null), else whether Redis answered a ping, and why not.
   */
  queue: {
    configured: boolean;
    /** REDIS_URL without its password. */
    location: string | null;
    prefix: string | null;
    reachable: boolean | null;
    error: string | null;
  };
  onnxRuntime: {
    version: string;
    /** Execution providers that created and ran a session here, in preference order. */
    available: string[];
    preference: string[];
    /** What a model session would run on with this preference. */
    selected: string;
    /** Why each other provider cannot be used here. */
    unavailable: { provider: string; reason: string }[];
  };
  problems: string[];
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

function productVersion(): string {
  return (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
}

/** null when a file can be created in `dir` (made if missing); else the error code. access() says yes to root on read-only folders, so write. */
function probeWritable(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.cxr-doctor-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? "error";
  }
}

/**
 * The health of this installation: Node, folders, database (reachable, migrated), vector store
 * (Qdrant asked through the store's health(); the embedded store is not opened, which would create
 * it), ONNX Runtime's usable providers. `problems` lists what to fix; `ok` when there is none.
 */
/** A Redis URL fit to print: the password replaced. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

export async function health(
  services: Pick<Services, "config" | "store"> & Partial<Pick<Services, "jobs">>,
): Promise<HealthReport> {
  const config: Config = services.config;
  const problems: string[] = [];
  const nodeMajor = Number(process.versions.node.split(".")[0]);

  let database: HealthReport["database"] = {
    kind: config.database.kind,
    location: describeDatabase(config).replace(/^(SQLite|PostgreSQL) at /, ""),
    reachable: false,
    migrated: false,
    applied: 0,
    pending: 0,
    error: null,
  };
  try {
    const status = await migrationStatus(config);
    const migrated =
      status.pending.length === 0 && status.modified.length === 0 && status.unknown.length === 0;
    database = {
      ...database,
      reachable: true,
      migrated,
      applied: status.applied.length,
      pending: status.pending.length,
    };
    if (!migrated)
      problems.push(`database: ${status.pending.length} pending migration(s): run \`cxr db migrate\``);
  } catch (error) {
    database.error = firstLine(error);
    problems.push(`database: ${database.error}`);
  }

  const writable = probeWritable(config.dataDir);
  if (writable !== null) problems.push(`data dir ${config.dataDir} is not writable (${writable})`);
  const dataDirExists = existsSync(config.dataDir);

  const bundles = existsSync(config.modelsDir)
    ? readdirSync(config.modelsDir, { withFileTypes: true }).filter(
        (d) => d.isDirectory() && existsSync(path.join(config.modelsDir, d.name, "manifest.json")),
      ).length
    : 0;

  let vectorStore: HealthReport["vectorStore"];
  if (config.qdrantUrl) {
    const { error } = await services.store().health();
    vectorStore = { kind: "qdrant", location: config.qdrantUrl, reachable: error === null, error };
    if (error) problems.push(`vector store: Qdrant at ${config.qdrantUrl} ${error}`);
  } else {
    vectorStore = {
      kind: "embedded",
      location: path.join(config.dataDir, "vectors"),
      reachable: null,
      error: null,
    };
  }

  let queue: HealthReport["queue"] = {
    configured: false,
    location: null,
    prefix: null,
    reachable: null,
    error: null,
  };
  if (config.redisUrl !== undefined) {
    const reason =
      services.jobs === undefined ? undefined : await queueReachable({ config, jobs: services.jobs });
    queue = {
      configured: true,
      location: redactedUrl(config.redisUrl),
      prefix: config.queue.prefix,
      reachable: reason === undefined ? null : reason === null,
      error: reason ?? null,
    };
    if (reason) problems.push(`job queue: ${reason} (${queue.location})`);
  }

  const probe = await probeExecutionProviders(config.executionProviders);
  if (probe.usable.length === 0) problems.push("onnxruntime: no execution provider can run a session here");

  if (nodeMajor < 20) problems.push(`node ${process.version} is too old: Node 20 or newer is required`);

  return {
    ok: problems.length === 0,
    version: productVersion(),
    node: { version: process.version, supported: nodeMajor >= 20 },
    platform: {
      os: process.platform,
      arch: process.arch,
      cpus: os.availableParallelism(),
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    },
    dataDir: { path: config.dataDir, exists: dataDirExists, writable: writable === null },
    modelsDir: { path: config.modelsDir, exists: existsSync(config.modelsDir), bundles },
    database,
    vectorStore,
    queue,
    onnxRuntime: {
      version: probe.version,
      available: probe.usable,
      preference: config.executionProviders,
      selected: probe.selected,
      unavailable: probe.attempts.flatMap((a) =>
        a.error ? [{ provider: a.provider, reason: a.error }] : [],
      ),
    },
    problems,
  };
}
