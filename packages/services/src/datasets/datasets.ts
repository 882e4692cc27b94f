import path from "node:path";
import {
  ADAPTERS,
  type ArchiveDownloader,
  DatasetError,
  findAdapter,
  findRemoteDataset,
  type IngestProgress,
  type IngestSummary,
  ingest,
  listDatasets as listInDatabase,
  type PullProgress,
  type PullResult,
  pullDataset as pullArchives,
  REMOTE_DATASETS,
  type RemoteDataset,
  type SynthOptions,
  type SynthSummary,
  showDataset as showInDatabase,
  synthesize,
} from "@cxr/datasets";
import type { Services } from "../context/open.ts";
import { download } from "../download/download.ts";
import { ServiceError } from "../errors/service-error.ts";

/**
 * The dataset use cases every face offers: list, show, ingest a local source, pull a public dataset
 * (download, verify, unpack, ingest) and synthesize one. Messages and progress carry names, counts
 * and paths, never report text.
 */

/** Adapter names (`cxr ingest <adapter>`), in the order they are documented. */
export const DATASET_ADAPTERS: readonly string[] = ADAPTERS.map((a) => a.name);
/** Public datasets `pullDataset` knows. */
export const PULLABLE_DATASETS: readonly string[] = REMOTE_DATASETS.map((d) => d.name);

export type DatasetList = Awaited<ReturnType<typeof listInDatabase>>;
export type DatasetDetails = NonNullable<Awaited<ReturnType<typeof showInDatabase>>>;

export async function listDatasets(services: Pick<Services, "database">): Promise<DatasetList> {
  return listInDatabase((await services.database()).prisma);
}

/** One dataset: splits, fingerprints, section counts and the last ingest's skipped items. */
export async function showDataset(
  services: Pick<Services, "database">,
  name: string,
): Promise<DatasetDetails> {
  const shown = await showInDatabase((await services.database()).prisma, name);
  if (!shown) {
    throw new ServiceError(
      "not-found",
      "UNKNOWN_DATASET",
      `no dataset named "${name}" (see \`cxr datasets list\`)`,
    );
  }
  return shown;
}

export interface IngestRequest {
  /** Adapter name: mimic-cxr-jpg, iu-xray, iu-csv, chexpert-plus or manifest. */
  adapter: string;
  /** Dataset root (for manifest: the folder or the manifest file). */
  root: string;
  /** Name in the database (default: the folder's name). */
  name?: string;
  split?: string;
  textOnly?: boolean;
  imagesDir?: string;
  reportsDir?: string;
  onProgress?: (progress: IngestProgress) => void;
  signal?: AbortSignal;
}

/** The dataset name an ingest of `root` gets when none is given: its folder's name. */
export function defaultDatasetName(root: string): string {
  const resolved = path.resolve(root);
  return path.basename(/\.(jsonl|csv)$/.test(resolved) ? path.dirname(resolved) : resolved);
}

function openSource(request: IngestRequest) {
  const adapter = findAdapter(request.adapter);
  if (!adapter) {
    throw new ServiceError(
      "not-found",
      "UNKNOWN_ADAPTER",
      `unknown adapter "${request.adapter}"; one of ${DATASET_ADAPTERS.join(", ")}`,
    );
  }
  return adapter.open(path.resolve(request.root), {
    split: request.split,
    textOnly: request.textOnly,
    imagesDir: request.imagesDir,
    reportsDir: request.reportsDir,
  });
}

/**
 * An ingest's prepare step: refuses an unknown adapter or a missing source (typed errors, nothing
 * written) and returns the request with its root resolved and its name defaulted.
 */
export function checkIngestRequest<R extends IngestRequest>(request: R): R & { name: string } {
  openSource(request);
  return {
    ...request,
    root: path.resolve(request.root),
    name: request.name ?? defaultDatasetName(request.root),
  };
}

/**
 * Writes a local source into the database (resumable: a second run adds what is missing). An
 * aborted signal stops it after the study in flight and returns with status "ingesting".
 */
export async function ingestDataset(
  services: Pick<Services, "database">,
  request: IngestRequest,
): Promise<IngestSummary> {
  const source = openSource(request);
  const name = request.name ?? defaultDatasetName(request.root);
  return ingest((await services.database()).prisma, source, {
    name,
    ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
}

export interface PullRequest {
  dataset: string;
  /** Where to keep it (default: <dataDir>/datasets/<dataset>). */
  dir?: string;
  /** A mirror of the archives' folder (default: the configured mirror, else the public location). */
  baseUrl?: string;
  /** Expected sha256 per archive name. */
  sha256?: Record<string, string>;
  /** Name in the database (default: the dataset's). */
  name?: string;
  /** Ingest after unpacking (default true). */
  ingest?: boolean;
  onProgress?: (progress: PullProgress) => void;
  onIngestProgress?: (progress: IngestProgress) => void;
  signal?: AbortSignal;
  /** Time to wait for the headers and between chunks (default 30 s). */
  timeoutMs?: number;
  /** Automatic resumptions of a cut-off transfer (default 3). */
  retries?: number;
}

/** The one downloader, for dataset archives: its errors are DatasetError DOWNLOAD_FAILED. */
function archiveDownloader(options: { timeoutMs?: number; retries?: number }): ArchiveDownloader {
  return async ({ url, target, label, onProgress, signal }) => {
    const result = await download({
      url,
      dest: target,
      label,
      kind: "binary",
      ...(onProgress === undefined ? {} : { onProgress: (p) => onProgress(p.received, p.total) }),
      ...(signal === undefined ? {} : { signal }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      failure: (message, { cause }) =>
        new DatasetError("DOWNLOAD_FAILED", `${message}; run again to resume`, { cause }),
    });
    return { resumed: result.resumedFrom > 0, bytes: result.size };
  };
}

export interface PulledDataset extends PullResult {
  license: string;
  ingest: IngestSummary | null;
}

function remoteDataset(name: string): RemoteDataset {
  const remote = findRemoteDataset(name);
  if (!remote) {
    throw new ServiceError(
      "not-found",
      "UNKNOWN_DATASET",
      `unknown dataset "${name}"; one of ${PULLABLE_DATASETS.join(", ")}`,
    );
  }
  return remote;
}

/**
 * A pull's prepare step: refuses an unknown dataset (typed, nothing written) and returns the request
 * with its folder resolved and its name defaulted, so that the same pull asked from another folder,
 * or with the defaults spelt out, is the same job.
 */
export function checkPullRequest<R extends PullRequest>(
  services: Pick<Services, "config">,
  request: R,
): R & { dir: string; name: string } {
  const remote = remoteDataset(request.dataset);
  const sha256 =
    request.sha256 !== undefined && Object.keys(request.sha256).length > 0 ? request.sha256 : undefined;
  return {
    ...request,
    dataset: remote.name,
    dir: path.resolve(request.dir ?? path.join(services.config.dataDir, "datasets", remote.name)),
    name: request.name ?? remote.name,
    sha256,
  };
}

/**
 * Downloads a public dataset (resumable), verifies and unpacks it, and ingests it (resumable too:
 * a second run adds what is missing). Faces run it as a `pull` job (jobs/definitions.ts).
 */
export async function pullDataset(
  services: Pick<Services, "config" | "database">,
  request: PullRequest,
): Promise<PulledDataset> {
  const { dataset, dir, name } = checkPullRequest(services, request);
  const remote = remoteDataset(dataset);
  const baseUrl = request.baseUrl ?? (remote.name === "iu-xray" ? services.config.iuXrayBaseUrl : undefined);
  const pulled = await pullArchives(remote, {
    dir,
    download: archiveDownloader(request),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(request.sha256 === undefined ? {} : { sha256: request.sha256 }),
    ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  let summary: IngestSummary | null = null;
  if (request.ingest !== false) {
    request.signal?.throwIfAborted();
    summary = await ingestDataset(services, {
      adapter: remote.adapter,
      root: dir,
      name,
      ...(request.onIngestProgress === undefined ? {} : { onProgress: request.onIngestProgress }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  }
  return { ...pulled, license: remote.license, ingest: summary };
}

/** Generates synthetic radiographs with reports and labels in the manifest layout (no database). */
export function synthesizeDataset(options: SynthOptions): Promise<SynthSummary> {
  return synthesize(options);
}
