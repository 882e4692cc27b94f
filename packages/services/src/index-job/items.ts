import { readFile } from "node:fs/promises";
import type { Database } from "@cxr/db";
import { selectTextWithSource, TEXT_FIELDS, type TextField, type TextSource } from "@cxr/eval";
import type { Payload } from "@cxr/store";

/**
 * The items of one dataset and modality, read from the database in a stable order (by row id), a
 * page at a time, with everything a vector point needs: a stable key (its point id derives from it),
 * the payload, and a way to load the bytes or text to encode.
 */

export type Modality = "images" | "reports";
export const MODALITIES: readonly Modality[] = ["images", "reports"];

/** Payload fields every point carries that filters may use (declared as the collection's keyword fields). */
export const INDEXED_FIELDS = [
  "dataset",
  "split",
  "view",
  "studyId",
  "modality",
  "imageId",
  "reportId",
  "modelFingerprint",
] as const;
export type IndexedField = (typeof INDEXED_FIELDS)[number];

export type ItemsDb = Pick<Database, "prisma">;

export interface IndexItem {
  /** The database row id (Image.id or Report.id): the order and the cursor. */
  id: string;
  /** Stable across re-ingests: dataset name and external ids. The point id is `pointId(key)`. */
  key: string;
  /** For failure reports: the source's ids, never content. */
  label: string;
  payload: Payload;
}

export interface ImageItem extends IndexItem {
  path: string;
}

export interface ReportItem extends IndexItem {
  /** The text the report is encoded from; empty when the report has none. */
  text: string;
  /** Which field the text came from. */
  textField: TextSource | "none";
}

export interface DatasetRef {
  id: string;
  name: string;
}

/** Point key of an image: dataset name, study and image external ids. */
export function imageKey(dataset: string, studyExternalId: string, imageExternalId: string): string {
  return `${dataset}/images/${studyExternalId}/${imageExternalId}`;
}

/** Point key of a report: dataset name and the study's external id (one report per study). */
export function reportKey(dataset: string, studyExternalId: string): string {
  return `${dataset}/reports/${studyExternalId}`;
}

/**
 * Which report text is encoded: the one text-field vocabulary of `cxr index` and `cxr bench`
 * (@cxr/eval's TEXT_FIELDS; table in packages/eval/README.md, "Text fields").
 */
export type ReportTextField = TextField;
export const REPORT_TEXT_FIELDS: readonly ReportTextField[] = TEXT_FIELDS;

/**
 * The text a report is indexed with: exactly the text the benchmark uses for the same field
 * (whitespace-normalised; section fields fall back to the other section, never to the full text),
 * so an index and a benchmark built with one field see the same texts. Empty when the report has
 * no text for the field.
 */
export function reportText(
  report: { impression: string | null; findings: string | null; fullText: string },
  field: ReportTextField = "impression",
): {
  text: string;
  textField: ReportItem["textField"];
} {
  const selected = selectTextWithSource(report, field);
  return selected === null
    ? { text: "", textField: "none" }
    : { text: selected.text, textField: selected.source };
}

export function countItems(db: ItemsDb, dataset: DatasetRef, modality: Modality): Promise<number> {
  return modality === "images"
    ? db.prisma.image.count({ where: { study: { datasetId: dataset.id } } })
    : db.prisma.report.count({ where: { study: { datasetId: dataset.id } } });
}

/** The id condition of a page: id > after (when given) and id <= upTo (when given: a shard's end). */
function idRange(after: string | null, upTo: string | null) {
  if (after === null && upTo === null) return {};
  return {
    id: { ...(after === null ? {} : { gt: after }), ...(upTo === null ? {} : { lte: upTo }) },
  };
}

/** Every item id of a dataset and modality in the stable order (ids only: a shard plan). */
export async function itemIds(db: ItemsDb, dataset: DatasetRef, modality: Modality, after: string | null) {
  const where = { study: { datasetId: dataset.id }, ...idRange(after, null) };
  const rows =
    modality === "images"
      ? await db.prisma.image.findMany({ where, orderBy: { id: "asc" }, select: { id: true } })
      : await db.prisma.report.findMany({ where, orderBy: { id: "asc" }, select: { id: true } });
  return rows.map((r) => r.id);
}

/** Items with id > `after` (all when null) and <= `upTo` (when given), ascending by id, at most `limit`. */
export async function pageImages(
  db: ItemsDb,
  dataset: DatasetRef,
  after: string | null,
  limit: number,
  upTo: string | null = null,
): Promise<ImageItem[]> {
  const rows = await db.prisma.image.findMany({
    where: { study: { datasetId: dataset.id }, ...idRange(after, upTo) },
    orderBy: { id: "asc" },
    take: limit,
    include: { study: { select: { id: true, externalId: true, split: { select: { name: true } } } } },
  });
  return rows.map((row) => {
    const payload: Payload = {
      dataset: dataset.name,
      split: row.study.split.name,
      studyId: row.study.id,
      studyExternalId: row.study.externalId,
      modality: "images",
      imageId: row.id,
      imageExternalId: row.externalId,
    };
    if (row.view !== null && row.view !== "") payload.view = row.view;
    return {
      id: row.id,
      key: imageKey(dataset.name, row.study.externalId, row.externalId),
      label: `${row.study.externalId}/${row.externalId}`,
      payload,
      path: row.path,
    };
  });
}

export async function pageReports(
  db: ItemsDb,
  dataset: DatasetRef,
  after: string | null,
  limit: number,
  field: ReportTextField = "impression",
  upTo: string | null = null,
): Promise<ReportItem[]> {
  const rows = await db.prisma.report.findMany({
    where: { study: { datasetId: dataset.id }, ...idRange(after, upTo) },
    orderBy: { id: "asc" },
    take: limit,
    include: { study: { select: { id: true, externalId: true, split: { select: { name: true } } } } },
  });
  return rows.map((row) => {
    const { text, textField } = reportText(row, field);
    return {
      id: row.id,
      key: reportKey(dataset.name, row.study.externalId),
      label: row.study.externalId,
      payload: {
        dataset: dataset.name,
        split: row.study.split.name,
        studyId: row.study.id,
        studyExternalId: row.study.externalId,
        modality: "reports",
        reportId: row.id,
        textField,
      },
      text,
      textField,
    };
  });
}

/** Reads an image file; a missing or unreadable file is the item's failure, not the job's. */
export async function readImageFile(
  path: string,
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; reason: string }> {
  try {
    return { ok: true, bytes: await readFile(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    return {
      ok: false,
      reason: `FILE_UNREADABLE: ${code === "ENOENT" ? "the image file is missing" : code}`,
    };
  }
}
