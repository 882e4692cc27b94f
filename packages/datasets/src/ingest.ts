import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Db } from "@cxr/db";
import sharp from "sharp";
import { DatasetError } from "./io.ts";
import type { DatasetSource, SkipEvent, SkipReason, StudyRecord } from "./types.ts";
import { skip } from "./types.ts";

/**
 * Writes a dataset into the database.
 * - Idempotent: a study already present (same dataset, same external id) is left as it is, so a
 *   second run adds nothing; a study whose report text changed since is reported, not rewritten.
 * - Resumable: each study is written with its images and report in one nested create, which
 *   Prisma runs as one transaction, so a kill leaves whole studies only; the next run goes on.
 * - Every image is read once: sha256 of its bytes, width and height from its header (sharp
 *   metadata), byte count. An image that does not decode is skipped with a reason; a study whose
 *   images all fail is skipped.
 * - Fingerprints (benchmark.md): a split's is sha256 over the sorted per-item hashes of the split
 *   (each image's sha256 and each report's sha256 of its full text, lower-case hex, one per line,
 *   "\n"-terminated); the dataset's is the same over all its splits' items.
 * Never logs or returns report text or pixels: skip details name items and reasons only.
 */

export interface IngestProgress {
  /** Studies handled so far (written, already present or skipped). */
  processed: number;
  total: number | undefined;
  added: number;
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
  /** How many skipped items the summary lists one by one (all are counted). Default 1000. */
  maxListedSkips?: number;
}

export interface SplitSummary {
  name: string;
  studies: number;
  images: number;
  fingerprint: string;
}

export interface IngestSummary {
  datasetId: string;
  name: string;
  adapter: string;
  sourcePath: string;
  status: "ready" | "ingesting";
  fingerprint: string | null;
  added: number;
  existing: number;
  /** Skipped items by level (study, image, record) and by reason. */
  skipped: { study: number; image: number; record: number; byReason: Partial<Record<SkipReason, number>> };
  /** The first `maxListedSkips` skipped items, with reasons. */
  skippedItems: Omit<SkipEvent, "type">[];
  splits: SplitSummary[];
  studies: number;
  images: number;
  elapsedMs: number;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 over the sorted hashes, one per line: the fingerprint of benchmark.md. */
export function fingerprintOf(hashes: string[]): string {
  const sorted = [...hashes].sort();
  return sha256(sorted.map((h) => `${h}\n`).join(""));
}

interface PreparedImage {
  externalId: string;
  path: string;
  view: string | null;
  sha256: string;
  width: number;
  height: number;
  bytes: number;
}

type Prepared = { study: StudyRecord; images: PreparedImage[]; skips: SkipEvent[]; reportSha: string };

async function prepareImage(
  study: string,
  image: StudyRecord["images"][number],
): Promise<PreparedImage | SkipEvent> {
  const label = `${study}/${image.externalId}`;
  let bytes: Buffer;
  try {
    bytes = await readFile(image.path);
  } catch {
    return skip("image", label, "missing-file", `image could not be read: ${path.basename(image.path)}`);
  }
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) throw new Error("no dimensions");
    return {
      externalId: image.externalId,
      path: image.path,
      view: image.view,
      sha256: sha256(bytes),
      width: meta.width,
      height: meta.height,
      bytes: bytes.length,
    };
  } catch {
    return skip("image", label, "undecodable-image", `not a decodable image: ${path.basename(image.path)}`);
  }
}

async function prepare(study: StudyRecord): Promise<Prepared> {
  const results = await Promise.all(study.images.map((image) => prepareImage(study.externalId, image)));
  const images = results.filter((r): r is PreparedImage => !("type" in r));
  const skips = results.filter((r): r is SkipEvent => "type" in r);
  return { study, images, skips, reportSha: sha256(study.report.fullText) };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** Recomputes counts and fingerprints of every split of the dataset, and the dataset's own. */
export async function refreshFingerprints(
  db: Db,
  datasetId: string,
): Promise<{ fingerprint: string; splits: SplitSummary[] }> {
  const splits = await db.split.findMany({ where: { datasetId }, orderBy: { name: "asc" } });
  const all: string[] = [];
  const summaries: SplitSummary[] = [];
  for (const split of splits) {
    const [images, reports, studies] = await Promise.all([
      db.image.findMany({ where: { study: { splitId: split.id } }, select: { sha256: true } }),
      db.report.findMany({ where: { study: { splitId: split.id } }, select: { sha256: true } }),
      db.study.count({ where: { splitId: split.id } }),
    ]);
    const hashes = [...images.map((i) => i.sha256), ...reports.map((r) => r.sha256)];
    all.push(...hashes);
    const fingerprint = fingerprintOf(hashes);
    await db.split.update({
      where: { id: split.id },
      data: { fingerprint, studyCount: studies, imageCount: images.length },
    });
    summaries.push({ name: split.name, studies, images: images.length, fingerprint });
  }
  return { fingerprint: fingerprintOf(all), splits: summaries };
}

export async function ingest(db: Db, source: DatasetSource, options: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const name = options.name.trim();
  if (name === "") throw new DatasetError("INVALID_ARGUMENT", "a dataset needs a name");
  const maxListed = options.maxListedSkips ?? 1000;
  const concurrency = Math.max(1, options.concurrency ?? 8);

  let dataset = await db.dataset.findUnique({ where: { name } });
  if (dataset && (dataset.adapter !== source.adapter || dataset.sourcePath !== source.root)) {
    throw new DatasetError(
      "NAME_CONFLICT",
      `dataset "${name}" was ingested from ${dataset.adapter} at ${dataset.sourcePath}; choose another name`,
    );
  }
  dataset = dataset
    ? await db.dataset.update({ where: { id: dataset.id }, data: { status: "ingesting" } })
    : await db.dataset.create({
        data: { name, adapter: source.adapter, sourcePath: source.root, status: "ingesting" },
      });
  const datasetId = dataset.id;

  const present = new Map<string, string | null>();
  for (const s of await db.study.findMany({
    where: { datasetId },
    select: { externalId: true, report: { select: { sha256: true } } },
  })) {
    present.set(s.externalId, s.report?.sha256 ?? null);
  }
  const splitIds = new Map<string, string>();
  for (const s of await db.split.findMany({ where: { datasetId } })) splitIds.set(s.name, s.id);
  const splitId = async (splitName: string): Promise<string> => {
    let id = splitIds.get(splitName);
    if (id === undefined) {
      const split = await db.split.upsert({
        where: { datasetId_name: { datasetId, name: splitName } },
        create: { datasetId, name: splitName },
        update: {},
      });
      id = split.id;
      splitIds.set(splitName, id);
    }
    return id;
  };

  const total = await source.estimateTotal();
  const counts = { processed: 0, added: 0, existing: 0, skipped: 0 };
  const skipped: IngestSummary["skipped"] = { study: 0, image: 0, record: 0, byReason: {} };
  const skippedItems: IngestSummary["skippedItems"] = [];
  const runStart = Date.now();
  const record = (event: SkipEvent) => {
    skipped[event.level]++;
    skipped.byReason[event.reason] = (skipped.byReason[event.reason] ?? 0) + 1;
    if (skippedItems.length < maxListed) {
      skippedItems.push({ level: event.level, item: event.item, reason: event.reason, detail: event.detail });
    }
    if (event.level === "study") counts.skipped++;
  };
  const report = () => {
    if (!options.onProgress) return;
    const elapsedMs = Date.now() - runStart;
    const rate = counts.processed / Math.max(1, elapsedMs);
    const etaMs =
      total !== undefined && counts.processed > 0
        ? Math.max(0, (total - counts.processed) / rate)
        : undefined;
    options.onProgress({ ...counts, total, elapsedMs, etaMs });
  };

  const write = async (prepared: Prepared) => {
    const { study, images } = prepared;
    for (const s of prepared.skips) record(s);
    if (study.images.length > 0 && images.length === 0) {
      record(
        skip(
          "study",
          study.externalId,
          "no-images",
          `none of the study's ${study.images.length} images could be used`,
        ),
      );
      return;
    }
    try {
      await db.study.create({
        data: {
          datasetId,
          splitId: await splitId(study.split),
          externalId: study.externalId,
          patientId: study.patientId ?? null,
          labelsJson: study.labels === undefined ? null : JSON.stringify(study.labels),
          images: { create: images },
          report: {
            create: {
              fullText: study.report.fullText,
              findings: study.report.findings,
              impression: study.report.impression,
              sha256: prepared.reportSha,
            },
          },
        },
      });
      present.set(study.externalId, prepared.reportSha);
      counts.added++;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      counts.existing++; // written meanwhile by another run
    }
  };

  let batch: StudyRecord[] = [];
  const flush = async () => {
    const prepared = await Promise.all(batch.map(prepare));
    batch = [];
    for (const p of prepared) {
      await write(p);
      counts.processed++;
      report();
    }
  };

  const seenThisRun = new Set<string>();
  for await (const event of source.events()) {
    if (options.signal?.aborted) break;
    if (event.type === "skip") {
      record(event);
      if (event.level === "study") {
        counts.processed++;
        report();
      }
      continue;
    }
    const study = event.study;
    if (seenThisRun.has(study.externalId)) {
      record(skip("study", study.externalId, "duplicate-id", "the source gives this study id twice"));
      counts.processed++;
      continue;
    }
    seenThisRun.add(study.externalId);
    if (present.has(study.externalId)) {
      const before = present.get(study.externalId);
      if (before !== sha256(study.report.fullText)) {
        record(
          skip(
            "study",
            study.externalId,
            "changed-since-ingest",
            "the report differs from the one ingested earlier; kept the earlier",
          ),
        );
      } else counts.existing++;
      counts.processed++;
      report();
      continue;
    }
    batch.push(study);
    if (batch.length >= concurrency) await flush();
  }
  await flush();

  const aborted = options.signal?.aborted ?? false;
  const { fingerprint, splits } = await refreshFingerprints(db, datasetId);
  const studies = splits.reduce((n, s) => n + s.studies, 0);
  const images = splits.reduce((n, s) => n + s.images, 0);
  const summary: IngestSummary = {
    datasetId,
    name,
    adapter: source.adapter,
    sourcePath: source.root,
    status: aborted ? "ingesting" : "ready",
    fingerprint: aborted ? null : fingerprint,
    added: counts.added,
    existing: counts.existing,
    skipped,
    skippedItems,
    splits,
    studies,
    images,
    elapsedMs: Date.now() - started,
  };
  await db.dataset.update({
    where: { id: datasetId },
    data: { status: summary.status, fingerprint: summary.fingerprint, summaryJson: JSON.stringify(summary) },
  });
  return summary;
}

export interface DatasetInfo {
  id: string;
  name: string;
  adapter: string;
  sourcePath: string;
  status: string;
  fingerprint: string | null;
  studies: number;
  splits: { name: string; studies: number; images: number; fingerprint: string | null }[];
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
    studies: d._count.studies,
    splits: d.splits.map((s) => ({
      name: s.name,
      studies: s.studyCount,
      images: s.imageCount,
      fingerprint: s.fingerprint,
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
