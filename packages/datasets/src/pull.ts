import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { extract } from "tar";
import { DatasetError } from "./io.ts";

/**
 * Downloads a public dataset's archives with resume (HTTP Range on a .part file), checks them
 * (length against the server's, sha256 against a known value when the registry has one; the
 * sha256 of every completed download is recorded in SHA256SUMS and checked on later runs), and
 * unpacks them (tar.gz; entries that would land outside the target are refused by `tar`).
 */

export interface RemoteFile {
  name: string;
  /** Folder, relative to the dataset folder, to unpack into. */
  unpackTo: string;
  /** Known sha256, when published; otherwise the first download's is recorded and kept. */
  sha256?: string;
}

export interface RemoteDataset {
  name: string;
  adapter: string;
  description: string;
  license: string;
  baseUrl: string;
  files: RemoteFile[];
}

export const REMOTE_DATASETS: RemoteDataset[] = [
  {
    name: "iu-xray",
    adapter: "iu-xray",
    description: "IU X-ray / Open-i chest X-ray collection (NLM): ~3,955 reports (XML), ~7,470 PNG images",
    license:
      "Open-i collection, commonly redistributed as CC BY-NC-ND 4.0; cite Demner-Fushman et al., JAMIA 2016;23(2):304-310",
    baseUrl: "https://openi.nlm.nih.gov/imgs/collections/",
    files: [
      { name: "NLMCXR_reports.tgz", unpackTo: "." },
      { name: "NLMCXR_png.tgz", unpackTo: "NLMCXR_png" },
    ],
  },
];

export function findRemoteDataset(name: string): RemoteDataset | undefined {
  return REMOTE_DATASETS.find((d) => d.name === name.trim().toLowerCase());
}

export interface PullProgress {
  file: string;
  received: number;
  total: number | undefined;
  phase: "download" | "verify" | "unpack";
}

export interface PullOptions {
  /** Dataset folder: archives are kept under <dir>/archives, unpacked into <dir>. */
  dir: string;
  /** Overrides the registry's base URL (a mirror, or a local server in tests). */
  baseUrl?: string;
  /** Known sha256 per file name, overriding the registry's. */
  sha256?: Record<string, string>;
  onProgress?: (progress: PullProgress) => void;
  signal?: AbortSignal;
}

export interface PulledFile {
  name: string;
  bytes: number;
  sha256: string;
  /** "downloaded", "resumed" (continued a partial download) or "present" (already complete). */
  action: "downloaded" | "resumed" | "present";
  unpacked: boolean;
}

export interface PullResult {
  dataset: string;
  dir: string;
  files: PulledFile[];
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

async function readSums(file: string): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  try {
    for (const line of (await readFile(file, "utf8")).split("\n")) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
      if (m) sums.set(m[2]!, m[1]!);
    }
  } catch {
    // none yet
  }
  return sums;
}

async function writeSums(file: string, sums: Map<string, string>): Promise<void> {
  const lines = [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([name, hash]) => `${hash}  ${name}\n`);
  await writeFile(file, lines.join(""));
}

/** Downloads url to target, continuing target.part when it exists. */
async function download(
  url: string,
  target: string,
  options: PullOptions,
  name: string,
): Promise<{ resumed: boolean; bytes: number }> {
  const part = `${target}.part`;
  let offset = (await fileSize(part)) ?? 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: options.signal, redirect: "follow" });
    } catch (error) {
      throw new DatasetError(
        "DOWNLOAD_FAILED",
        `${name}: download failed (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (response.status === 416 && offset > 0) {
      // the partial file is not a prefix the server recognises: start again
      await response.body?.cancel();
      await rm(part, { force: true });
      offset = 0;
      continue;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new DatasetError("DOWNLOAD_FAILED", `${name}: ${url} answered HTTP ${response.status}`);
    }
    const resumed = response.status === 206 && offset > 0;
    if (!resumed) offset = 0; // the server sent the whole file
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    const range = /\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
    const total = range ? Number(range[1]) : Number.isFinite(length) ? offset + length : undefined;
    let received = offset;
    // every chunk is on disk before the next is read, so an interruption keeps all that arrived
    const handle = await open(part, resumed ? "a" : "w");
    try {
      for await (const chunk of Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>)) {
        await handle.write(chunk as Buffer);
        received += (chunk as Buffer).length;
        options.onProgress?.({ file: name, received, total, phase: "download" });
      }
    } catch (error) {
      throw new DatasetError(
        "DOWNLOAD_FAILED",
        `${name}: download interrupted at ${received} bytes (${error instanceof Error ? error.message : String(error)}); run again to resume`,
      );
    } finally {
      await handle.close();
    }
    const size = (await fileSize(part)) ?? 0;
    if (total !== undefined && size !== total) {
      throw new DatasetError(
        "DOWNLOAD_FAILED",
        `${name}: received ${size} of ${total} bytes; run again to resume`,
      );
    }
    await rename(part, target);
    return { resumed, bytes: size };
  }
  throw new DatasetError(
    "DOWNLOAD_FAILED",
    `${name}: the server refused to resume and to restart the download`,
  );
}

export async function pullDataset(dataset: RemoteDataset, options: PullOptions): Promise<PullResult> {
  const dir = path.resolve(options.dir);
  const archives = path.join(dir, "archives");
  await mkdir(archives, { recursive: true });
  const sumsFile = path.join(archives, "SHA256SUMS");
  const sums = await readSums(sumsFile);
  const base = (options.baseUrl ?? dataset.baseUrl).replace(/\/*$/, "/");
  const files: PulledFile[] = [];
  for (const remote of dataset.files) {
    const target = path.join(archives, remote.name);
    const expected = options.sha256?.[remote.name] ?? remote.sha256 ?? sums.get(remote.name);
    let action: PulledFile["action"] = "present";
    let bytes = await fileSize(target);
    if (bytes === undefined) {
      const url = new URL(remote.name, base).toString();
      const result = await download(url, target, options, remote.name);
      action = result.resumed ? "resumed" : "downloaded";
      bytes = result.bytes;
    }
    options.onProgress?.({ file: remote.name, received: bytes, total: bytes, phase: "verify" });
    const actual = await sha256File(target);
    if (expected !== undefined && actual !== expected) {
      await rm(target, { force: true });
      throw new DatasetError(
        "CHECKSUM_MISMATCH",
        `${remote.name}: sha256 ${actual} does not match the expected ${expected}; the file was removed, run again to download it afresh`,
      );
    }
    sums.set(remote.name, actual);
    await writeSums(sumsFile, sums);

    const marker = path.join(archives, `.${remote.name}.unpacked`);
    let unpacked = false;
    const done = await readFile(marker, "utf8").catch(() => "");
    if (done.trim() !== actual) {
      options.onProgress?.({ file: remote.name, received: bytes, total: bytes, phase: "unpack" });
      const into = path.resolve(dir, remote.unpackTo);
      await mkdir(into, { recursive: true });
      try {
        await extract({ file: target, cwd: into, strict: true, preservePaths: false });
      } catch (error) {
        throw new DatasetError(
          "UNPACK_FAILED",
          `${remote.name}: cannot unpack (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      await writeFile(marker, `${actual}\n`);
      unpacked = true;
    }
    files.push({ name: remote.name, bytes, sha256: actual, action, unpacked });
  }
  return { dataset: dataset.name, dir, files };
}
