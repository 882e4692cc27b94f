import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { type ApiServices, openApiServices, type StartedApiServer, startApiServer } from "@cxr/api";
import { loadConfig } from "@cxr/config";
import { addModel, createToken, indexDataset, publishRun, runBench } from "@cxr/services";
import { seedDataset, type TempDatabase, tempDatabase, writeTinyBundle } from "@cxr/services/testing";

export const WEB = path.resolve(import.meta.dirname, "..");

/**
 * The real API on a free port: SQLite, two tiny real models that see the image differently, a
 * seeded dataset indexed for both, one small benchmark run published to the leaderboard (its two
 * models: two entries of one board), and tokens: once one exists the server is closed, so the web
 * server gets a `read` token (CXR_API_TOKEN) and the tests type a `run` or `submit` one in the page.
 */
export async function startApi(work: string) {
  const temp: TempDatabase = await tempDatabase("sqlite");
  const config = loadConfig(
    {
      CXR_DATA_DIR: path.join(work, "data"),
      DATABASE_URL: temp.config.database.url,
      CXR_EXECUTION_PROVIDERS: "cpu",
      CXR_CPU_THREADS: "1",
    },
    work,
  );
  const services: ApiServices = await openApiServices(config);
  const { db, store } = services;
  const seeded = await seedDataset(db, { dir: path.join(work, "set"), name: "set", studies: 15, side: 96 });
  for (const [id, side] of [
    ["tiny", 8],
    ["tiny-b", 16],
  ] as const) {
    const bundle = path.join(work, `bundle-${id}`);
    await writeTinyBundle(bundle, { id, side });
    await addModel(db, config, bundle);
    await indexDataset({ db, store, config, modelId: id, datasetName: "set", modality: "both" });
  }
  // seedDataset writes rows, not an ingest: the fingerprints an ingest would leave
  await db.prisma.split.updateMany({ data: { fingerprint: "f".repeat(64) } });
  await db.prisma.dataset.updateMany({ data: { fingerprint: "e".repeat(64), status: "ready" } });
  const bench = await runBench({
    db,
    config,
    models: ["tiny", "tiny-b"],
    dataset: "set",
    split: "train",
    levels: [0, 0.3, 0.6],
    seed: 1,
    grid: 4,
    bootstrapSamples: 20,
    outDir: path.join(work, "bench"),
    cache: false,
  });
  await publishRun(db, bench.runId);
  const tokens = {
    read: (await createToken(db, { scopes: "read", name: "web" })).token,
    run: (await createToken(db, { scopes: "run", name: "jobs" })).token,
    submit: (await createToken(db, { scopes: "submit", name: "lab" })).token,
  };
  const server: StartedApiServer = await startApiServer(services, { port: 0 });
  return {
    url: server.url,
    seeded,
    runId: bench.runId,
    /** The run's record file, as cxr bench wrote it (what cxr submit sends). */
    recordFile: path.join(work, "bench", "run.json"),
    tokens,
    async close() {
      await server.close();
      await temp.drop();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = statSync(full);
    latest = Math.max(latest, st.isDirectory() ? newest(full) : st.mtimeMs);
  }
  return latest;
}

/** `next build` unless the production build is newer than every source file. */
export function ensureBuild() {
  const id = path.join(WEB, ".next", "BUILD_ID");
  const sources = Math.max(newest(path.join(WEB, "app")), statSync(path.join(WEB, "next.config.ts")).mtimeMs);
  if (existsSync(id) && statSync(id).mtimeMs > sources) return;
  const result = spawnSync(process.execPath, [path.join(WEB, "node_modules/next/dist/bin/next"), "build"], {
    cwd: WEB,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
}

/** `next start` on a free port against the given API; resolves when it answers. */
export async function startWeb(apiUrl: string, apiToken?: string) {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(WEB, "node_modules/next/dist/bin/next"),
      "start",
      "--hostname",
      "127.0.0.1",
      "--port",
      String(port),
    ],
    {
      cwd: WEB,
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: "1",
        CXR_API_URL: apiUrl,
        ...(apiToken ? { CXR_API_TOKEN: apiToken } : {}),
      },
      stdio: "pipe",
    },
  );
  let output = "";
  child.stdout?.on("data", (d) => (output += String(d)));
  child.stderr?.on("data", (d) => (output += String(d)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`next start exited: ${output}`);
    try {
      if ((await fetch(`${url}/models`)).status < 500) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    output: () => output,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
