import { randomUUID } from "node:crypto";
import type {
  ImageData,
  IngestRepository,
  NewStudy,
  ReportData,
  StoredDataset,
  StudyIdentityRow,
} from "../../src/ingest-repository.ts";

/**
 * An in-memory IngestRepository: our own interface, implemented on Maps, so that the unit tier runs
 * the ingest recipe without a database. The Prisma implementation is tested by the integration tier.
 */

interface MemoryStudy {
  id: string;
  datasetId: string;
  splitId: string;
  externalId: string;
  patientId: string | null;
  labelsJson: string | null;
  images: (ImageData & { id: string })[];
  report: ReportData;
}

export class MemoryIngestRepository implements IngestRepository {
  readonly datasets = new Map<
    string,
    StoredDataset & { name: string; status: string; fingerprint: string | null; summaryJson: string | null }
  >();
  readonly splitRows = new Map<
    string,
    {
      id: string;
      datasetId: string;
      name: string;
      fingerprint: string | null;
      studies: number;
      images: number;
    }
  >();
  readonly studies = new Map<string, MemoryStudy>();

  async findDataset(name: string) {
    const d = [...this.datasets.values()].find((x) => x.name === name);
    return d ? { id: d.id, adapter: d.adapter, sourcePath: d.sourcePath } : null;
  }

  async startDataset(name: string, adapter: string, sourcePath: string, existing: StoredDataset | null) {
    if (existing) {
      this.datasets.get(existing.id)!.status = "ingesting";
      return existing.id;
    }
    const id = randomUUID();
    this.datasets.set(id, {
      id,
      name,
      adapter,
      sourcePath,
      status: "ingesting",
      fingerprint: null,
      summaryJson: null,
    });
    return id;
  }

  async studyExternalIds(datasetId: string) {
    return [...this.studies.values()].filter((s) => s.datasetId === datasetId).map((s) => s.externalId);
  }

  async splits(datasetId: string) {
    return [...this.splitRows.values()]
      .filter((s) => s.datasetId === datasetId)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map(({ id, name }) => ({ id, name }));
  }

  async ensureSplit(datasetId: string, name: string) {
    const found = [...this.splitRows.values()].find((s) => s.datasetId === datasetId && s.name === name);
    if (found) return found.id;
    const id = randomUUID();
    this.splitRows.set(id, { id, datasetId, name, fingerprint: null, studies: 0, images: 0 });
    return id;
  }

  async findStudy(datasetId: string, externalId: string) {
    const s = [...this.studies.values()].find(
      (x) => x.datasetId === datasetId && x.externalId === externalId,
    );
    if (!s) return null;
    return {
      id: s.id,
      patientId: s.patientId,
      labelsJson: s.labelsJson,
      splitName: this.splitRows.get(s.splitId)!.name,
      report: { sha256: s.report.sha256, findings: s.report.findings, impression: s.report.impression },
      images: s.images.map((i) => ({ ...i })),
    };
  }

  async createStudy(datasetId: string, study: NewStudy) {
    if (
      [...this.studies.values()].some((s) => s.datasetId === datasetId && s.externalId === study.externalId)
    )
      return false;
    const id = randomUUID();
    this.studies.set(id, {
      id,
      datasetId,
      splitId: study.splitId,
      externalId: study.externalId,
      patientId: study.patientId,
      labelsJson: study.labelsJson,
      images: study.images.map((i) => ({ ...i, id: randomUUID() })),
      report: { ...study.report },
    });
    return true;
  }

  async updateStudy(studyId: string, update: Parameters<IngestRepository["updateStudy"]>[1]) {
    const s = this.studies.get(studyId)!;
    s.splitId = update.splitId;
    s.patientId = update.patientId;
    s.labelsJson = update.labelsJson;
    s.report = { ...update.report };
    s.images = s.images
      .filter((i) => !update.removeImages.includes(i.id))
      .map((i) => {
        const changed = update.changeImages.find((c) => c.id === i.id);
        return changed ? { ...changed.data, id: i.id } : i;
      })
      .concat(update.addImages.map((i) => ({ ...i, id: randomUUID() })));
  }

  async studyPage(splitId: string, cursor: string | undefined, take: number): Promise<StudyIdentityRow[]> {
    return [...this.studies.values()]
      .filter((s) => s.splitId === splitId && (cursor === undefined || s.id > cursor))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, take)
      .map((s) => ({
        id: s.id,
        externalId: s.externalId,
        patientId: s.patientId,
        images: s.images.map(({ externalId, sha256, view }) => ({ externalId, sha256, view })),
        report: { sha256: s.report.sha256, findings: s.report.findings, impression: s.report.impression },
      }));
  }

  async updateSplit(splitId: string, counts: { fingerprint: string; studies: number; images: number }) {
    Object.assign(this.splitRows.get(splitId)!, counts);
  }

  async finishDataset(
    datasetId: string,
    outcome: { status: string; fingerprint: string | null; summaryJson: string },
  ) {
    Object.assign(this.datasets.get(datasetId)!, outcome);
  }
}
