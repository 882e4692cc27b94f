import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { sha256File } from "@cxr/config";
import { extract } from "tar";
import { DatasetError } from "./io.ts";

/**
 * Downloads a public dataset's archives with resume (through the downloader the caller gives:
 * @cxr/services' one downloader, with its HTML and timeout guards), checks them
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

/**
 * Fetches `url` into `target`, continuing a partial download of an earlier attempt; throws a
 * DatasetError DOWNLOAD_FAILED (or the caller's own error) when it cannot.
 */
export type ArchiveDownloader = (request: {
  url: string;
  target: string;
  /** The archive's name, for progress and messages. */
  label: string;
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}) => Promise<{ resumed: boolean; bytes: number }>;

export interface PullOptions {
  /** Dataset folder: archives are kept under <dir>/archives, unpacked into <dir>. */
  dir: string;
  download: ArchiveDownloader;
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

export async function pullDataset(dataset: RemoteDataset, options: PullOptions): Promise<PullResult> {
  const dir = path.resolve(options.dir);
  const archives = path.join(dir, "archives");
  await mkdir(archives, { recursive: true });
  const sumsFile = path.join(archives, "SHA256SUMS");
  const sums = await readSums(sumsFile);
  const base = (options.baseUrl ?? dataset.baseUrl).replace(/\/*$/, "/");
  const files: PulledFile[] = [];
  for (const remote of dataset.files) {
    // A stop (Ctrl-C, a cancel) takes effect between archives: what is done stays done.
    options.signal?.throwIfAborted();
    const target = path.join(archives, remote.name);
    const expected = options.sha256?.[remote.name] ?? remote.sha256 ?? sums.get(remote.name);
    let action: PulledFile["action"] = "present";
    let bytes = await fileSize(target);
    if (bytes === undefined) {
      const url = new URL(remote.name, base).toString();
      const result = await options.download({
        url,
        target,
        label: remote.name,
        onProgress: (received, total) =>
          options.onProgress?.({ file: remote.name, received, total, phase: "download" }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
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
