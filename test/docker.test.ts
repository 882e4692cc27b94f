import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The deployment in docker/ checked statically: no Docker engine runs on these machines, but
// Debian's docker-compose 1.29 validates and resolves a compose file without one.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const composeFile = path.join(root, "docker", "compose.yaml");

function findDockerCompose(): string | undefined {
  const found = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
  return found.status === 0 ? "docker-compose" : undefined;
}
const dockerCompose = findDockerCompose();
const MISSING =
  "docker-compose is not installed: the compose file cannot be validated. Install Debian's package " +
  "(apt-get install docker-compose, done by `scripts/bootstrap.sh --python`); it needs no Docker engine.";

function composeConfig(file: string, globalArgs: string[], configArgs: string[] = []) {
  return spawnSync(dockerCompose!, ["-f", file, ...globalArgs, "config", ...configArgs], {
    encoding: "utf8",
    cwd: root,
    // A clean environment: the file's own defaults must make it valid.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir() },
  });
}

interface ComposeService {
  build?: { context: string; dockerfile: string; target?: string };
  command?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  healthcheck?: unknown;
  deploy?: {
    replicas?: number;
    resources?: {
      reservations?: { devices?: Array<{ driver?: string; count?: number; capabilities?: string[] }> };
    };
  };
}

/** The resolved compose model, as JSON (docker-compose prints YAML; its own python3-yaml reads it). */
function resolvedCompose(): { services: Record<string, ComposeService> } {
  const yaml = composeConfig(composeFile, ["--profile", "workers", "--profile", "gpu"]);
  expect(yaml.status, yaml.stderr).toBe(0);
  const json = execFileSync(
    "/usr/bin/python3",
    ["-c", "import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
    { input: yaml.stdout, encoding: "utf8" },
  );
  return JSON.parse(json);
}

describe("docker/compose.yaml", () => {
  it("is accepted by `docker-compose config -q`", () => {
    if (dockerCompose === undefined) throw new Error(MISSING);
    const result = composeConfig(composeFile, [], ["-q"]);
    expect(result.status, result.stderr).toBe(0);
  });

  it("the same validation rejects a broken compose file (the check can fail)", () => {
    if (dockerCompose === undefined) throw new Error(MISSING);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxr-compose-"));
    try {
      const broken = path.join(dir, "compose.yaml");
      const text = fs.readFileSync(composeFile, "utf8");
      fs.writeFileSync(broken, text.replace(/replicas: \$\{CXR_WORKERS:-2\}/, "replicas: many"));
      const result = composeConfig(broken, [], ["-q"]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/replicas/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts PostgreSQL, Qdrant, Redis, the API, the web UI, CPU workers and GPU workers", () => {
    if (dockerCompose === undefined) throw new Error(MISSING);
    const { services } = resolvedCompose();
    for (const name of ["postgres", "qdrant", "redis", "migrate", "api", "web", "worker", "worker-gpu"]) {
      expect(services, name).toHaveProperty(name);
    }
    const api = services.api!;
    expect(api.command).toEqual(["serve", "--host", "0.0.0.0", "--port", "4000"]);
    expect(api.environment).toMatchObject({
      DATABASE_URL: "postgresql://cxr:cxr@postgres:5432/cxr",
      QDRANT_URL: "http://qdrant:6333",
      REDIS_URL: "redis://redis:6379",
    });
    // Every image this repository builds comes from a Dockerfile that exists.
    for (const [name, service] of Object.entries(services)) {
      if (service.build === undefined) continue;
      expect(fs.existsSync(path.join(service.build.context, service.build.dockerfile)), name).toBe(true);
      expect(service.build.context, name).toBe(root);
    }
    // Workers wait for the BullMQ runner behind profiles; the GPU variant reserves one device each.
    expect(services.worker!.profiles).toEqual(["workers"]);
    expect(services.worker!.deploy?.replicas).toBe(2);
    expect(services["worker-gpu"]!.profiles).toEqual(["gpu"]);
    expect(services["worker-gpu"]!.build?.target).toBe("gpu");
    expect(services["worker-gpu"]!.deploy?.resources?.reservations?.devices).toEqual([
      { driver: "nvidia", count: 1, capabilities: ["gpu"] },
    ]);
  });
});

/** FROM lines and the instructions of each stage, with line continuations joined. */
function stages(file: string) {
  const lines = fs
    .readFileSync(file, "utf8")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const out: Array<{ from: string; name: string | undefined; instructions: string[] }> = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from !== null) out.push({ from: from[1]!, name: from[2], instructions: [] });
    else out.at(-1)?.instructions.push(line);
  }
  return out;
}

describe.each([
  ["api.Dockerfile", ["runtime"]],
  ["web.Dockerfile", ["runtime"]],
  ["worker.Dockerfile", ["cpu", "gpu"]],
])("docker/%s", (file, runtimeStages) => {
  const all = stages(path.join(root, "docker", file));

  it("builds the workspace in a node:20-bookworm-slim stage with pnpm 12.4.2 and the native toolchain", () => {
    const build = all.find((s) => s.name === "build");
    expect(build?.from).toBe("node:20-bookworm-slim");
    const text = build!.instructions.join("\n");
    expect(text).toMatch(/npm install -g -E pnpm@12\.4\.2/);
    expect(text).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
    expect(text).toMatch(/pnpm install --frozen-lockfile/);
    expect(all.length).toBeGreaterThanOrEqual(2);
  });

  it.each(runtimeStages)(
    "its %s stage copies from the build stage, runs as a non-root user and has a HEALTHCHECK",
    (name) => {
      const stage = all.find((s) => s.name === name);
      expect(stage, `stage ${name}`).toBeDefined();
      const text = stage!.instructions;
      expect(text.some((i) => /^COPY\s+--from=build\b/.test(i))).toBe(true);
      const users = text.filter((i) => /^USER\s/i.test(i)).map((i) => i.split(/\s+/)[1]);
      expect(users.length).toBeGreaterThan(0);
      expect(["root", "0", "0:0", "root:root"]).not.toContain(users.at(-1));
      expect(text.some((i) => /^HEALTHCHECK\s+.*CMD\s/.test(i))).toBe(true);
      // The command that checks health is one the image has.
      expect(text.some((i) => i.includes("docker/healthcheck.mjs"))).toBe(true);
    },
  );
});
