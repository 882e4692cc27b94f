import type { Database } from "@cxr/db";
import { CatalogError } from "./errors.ts";

export { CatalogError, type CatalogErrorCode, isCatalogError } from "./errors.ts";

/**
 * Datasets as the API shows them: datasets with their splits, studies a page at a time (keyset
 * paging on the study id, stable while rows are added), one study with its report and images.
 */

type Db = Pick<Database, "prisma">;

export interface DatasetSummary {
  id: string;
  name: string;
  adapter: string;
  status: string;
  fingerprint: string | null;
  createdAt: Date;
  updatedAt: Date;
  studyCount: number;
  imageCount: number;
  splits: SplitSummary[];
}

export interface SplitSummary {
  id: string;
  name: string;
  fingerprint: string | null;
  studyCount: number;
  imageCount: number;
}

export interface StudyRecord {
  id: string;
  datasetId: string;
  externalId: string;
  split: string;
  report: { id: string; findings: string | null; impression: string | null; fullText: string } | null;
  images: ImageRecord[];
}

export interface ImageRecord {
  id: string;
  studyId: string;
  externalId: string;
  view: string | null;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
}

export interface StudyPage {
  studies: StudyRecord[];
  hasNextPage: boolean;
  totalCount: number;
}

/** Most studies one page holds. */
export const MAX_STUDY_PAGE = 100;

const STUDY_INCLUDE = {
  split: { select: { name: true } },
  report: { select: { id: true, findings: true, impression: true, fullText: true } },
  images: {
    select: {
      id: true,
      studyId: true,
      externalId: true,
      view: true,
      width: true,
      height: true,
      bytes: true,
      sha256: true,
    },
    orderBy: { externalId: "asc" as const },
  },
};

export async function listDatasetSummaries(db: Db): Promise<DatasetSummary[]> {
  const rows = await db.prisma.dataset.findMany({ orderBy: { name: "asc" }, select: { id: true } });
  return Promise.all(rows.map((r) => getDataset(db, r.id)));
}

/** One dataset by id or by name. */
export async function getDataset(db: Db, idOrName: string): Promise<DatasetSummary> {
  const row =
    (await db.prisma.dataset.findUnique({ where: { id: idOrName } })) ??
    (await db.prisma.dataset.findUnique({ where: { name: idOrName } }));
  if (row === null) throw new CatalogError("UNKNOWN_DATASET", `no dataset "${idOrName}"`);
  const splits = await db.prisma.split.findMany({ where: { datasetId: row.id }, orderBy: { name: "asc" } });
  // Split counts are written at the end of an ingest; count the rows so a fresh dataset is right too.
  const splitCounts = await Promise.all(
    splits.map(async (s) => ({
      studies: await db.prisma.study.count({ where: { splitId: s.id } }),
      images: await db.prisma.image.count({ where: { study: { splitId: s.id } } }),
    })),
  );
  return {
    id: row.id,
    name: row.name,
    adapter: row.adapter,
    status: row.status,
    fingerprint: row.fingerprint,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    studyCount: splitCounts.reduce((n, c) => n + c.studies, 0),
    imageCount: splitCounts.reduce((n, c) => n + c.images, 0),
    splits: splits.map((s, i) => ({
      id: s.id,
      name: s.name,
      fingerprint: s.fingerprint,
      studyCount: splitCounts[i]!.studies,
      imageCount: splitCounts[i]!.images,
    })),
  };
}

/** Studies of a dataset (optionally one split) in id order, `first` after the study id `after`. */
export async function listStudies(
  db: Db,
  options: { dataset: string; split?: string; first: number; after?: string | null },
): Promise<StudyPage> {
  const { first } = options;
  if (!Number.isInteger(first) || first < 1 || first > MAX_STUDY_PAGE) {
    throw new CatalogError("INVALID_ARGUMENT", `a page holds 1..${MAX_STUDY_PAGE} studies, got ${first}`);
  }
  const dataset = await getDataset(db, options.dataset);
  const where = {
    datasetId: dataset.id,
    ...(options.split === undefined ? {} : { split: { name: options.split } }),
  };
  const rows = await db.prisma.study.findMany({
    where: { ...where, ...(options.after ? { id: { gt: options.after } } : {}) },
    orderBy: { id: "asc" },
    take: first + 1,
    include: STUDY_INCLUDE,
  });
  return {
    studies: rows.slice(0, first).map(toStudy),
    hasNextPage: rows.length > first,
    totalCount: await db.prisma.study.count({ where }),
  };
}

export async function getStudy(db: Db, id: string): Promise<StudyRecord> {
  const row = await db.prisma.study.findUnique({ where: { id }, include: STUDY_INCLUDE });
  if (row === null) throw new CatalogError("UNKNOWN_STUDY", `no study "${id}"`);
  return toStudy(row);
}

export async function getImage(db: Db, id: string): Promise<ImageRecord> {
  const row = await db.prisma.image.findUnique({ where: { id }, select: STUDY_INCLUDE.images.select });
  if (row === null) throw new CatalogError("UNKNOWN_IMAGE", `no image "${id}"`);
  return row;
}

type StudyRow = {
  id: string;
  datasetId: string;
  externalId: string;
  split: { name: string };
  report: StudyRecord["report"];
  images: ImageRecord[];
};

function toStudy(row: StudyRow): StudyRecord {
  return {
    id: row.id,
    datasetId: row.datasetId,
    externalId: row.externalId,
    split: row.split.name,
    report: row.report,
    images: row.images,
  };
}
