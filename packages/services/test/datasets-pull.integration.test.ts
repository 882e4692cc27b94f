import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type Config, loadConfig } from "@cxr/config";
import {
  findRemoteDataset,
  type PullOptions,
  pullDataset as pullArchives,
  type RemoteDataset,
} from "@cxr/datasets";
import { type Database, openDatabase } from "@cxr/db";
import { tempSqlite } from "@cxr/db/testing";
import { create } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The IU fixture tree of @cxr/datasets' tests: the archives are built from it.
import { iuXmlTree, tempDir } from "../../datasets/test/fixtures.ts";
import {
  classifyError,
  type DatasetPullJobEvent,
  executeJob,
  getJob,
  type JobProgress,
  listJobs,
  openServices,
  type PulledDataset,
  prepareJob,
  pullDataset,
} from "../src/index.ts";

/** The dataset pull use case with the product's one downloader, into a folder of its own. */
async function pullInto(
  database: () => Promise<Database>,
  options: {
    dir: string;
    baseUrl: string;
    sha256?: Record<string, string>;
    retries?: number;
    ingest?: boolean;
  },
  onProgress?: PullOptions["onProgress"],
) {
  const config = { dataDir: options.dir, iuXrayBaseUrl: undefined } as unknown as Config;
  return pullDataset(
    { config, database },
    {
      dataset: "iu-xray",
      dir: options.dir,
      baseUrl: options.baseUrl,
      ...(options.sha256 ? { sha256: options.sha256 } : {}),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ingest: options.ingest ?? false,
      ...(onProgress ? { onProgress } : {}),
    },
  );
}

const noDatabase = () => Promise.reject(new Error("this pull must not open the database"));

/**
 * A local Open-i: serves NLMCXR_reports.tgz and NLMCXR_png.tgz built from the IU fixture tree, with
 * Range support; it can be told to cut a response short, as a dropped connection would.
 */
const dirs: string[] = [];
let server: Server;
let baseUrl: string;
const archives: Record<string, Buffer> = {};
const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
/** Cut the next response for this file after `after` bytes. */
let cut: { name: string; after: number } | undefined;

beforeAll(async () => {
  const tree = await iuXmlTree();
  const build = tempDir();
  dirs.push(tree, build);
  // reports archive: ecgen-radiology/*.xml; image archive: the PNGs at its top level
  await create({ gzip: true, file: path.join(build, "NLMCXR_reports.tgz"), cwd: tree }, ["ecgen-radiology"]);
  const pngs = ["CXR1_1_IM-0001-3001.png", "CXR1_1_IM-0001-4001.png", "CXR2_IM-0652-1001.png"];
  await create(
    { gzip: true, file: path.join(build, "NLMCXR_png.tgz"), cwd: path.join(tree, "NLMCXR_png") },
    pngs,
  );
  for (const name of ["NLMCXR_reports.tgz", "NLMCXR_png.tgz"])
    archives[name] = readFileSync(path.join(build, name));

  server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", headers: req.headers });
    const body = archives[path.basename(req.url ?? "")];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length) {
      res.writeHead(416, { "Content-Range": `bytes */${body.length}` }).end();
      return;
    }
    const slice = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      "Content-Length": slice.length,
      "Accept-Ranges": "bytes",
      ...(range ? { "Content-Range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (cut && cut.name === path.basename(req.url ?? "")) {
      const n = cut.after;
      cut = undefined;
      res.write(slice.subarray(0, n), () => setTimeout(() => res.destroy(), 50));
    } else res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/imgs/collections/`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** pullArchives of @cxr/datasets with the services' downloader, for a dataset the catalogue lacks. */
async function pullOther(dataset: RemoteDataset, dir: string) {
  const { download } = await import("../src/download/download.ts");
  return pullArchives(dataset, {
    dir,
    baseUrl,
    download: async ({ url, target, label }) => {
      const r = await download({ url, dest: target, label, kind: "binary", retries: 0 });
      return { resumed: r.resumedFrom > 0, bytes: r.size };
    },
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("pull iu-xray from a local server", () => {
  it("resumes an interrupted download with Range, verifies, unpacks and ingests", async () => {
    expect(findRemoteDataset("iu-xray")!.baseUrl).toBe("https://openi.nlm.nih.gov/imgs/collections/");
    const dir = tempDir();
    dirs.push(dir);
    const expected = { "NLMCXR_png.tgz": sha(archives["NLMCXR_png.tgz"]!) };

    // the reports arrive whole; the image archive is cut after 100 bytes (no automatic resumption)
    expect(archives["NLMCXR_png.tgz"]!.length).toBeGreaterThan(200);
    requests.length = 0;
    cut = { name: "NLMCXR_png.tgz", after: 100 };
    const error = await pullInto(noDatabase, { dir, baseUrl, sha256: expected, retries: 0 }).catch((e) => e);
    expect(error.message).toMatch(/run again to resume/);
    expect(classifyError(error)).toMatchObject({ kind: "failed", code: "DOWNLOAD_FAILED" });
    expect(requests.map((r) => r.url)).toEqual([
      "/imgs/collections/NLMCXR_reports.tgz",
      "/imgs/collections/NLMCXR_png.tgz",
    ]);
    expect(readFileSync(path.join(dir, "archives", "NLMCXR_png.tgz.partial")).length).toBe(100);
    expect(existsSync(path.join(dir, "ecgen-radiology", "1.xml"))).toBe(true);

    requests.length = 0;
    const progress: string[] = [];
    const result = await pullInto(noDatabase, { dir, baseUrl, sha256: expected }, (p) =>
      progress.push(p.phase),
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.range).toBe("bytes=100-");
    expect(result.files.map((f) => [f.name, f.action, f.unpacked])).toEqual([
      ["NLMCXR_reports.tgz", "present", false],
      ["NLMCXR_png.tgz", "resumed", true],
    ]);
    expect(result.files[1]!.sha256).toBe(expected["NLMCXR_png.tgz"]);
    expect(progress).toContain("unpack");
    expect(readFileSync(path.join(dir, "archives", "SHA256SUMS"), "utf8")).toContain(
      `${expected["NLMCXR_png.tgz"]}  NLMCXR_png.tgz`,
    );
    expect(existsSync(path.join(dir, "ecgen-radiology", "1.xml"))).toBe(true);
    expect(existsSync(path.join(dir, "NLMCXR_png", "CXR1_1_IM-0001-3001.png"))).toBe(true);

    // a third run downloads nothing, and ingests
    requests.length = 0;
    const temp = tempSqlite();
    const database = await openDatabase(temp.config);
    try {
      const again = await pullInto(async () => database, { dir, baseUrl, ingest: true });
      expect(requests).toHaveLength(0);
      expect(again.files.every((f) => f.action === "present" && !f.unpacked)).toBe(true);
      expect(again.ingest).toMatchObject({ status: "ready", studies: 2, images: 3 });
    } finally {
      await database.close();
      await temp.drop();
    }
  });

  it("refuses an archive whose sha256 differs, and removes it", async () => {
    const dir = tempDir();
    dirs.push(dir);
    await expect(
      pullInto(noDatabase, { dir, baseUrl, sha256: { "NLMCXR_reports.tgz": "0".repeat(64) } }),
    ).rejects.toThrow(/does not match/);
    expect(existsSync(path.join(dir, "archives", "NLMCXR_reports.tgz"))).toBe(false);
  });

  it("detects a recorded archive that changed on disk", async () => {
    const dir = tempDir();
    dirs.push(dir);
    await pullInto(noDatabase, { dir, baseUrl });
    writeFileSync(path.join(dir, "archives", "NLMCXR_png.tgz"), "corrupted");
    await expect(pullInto(noDatabase, { dir, baseUrl })).rejects.toThrow(/does not match/);
  });

  it("reports a server error clearly", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const missing = { ...findRemoteDataset("iu-xray")!, files: [{ name: "nope.tgz", unpackTo: "." }] };
    await expect(pullOther(missing, dir)).rejects.toThrow(/HTTP 404|404/);
  });

  it("runs as one dataset-pull job: a Ctrl-C between archives leaves it interrupted, the same start resumes it to the ingest", async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const services = openServices(loadConfig({ CXR_DATA_DIR: dataDir }, dataDir));
    try {
      // an unknown dataset is refused at prepare, typed, and writes no row
      const unknown = await prepareJob(services, "dataset-pull", { dataset: "imagenet" }).catch((e) => e);
      expect(classifyError(unknown)).toMatchObject({ kind: "not-found", code: "UNKNOWN_DATASET" });
      const badMirror = await prepareJob(services, "dataset-pull", {
        dataset: "iu-xray",
        baseUrl: "ftp://mirror.example/",
      }).catch((e) => e);
      expect(classifyError(badMirror)).toMatchObject({ kind: "invalid" });
      expect(classifyError(badMirror).message).toContain("baseUrl");
      expect((await listJobs(services)).total).toBe(0);

      const request = { dataset: "iu-xray", baseUrl };
      const job = await prepareJob(services, "dataset-pull", request);
      // the defaults are spelt out in the row: the same request from anywhere is the same job
      expect(job.parameters).toMatchObject({
        dataset: "iu-xray",
        dir: path.join(dataDir, "datasets", "iu-xray"),
        name: "iu-xray",
      });

      requests.length = 0;
      const controller = new AbortController();
      const events: DatasetPullJobEvent[] = [];
      const stopped = await executeJob(services, job.id, {
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e as DatasetPullJobEvent);
          const { step, progress } = e as DatasetPullJobEvent;
          // Ctrl-C once the reports archive is unpacked, before the image archive starts
          if (step === "download" && progress.file === "NLMCXR_reports.tgz" && progress.phase === "unpack")
            controller.abort(new Error("interrupted (Ctrl-C)"));
        },
      }).catch((e) => e);
      expect(stopped.message).toBe("interrupted (Ctrl-C)");
      expect(await getJob(services, job.id)).toMatchObject({ status: "interrupted", attempts: 1 });
      expect(requests.map((r) => r.url)).toEqual(["/imgs/collections/NLMCXR_reports.tgz"]);
      expect(events.every((e) => e.step === "download")).toBe(true);

      requests.length = 0;
      const again = await prepareJob(services, "dataset-pull", { ...request, ingest: true });
      expect(again.id).not.toBe(job.id); // ingest spelt out is another request...
      expect((await prepareJob(services, "dataset-pull", request)).id).toBe(job.id); // ...the same one resumes
      const seen: JobProgress[] = [];
      const { job: done, result } = await executeJob<PulledDataset>(services, job.id, {
        onProgress: (p) => seen.push(p),
      });
      expect(done).toMatchObject({ status: "completed", attempts: 2, error: null });
      // the reports archive is not fetched again; the image archive once
      expect(requests.map((r) => r.url)).toEqual(["/imgs/collections/NLMCXR_png.tgz"]);
      expect(result.files.map((f) => [f.name, f.action])).toEqual([
        ["NLMCXR_reports.tgz", "present"],
        ["NLMCXR_png.tgz", "downloaded"],
      ]);
      expect(result.ingest).toMatchObject({ name: "iu-xray", status: "ready", studies: 2, images: 3 });
      // one envelope: bytes while downloading, studies while ingesting
      expect(seen.some((p) => p.phase === "download NLMCXR_png.tgz" && p.unit === "bytes")).toBe(true);
      expect(seen.at(-1)).toMatchObject({ kind: "dataset-pull", phase: "ingest", unit: "studies" });
      expect(seen.at(-1)!.done).toBeGreaterThanOrEqual(2);
      expect(done.result).toMatchObject({ dataset: "iu-xray", ingest: { studies: 2 } });
    } finally {
      await services.close();
    }
  });
});
