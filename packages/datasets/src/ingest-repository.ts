import type { Db } from "@cxr/db";

/**
 * What an ingest reads and writes, and nothing else: the recipe in ingest.ts calls these steps,
 * `prismaIngestRepository` runs them on the database (SQLite or PostgreSQL, tested by the
 * integration tier), and a unit test runs the same recipe on an in-memory implementation.
 * Rows carry ids, hashes and counts; report text only travels from the source to `createStudy` and
 * `updateStudy`.
 */

export interface StoredDataset {
  id: string;
  adapter: string;
  sourcePath: string;
}

export interface ImageData {
  externalId: string;
  path: string;
  view: string | null;
  sha256: string;
  width: number;
  height: number;
  bytes: number;
}

export interface ReportData {
  fullText: string;
  findings: string | null;
  impression: string | null;
  sha256: string;
}

/** A stored study as an update compares it with the source. */
export interface StoredStudy {
  id: string;
  patientId: string | null;
  labelsJson: string | null;
  splitName: string;
  report: { sha256: string; findings: string | null; impression: string | null } | null;
  images: (ImageData & { id: string })[];
}

export interface NewStudy {
  splitId: string;
  externalId: string;
  patientId: string | null;
  labelsJson: string | null;
  images: ImageData[];
  report: ReportData;
}

export interface StudyUpdate {
  splitId: string;
  patientId: string | null;
  labelsJson: string | null;
  report: ReportData;
  /** Image row ids to delete, images to add, and rows to overwrite. */
  removeImages: string[];
  addImages: ImageData[];
  changeImages: { id: string; data: ImageData }[];
}

/** What of a stored study enters the fingerprint (see `studyHash`). */
export interface StudyIdentityRow {
  id: string;
  externalId: string;
  patientId: string | null;
  images: { externalId: string; sha256: string; view: string | null }[];
  report: { sha256: string; findings: string | null; impression: string | null } | null;
}

export interface IngestRepository {
  findDataset(name: string): Promise<StoredDataset | null>;
  /** Creates the dataset, or marks the existing one, as "ingesting". */
  startDataset(
    name: string,
    adapter: string,
    sourcePath: string,
    existing: StoredDataset | null,
  ): Promise<string>;
  studyExternalIds(datasetId: string): Promise<string[]>;
  /** Splits by name (ordered by name). */
  splits(datasetId: string): Promise<{ id: string; name: string }[]>;
  /** The split's id, created when missing. */
  ensureSplit(datasetId: string, name: string): Promise<string>;
  findStudy(datasetId: string, externalId: string): Promise<StoredStudy | null>;
  /** Writes the study with its images and report at once; false when another run wrote it meanwhile. */
  createStudy(datasetId: string, study: NewStudy): Promise<boolean>;
  /** Brings a stored study in line, at once (one transaction). */
  updateStudy(studyId: string, update: StudyUpdate): Promise<void>;
  /** A page of a split's studies, by id, after `cursor`. */
  studyPage(splitId: string, cursor: string | undefined, take: number): Promise<StudyIdentityRow[]>;
  updateSplit(
    splitId: string,
    counts: { fingerprint: string; studies: number; images: number },
  ): Promise<void>;
  finishDataset(
    datasetId: string,
    outcome: { status: string; fingerprint: string | null; summaryJson: string },
  ): Promise<void>;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** The repository on the product's database. */
export function prismaIngestRepository(db: Db): IngestRepository {
  return {
    findDataset: (name) =>
      db.dataset.findUnique({ where: { name }, select: { id: true, adapter: true, sourcePath: true } }),
    async startDataset(name, adapter, sourcePath, existing) {
      const row = existing
        ? await db.dataset.update({ where: { id: existing.id }, data: { status: "ingesting" } })
        : await db.dataset.create({ data: { name, adapter, sourcePath, status: "ingesting" } });
      return row.id;
    },
    async studyExternalIds(datasetId) {
      const rows = await db.study.findMany({ where: { datasetId }, select: { externalId: true } });
      return rows.map((r) => r.externalId);
    },
    splits: (datasetId) =>
      db.split.findMany({ where: { datasetId }, orderBy: { name: "asc" }, select: { id: true, name: true } }),
    async ensureSplit(datasetId, name) {
      const split = await db.split.upsert({
        where: { datasetId_name: { datasetId, name } },
        create: { datasetId, name },
        update: {},
      });
      return split.id;
    },
    async findStudy(datasetId, externalId) {
      const stored = await db.study.findUnique({
        where: { datasetId_externalId: { datasetId, externalId } },
        include: { images: true, report: true, split: { select: { name: true } } },
      });
      if (stored === null) return null;
      return {
        id: stored.id,
        patientId: stored.patientId,
        labelsJson: stored.labelsJson,
        splitName: stored.split.name,
        report: stored.report,
        images: stored.images,
      };
    },
    async createStudy(datasetId, study) {
      try {
        await db.study.create({
          data: {
            datasetId,
            splitId: study.splitId,
            externalId: study.externalId,
            patientId: study.patientId,
            labelsJson: study.labelsJson,
            images: { create: study.images },
            report: { create: study.report },
          },
        });
        return true;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        return false;
      }
    },
    async updateStudy(studyId, update) {
      await db.study.update({
        where: { id: studyId },
        data: {
          splitId: update.splitId,
          patientId: update.patientId,
          labelsJson: update.labelsJson,
          report: { upsert: { create: update.report, update: update.report } },
          images: {
            deleteMany: { id: { in: update.removeImages } },
            create: update.addImages,
            update: update.changeImages.map(({ id, data }) => ({ where: { id }, data })),
          },
        },
      });
    },
    studyPage: (splitId, cursor, take) =>
      db.study.findMany({
        where: { splitId, ...(cursor === undefined ? {} : { id: { gt: cursor } }) },
        orderBy: { id: "asc" },
        take,
        select: {
          id: true,
          externalId: true,
          patientId: true,
          images: { select: { externalId: true, sha256: true, view: true } },
          report: { select: { sha256: true, findings: true, impression: true } },
        },
      }),
    async updateSplit(splitId, { fingerprint, studies, images }) {
      await db.split.update({
        where: { id: splitId },
        data: { fingerprint, studyCount: studies, imageCount: images },
      });
    },
    async finishDataset(datasetId, outcome) {
      await db.dataset.update({ where: { id: datasetId }, data: outcome });
    },
  };
}
