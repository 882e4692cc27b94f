import { readFile } from "node:fs/promises";
import path from "node:path";
import { sha256Hex } from "@cxr/config";
import type { Db } from "@cxr/db";
import { decodeImage, isImageDecodeError } from "@cxr/encoders";
import {
  type ImageData,
  type IngestRepository,
  prismaIngestRepository,
  type ReportData,
} from "./ingest-repository.ts";
import { DatasetError } from "./io.ts";
import type { DatasetSource, SkipEvent, SkipReason, StudyRecord } from "./types.ts";
import { skip } from "./types.ts";

/**
 * Writes a dataset into the database.
 * - Idempotent: a study already present (same dataset, same external id) and unchanged is left as it
 *   is, so a second run writes nothing. A study whose report, sections, image views or bytes, labels,
 *   patient or split changed in the source is updated in place (row ids kept) and counted as updated.
 *   A study that the source now skips keeps what was stored.
 * - Resumable: each study is written with its images and report in one nested create or update,
 *   which Prisma runs as one transaction, so a kill leaves whole studies only; the next run goes on.
 * - Every image is decoded in full by the encoders' decoder (`decodeImage`, DICOM included), as the
 *   index and the benchmark will read it, and its pixels dropped: an image that does not decode is
 *   skipped with the decoder's reason; a study whose images all fail is skipped.
 * - Fingerprints: see `studyHash` and `fingerprintOf` (version 2, prefixed "v2:").
 * - An ingest after which this run's source gave no usable study fails (`EmptyIngestError`, status
 *   "failed"): an empty dataset is never "ready".
 * Never logs or returns report text or pixels: skip details name items and reasons only.
 */

/** The version of the fingerprint this code writes; the prefix of every fingerprint it writes. */
export const FINGERPRINT_VERSION = 2;
const FINGERPRINT_PREFIX = `v${FINGERPRINT_VERSION}:`;

/**
 * The version a stored fingerprint carries: "v<N>:<hex>" is version N; a bare 64-digit hex string was
 * written before fingerprints were versioned (version 1: sorted image and full-text hashes only);
 * undefined for anything else.
 */
export function fingerprintVersion(fingerprint: string | null | undefined): number | undefined {
  if (!fingerprint) return undefined;
  if (/^[0-9a-f]{64}$/.test(fingerprint)) return 1;
  const m = /^v(\d+):[0-9a-f]{64}$/.exec(fingerprint);
  return m ? Number(m[1]) : undefined;
}

export interface IngestProgress {
  /** Studies handled so far (written, updated, already present or skipped). */
  processed: number;
  total: number | undefined;
  added: number;
  updated: number;
  existing: number;
  skipped: number;
  elapsedMs: number;
  /** Estimated time left, from this run's rate; undefined until known. */
  etaMs: number | undefined;
}

export interface IngestOptions {
  /** Dataset name, unique in the database. */
  name: string;
  onProgress?: (progress: IngestProgress) => void;
  /** Stops after the study in flight; the dataset stays "ingesting" and a later run resumes. */
  signal?: AbortSignal;
  /** Studies prepared (read, hashed) in parallel. Default 8. */
  concurrency?: number;
  /** Images decoded at once (each holds its pixels until checked). Default 2. */
  decodeConcurrency?: number;
  /** How many skipped items the summary lists one by one (all are counted). Default 1000. */
  maxListedSkips?: number;
}

export interface SplitSummary {
  name: string;
  studies: number;
  images: number;
  /** Studies of the split stored without any image (text only). */
  studiesWithoutImages: number;
  fingerprint: string;
}

/** What an update changed, counted per study (one study may count under several). */
export interface IngestChanges {
  /** The full report text. */
  report: number;
  /** The findings or impression section. */
  sections: number;
  /** The view of at least one image. */
  views: number;
  /** Images added, removed or with other bytes. */
  images: number;
  labels: number;
  patient: number;
  split: number;
}

export interface IngestSummary {
  datasetId: string;
  name: string;
  adapter: string;
  sourcePath: string;
  /** "failed": this run's source gave no usable study (everything skipped, or nothing at all). */
  status: "ready" | "ingesting" | "failed";
  fingerprint: string | null;
  /** The version of `fingerprint` (see `fingerprintVersion`). */
  fingerprintVersion: number;
  added: number;
  /** Studies already present whose content changed in the source, updated in place. */
  updated: number;
  changes: IngestChanges;
  /** Studies already present and unchanged. */
  existing: number;
  /** Skipped items by level (study, image, record) and by reason. */
  skipped: { study: number; image: number; record: number; byReason: Partial<Record<SkipReason, number>> };
  /** The first `maxListedSkips` skipped items, with reasons. */
  skippedItems: Omit<SkipEvent, "type">[];
  splits: SplitSummary[];
  studies: number;
  images: number;
  /** Studies stored without any image (text only): they are report candidates, never image positives. */
  studiesWithoutImages: number;
  elapsedMs: number;
}

/** An ingest whose source gave no usable study: the dataset is left "failed"; the summary says why. */
export class EmptyIngestError extends DatasetError {
  constructor(readonly summary: IngestSummary) {
    const items = summary.skipped.study + summary.existing + summary.added + summary.updated;
    super(
      "EMPTY_INGEST",
      items === 0
        ? `ingest of "${summary.name}" found no study in ${summary.sourcePath}; the dataset is not ready`
        : `ingest of "${summary.name}" took nothing: all ${items} studies were skipped (reasons in the summary); the dataset is not ready`,
    );
  }
}

/** The product's one sha256 (@cxr/config), under the name this package has always exported. */
export function sha256(data: string | Uint8Array): string {
  return sha256Hex(data);
}

/** Version-2 fingerprint: "v2:" and sha256 over the sorted lines, each followed by "\n". */
export function fingerprintOf(lines: string[]): string {
  const sorted = [...lines].sort();
  return `${FINGERPRINT_PREFIX}${sha256(sorted.map((h) => `${h}\n`).join(""))}`;
}

/** What of a stored study enters the fingerprint. */
export interface StudyIdentity {
  externalId: string;
  patientId: string | null;
  images: { externalId: string; sha256: string; view: string | null }[];
  report: { sha256: string; findings: string | null; impression: string | null } | null;
}

/**
 * One study's hash (fingerprint version 2): sha256 of the JSON array
 * `[externalId, patientId, [[imageExternalId, imageSha256, view], ...sorted by image id],
 *   reportSha256(full text) | null, sha256(findings) | null, sha256(impression) | null]`.
 * Re-pairing a report with other images, editing any section or the full text, changing a view,
 * an image's bytes or the patient changes it; labels do not enter it (the benchmark does not read them).
 */
export function studyHash(study: StudyIdentity): string {
  const images = [...study.images]
    .sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0))
    .map((i) => [i.externalId, i.sha256, i.view]);
  const orNullHash = (text: string | null | undefined) => (text == null ? null : sha256(text));
  return sha256(
    JSON.stringify([
      study.externalId,
      study.patientId,
      images,
      study.report?.sha256 ?? null,
      orNullHash(study.report?.findings),
      orNullHash(study.report?.impression),
    ]),
  );
}

type PreparedImage = ImageData;

type Prepared = { study: StudyRecord; images: PreparedImage[]; skips: SkipEvent[]; reportSha: string };

/** At most `limit` calls of `task` at once. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

async function prepareImage(
  study: string,
  image: StudyRecord["images"][number],
  decodeSlot: ReturnType<typeof limiter>,
): Promise<PreparedImage | SkipEvent> {
  const label = `${study}/${image.externalId}`;
  const file = path.basename(image.path);
  let bytes: Buffer;
  try {
    bytes = await readFile(image.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    return skip("image", label, "missing-file", `image could not be read (${code}): ${file}`);
  }
  // Decoded in full, as the index and the benchmark decode it (same decoder, same pixel limit), so a
  // truncated file or an unsupported DICOM never reaches them; the pixels are dropped at once.
  const decoded = await decodeSlot(
    async (): Promise<{ width: number; height: number } | { error: string }> => {
      try {
        const { width, height } = await decodeImage(bytes, { name: file });
        return { width, height };
      } catch (error) {
        if (!isImageDecodeError(error)) throw error;
        // The decoder's message is "<name>: <CODE>: <reason>"; keep the code and reason.
        return {
          error: `${file}: ${error.code}: ${error.message.slice(error.input.length + 2 + error.code.length + 2)}`,
        };
      }
    },
  );
  if ("error" in decoded) return skip("image", label, "undecodable-image", decoded.error);
  return {
    externalId: image.externalId,
    path: image.path,
    view: image.view,
    sha256: sha256(bytes),
    width: decoded.width,
    height: decoded.height,
    bytes: bytes.length,
  };
}

async function prepare(study: StudyRecord, decodeSlot: ReturnType<typeof limiter>): Promise<Prepared> {
  const results = await Promise.all(
    study.images.map((image) => prepareImage(study.externalId, image, decodeSlot)),
  );
  const images = results.filter((r): r is PreparedImage => !("type" in r));
  const skips = results.filter((r): r is SkipEvent => "type" in r);
  return { study, images, skips, reportSha: sha256(study.report.fullText) };
}

/** Studies read at once when fingerprints are computed (bounded memory on large datasets). */
const FINGERPRINT_PAGE = 1000;

/** Recomputes counts and fingerprints of every split of the dataset, and the dataset's own. */
export async function refreshFingerprints(
  db: Db,
  datasetId: string,
): Promise<{ fingerprint: string; splits: SplitSummary[] }> {
  return fingerprintDataset(prismaIngestRepository(db), datasetId);
}

/** `refreshFingerprints` on any repository. */
export async function fingerprintDataset(
  repo: IngestRepository,
  datasetId: string,
): Promise<{ fingerprint: string; splits: SplitSummary[] }> {
  const all: string[] = [];
  const summaries: SplitSummary[] = [];
  for (const split of await repo.splits(datasetId)) {
    const hashes: string[] = [];
    let images = 0;
    let withoutImages = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await repo.studyPage(split.id, cursor, FINGERPRINT_PAGE);
      if (page.length === 0) break;
      for (const study of page) {
        const hash = studyHash(study);
        hashes.push(hash);
        // The dataset's fingerprint also says which split each study is in.
        all.push(`${split.name}\t${hash}`);
        images += study.images.length;
        if (study.images.length === 0) withoutImages++;
      }
      cursor = page.at(-1)!.id;
    }
    const fingerprint = fingerprintOf(hashes);
    await repo.updateSplit(split.id, { fingerprint, studies: hashes.length, images });
    summaries.push({
      name: split.name,
      studies: hashes.length,
      images,
      studiesWithoutImages: withoutImages,
      fingerprint,
    });
  }
  return { fingerprint: fingerprintOf(all), splits: summaries };
}

const noChanges = (): IngestChanges => ({
  report: 0,
  sections: 0,
  views: 0,
  images: 0,
  labels: 0,
  patient: 0,
  split: 0,
});

/** The state of one ingest run: the dataset, what is stored, the counts and skips so far. */
interface Run {
  repo: IngestRepository;
  datasetId: string;
  /** External ids of the dataset's stored studies. */
  present: Set<string>;
  splitIds: Map<string, string>;
  total: number | undefined;
  counts: { processed: number; added: number; updated: number; existing: number; skipped: number };
  changes: IngestChanges;
  skipped: IngestSummary["skipped"];
  skippedItems: IngestSummary["skippedItems"];
  maxListed: number;
  runStart: number;
  onProgress: IngestOptions["onProgress"];
}

/**
 * Writes a dataset into the database (see the top of this file). The recipe: open the dataset,
 * load what is stored, read the source study by study (prepare, then add, update or keep each),
 * fingerprint the splits and record the outcome.
 */
export async function ingest(db: Db, source: DatasetSource, options: IngestOptions): Promise<IngestSummary> {
  return ingestInto(prismaIngestRepository(db), source, options);
}

/** `ingest` on any repository (the unit tier runs it in memory). */
export async function ingestInto(
  repo: IngestRepository,
  source: DatasetSource,
  options: IngestOptions,
): Promise<IngestSummary> {
  const started = Date.now();
  const name = options.name.trim();
  if (name === "") throw new DatasetError("INVALID_ARGUMENT", "a dataset needs a name");
  const datasetId = await openDataset(repo, name, source);
  const run = await startRun(repo, datasetId, source, options);
  await readSource(run, source, options);
  const aborted = options.signal?.aborted ?? false;
  const summary = await summarize(run, name, source, aborted, started);
  await repo.finishDataset(datasetId, {
    status: summary.status,
    fingerprint: summary.fingerprint,
    summaryJson: JSON.stringify(summary),
  });
  if (summary.status === "failed") throw new EmptyIngestError(summary);
  return summary;
}

/** Step: the dataset of this name, created or marked "ingesting"; another source under the name is refused. */
async function openDataset(repo: IngestRepository, name: string, source: DatasetSource): Promise<string> {
  const dataset = await repo.findDataset(name);
  if (dataset && (dataset.adapter !== source.adapter || dataset.sourcePath !== source.root)) {
    throw new DatasetError(
      "NAME_CONFLICT",
      `dataset "${name}" was ingested from ${dataset.adapter} at ${dataset.sourcePath}; choose another name`,
    );
  }
  return repo.startDataset(name, source.adapter, source.root, dataset);
}

/** Step: what is stored already (study ids, splits), and empty counts. */
async function startRun(
  repo: IngestRepository,
  datasetId: string,
  source: DatasetSource,
  options: IngestOptions,
): Promise<Run> {
  const present = new Set(await repo.studyExternalIds(datasetId));
  const splitIds = new Map((await repo.splits(datasetId)).map((s) => [s.name, s.id] as const));
  return {
    repo,
    datasetId,
    present,
    splitIds,
    total: await source.estimateTotal(),
    counts: { processed: 0, added: 0, updated: 0, existing: 0, skipped: 0 },
    changes: noChanges(),
    skipped: { study: 0, image: 0, record: 0, byReason: {} },
    skippedItems: [],
    maxListed: options.maxListedSkips ?? 1000,
    runStart: Date.now(),
    onProgress: options.onProgress,
  };
}

function recordSkip(run: Run, event: SkipEvent): void {
  run.skipped[event.level]++;
  run.skipped.byReason[event.reason] = (run.skipped.byReason[event.reason] ?? 0) + 1;
  if (run.skippedItems.length < run.maxListed) {
    run.skippedItems.push({
      level: event.level,
      item: event.item,
      reason: event.reason,
      detail: event.detail,
    });
  }
  if (event.level === "study") run.counts.skipped++;
}

function reportProgress(run: Run): void {
  if (!run.onProgress) return;
  const { counts, total } = run;
  const elapsedMs = Date.now() - run.runStart;
  const rate = counts.processed / Math.max(1, elapsedMs);
  const etaMs =
    total !== undefined && counts.processed > 0 ? Math.max(0, (total - counts.processed) / rate) : undefined;
  run.onProgress({ ...counts, total, elapsedMs, etaMs });
}

async function splitId(run: Run, splitName: string): Promise<string> {
  let id = run.splitIds.get(splitName);
  if (id === undefined) {
    id = await run.repo.ensureSplit(run.datasetId, splitName);
    run.splitIds.set(splitName, id);
  }
  return id;
}

/** Step: every event of the source, in batches prepared in parallel and written in order. */
async function readSource(run: Run, source: DatasetSource, options: IngestOptions): Promise<void> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const decodeSlot = limiter(Math.max(1, options.decodeConcurrency ?? 2));
  let batch: StudyRecord[] = [];
  const flush = async () => {
    const prepared = await Promise.all(batch.map((study) => prepare(study, decodeSlot)));
    batch = [];
    for (const p of prepared) {
      await writeStudy(run, p);
      run.counts.processed++;
      reportProgress(run);
    }
  };
  const seenThisRun = new Set<string>();
  for await (const event of source.events()) {
    if (options.signal?.aborted) break;
    if (event.type === "skip") {
      recordSkip(run, event);
      if (event.level === "study") {
        run.counts.processed++;
        reportProgress(run);
      }
      continue;
    }
    const study = event.study;
    if (seenThisRun.has(study.externalId)) {
      recordSkip(
        run,
        skip("study", study.externalId, "duplicate-id", "the source gives this study id twice"),
      );
      run.counts.processed++;
      continue;
    }
    seenThisRun.add(study.externalId);
    batch.push(study);
    if (batch.length >= concurrency) await flush();
  }
  await flush();
}

const reportData = (prepared: Prepared): ReportData => ({
  fullText: prepared.study.report.fullText,
  findings: prepared.study.report.findings,
  impression: prepared.study.report.impression,
  sha256: prepared.reportSha,
});

/** Step: one prepared study added, updated or kept (or skipped when none of its images is usable). */
async function writeStudy(run: Run, prepared: Prepared): Promise<void> {
  const { study, images } = prepared;
  for (const s of prepared.skips) recordSkip(run, s);
  if (study.images.length > 0 && images.length === 0) {
    recordSkip(
      run,
      skip(
        "study",
        study.externalId,
        "no-images",
        `none of the study's ${study.images.length} images could be used${run.present.has(study.externalId) ? "; the stored study is kept as it was" : ""}`,
      ),
    );
    return;
  }
  if (run.present.has(study.externalId)) {
    if (await updateStudy(run, prepared)) run.counts.updated++;
    else run.counts.existing++;
    return;
  }
  const created = await run.repo.createStudy(run.datasetId, {
    splitId: await splitId(run, study.split),
    externalId: study.externalId,
    patientId: study.patientId ?? null,
    labelsJson: study.labels === undefined ? null : JSON.stringify(study.labels),
    images,
    report: reportData(prepared),
  });
  if (created) {
    run.present.add(study.externalId);
    run.counts.added++;
  } else run.counts.existing++; // written meanwhile by another run
}

/** Step: brings a stored study in line with the source; true when anything changed. */
async function updateStudy(run: Run, prepared: Prepared): Promise<boolean> {
  const { study, images } = prepared;
  const stored = await run.repo.findStudy(run.datasetId, study.externalId);
  if (stored === null) return false;
  const labelsJson = study.labels === undefined ? null : JSON.stringify(study.labels);
  const patientId = study.patientId ?? null;
  const byId = new Map(stored.images.map((i) => [i.externalId, i]));
  const fresh = new Set(images.map((i) => i.externalId));
  const created = images.filter((i) => !byId.has(i.externalId));
  const removed = stored.images.filter((i) => !fresh.has(i.externalId));
  const altered = images.flatMap((i) => {
    const old = byId.get(i.externalId);
    return old !== undefined &&
      (old.sha256 !== i.sha256 ||
        old.view !== i.view ||
        old.path !== i.path ||
        old.width !== i.width ||
        old.height !== i.height ||
        old.bytes !== i.bytes)
      ? [{ old, next: i }]
      : [];
  });
  const change = {
    report: stored.report?.sha256 !== prepared.reportSha,
    sections:
      stored.report?.findings !== study.report.findings ||
      stored.report?.impression !== study.report.impression,
    views: altered.some(({ old, next }) => old.view !== next.view),
    images:
      created.length > 0 || removed.length > 0 || altered.some(({ old, next }) => old.sha256 !== next.sha256),
    labels: stored.labelsJson !== labelsJson,
    patient: stored.patientId !== patientId,
    split: stored.splitName !== study.split,
  };
  // A moved file (same bytes, new path) is kept up to date without counting as a change of content.
  if (!Object.values(change).some(Boolean) && altered.length === 0) return false;
  await run.repo.updateStudy(stored.id, {
    splitId: await splitId(run, study.split),
    patientId,
    labelsJson,
    report: reportData(prepared),
    removeImages: removed.map((i) => i.id),
    addImages: created,
    changeImages: altered.map(({ old, next }) => ({ id: old.id, data: next })),
  });
  for (const key of Object.keys(change) as (keyof IngestChanges)[]) if (change[key]) run.changes[key]++;
  return Object.values(change).some(Boolean);
}

/** Step: fingerprints and counts of the splits, and the run's summary. */
async function summarize(
  run: Run,
  name: string,
  source: DatasetSource,
  aborted: boolean,
  started: number,
): Promise<IngestSummary> {
  const { fingerprint, splits } = await fingerprintDataset(run.repo, run.datasetId);
  const { counts } = run;
  const usable = counts.added + counts.updated + counts.existing;
  const status: IngestSummary["status"] = aborted ? "ingesting" : usable === 0 ? "failed" : "ready";
  return {
    datasetId: run.datasetId,
    name,
    adapter: source.adapter,
    sourcePath: source.root,
    status,
    fingerprint: status === "ready" ? fingerprint : null,
    fingerprintVersion: FINGERPRINT_VERSION,
    added: counts.added,
    updated: counts.updated,
    changes: run.changes,
    existing: counts.existing,
    skipped: run.skipped,
    skippedItems: run.skippedItems,
    splits,
    studies: splits.reduce((n, s) => n + s.studies, 0),
    images: splits.reduce((n, s) => n + s.images, 0),
    studiesWithoutImages: splits.reduce((n, s) => n + s.studiesWithoutImages, 0),
    elapsedMs: Date.now() - started,
  };
}

export interface DatasetInfo {
  id: string;
  name: string;
  adapter: string;
  sourcePath: string;
  status: string;
  fingerprint: string | null;
  /** The version the stored fingerprint carries (1: written before versioning); undefined when none. */
  fingerprintVersion: number | undefined;
  studies: number;
  splits: {
    name: string;
    studies: number;
    images: number;
    fingerprint: string | null;
    fingerprintVersion: number | undefined;
  }[];
  createdAt: Date;
  updatedAt: Date;
}

export async function listDatasets(db: Db): Promise<DatasetInfo[]> {
  const datasets = await db.dataset.findMany({
    orderBy: { name: "asc" },
    include: { splits: { orderBy: { name: "asc" } }, _count: { select: { studies: true } } },
  });
  return datasets.map((d) => ({
    id: d.id,
    name: d.name,
    adapter: d.adapter,
    sourcePath: d.sourcePath,
    status: d.status,
    fingerprint: d.fingerprint,
    fingerprintVersion: fingerprintVersion(d.fingerprint),
    studies: d._count.studies,
    splits: d.splits.map((s) => ({
      name: s.name,
      studies: s.studyCount,
      images: s.imageCount,
      fingerprint: s.fingerprint,
      fingerprintVersion: fingerprintVersion(s.fingerprint),
    })),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  }));
}

export async function showDataset(
  db: Db,
  name: string,
): Promise<
  | (DatasetInfo & {
      summary: IngestSummary | null;
      sections: { findings: number; impression: number; both: number };
    })
  | undefined
> {
  const info = (await listDatasets(db)).find((d) => d.name === name);
  if (!info) return undefined;
  const row = await db.dataset.findUnique({ where: { id: info.id }, select: { summaryJson: true } });
  const [findings, impression, both] = await Promise.all([
    db.report.count({ where: { study: { datasetId: info.id }, findings: { not: null } } }),
    db.report.count({ where: { study: { datasetId: info.id }, impression: { not: null } } }),
    db.report.count({
      where: { study: { datasetId: info.id }, findings: { not: null }, impression: { not: null } },
    }),
  ]);
  return {
    ...info,
    summary: row?.summaryJson ? (JSON.parse(row.summaryJson) as IngestSummary) : null,
    sections: { findings, impression, both },
  };
}
