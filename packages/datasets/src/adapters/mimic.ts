import { readFile } from "node:fs/promises";
import path from "node:path";
import { DatasetError, decodeUtf8, isDirectory, isFile, readCsv } from "../io.ts";
import { parseReport } from "../sections.ts";
import { type AdapterEvent, type DatasetSource, type Labels, skip } from "../types.ts";
import { groupRows, type ImageCandidate, resolveImages, SeenIds } from "./common.ts";

/**
 * MIMIC-CXR-JPG 2.x as PhysioNet ships it:
 *   <root>/mimic-cxr-2.0.0-split.csv.gz      dicom_id, study_id, subject_id, split
 *   <root>/mimic-cxr-2.0.0-metadata.csv.gz   dicom_id, ..., ViewPosition
 *   <root>/mimic-cxr-2.0.0-chexpert.csv.gz   subject_id, study_id, 14 CheXpert labels (1, 0, -1, blank)
 *   <root>/files/p10/p10000032/s50414267/<dicom_id>.jpg
 * and the free-text reports of MIMIC-CXR (mimic-cxr-reports.zip):
 *   <reports>/files/p10/p10000032/s50414267.txt   (reports: <root>/mimic-cxr-reports by default,
 *   else the .txt files next to the study folders under <root>/files)
 * Study ids are "s<study_id>", patient ids "p<subject_id>"; splits keep MIMIC's names
 * (train, validate, test). Plain .csv files are accepted where the .csv.gz are absent.
 */
export interface MimicOptions {
  /** Folder holding files/pXX/pNNNNNNNN/sNNNNNNNN.txt; default: see above. */
  reportsDir?: string;
  /** Keep studies whose images are all absent (text only). Default false. */
  textOnly?: boolean;
}

async function table(root: string, name: string): Promise<string | undefined> {
  for (const candidate of [`${name}.csv.gz`, `${name}.csv`]) {
    const file = path.join(root, candidate);
    if (await isFile(file)) return file;
  }
  return undefined;
}

function labelValue(raw: string): number | null {
  if (raw.trim() === "") return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

export function mimicCxrJpg(rootArg: string, options: MimicOptions = {}): DatasetSource {
  const root = path.resolve(rootArg);
  let total: number | undefined;

  async function reportsDir(): Promise<string> {
    if (options.reportsDir) return path.resolve(options.reportsDir);
    for (const candidate of [path.join(root, "mimic-cxr-reports"), root]) {
      if (await isDirectory(path.join(candidate, "files"))) return candidate;
    }
    return root;
  }

  async function* events(): AsyncGenerator<AdapterEvent> {
    const splitFile = await table(root, "mimic-cxr-2.0.0-split");
    if (!splitFile)
      throw new DatasetError("SOURCE_NOT_FOUND", `mimic-cxr-2.0.0-split.csv.gz not found in ${root}`);
    const metadataFile = await table(root, "mimic-cxr-2.0.0-metadata");
    const chexpertFile = await table(root, "mimic-cxr-2.0.0-chexpert");
    const reports = await reportsDir();

    const views = new Map<string, string>();
    if (metadataFile) {
      for await (const item of readCsv(metadataFile, { required: ["dicom_id", "ViewPosition"] })) {
        if (item.ok) views.set(item.row.dicom_id!, item.row.ViewPosition!.trim());
        else yield skip("record", `${path.basename(metadataFile)}:${item.line}`, item.reason, item.detail);
      }
    }
    const labels = new Map<string, Labels>();
    if (chexpertFile) {
      for await (const item of readCsv(chexpertFile, { required: ["study_id"] })) {
        if (!item.ok) {
          yield skip("record", `${path.basename(chexpertFile)}:${item.line}`, item.reason, item.detail);
          continue;
        }
        const studyLabels: Labels = {};
        for (const [name, raw] of Object.entries(item.row)) {
          if (name !== "subject_id" && name !== "study_id") studyLabels[name] = labelValue(raw);
        }
        labels.set(item.row.study_id!, studyLabels);
      }
    }

    const seen = new SeenIds();
    const splitName = path.basename(splitFile);
    const required = ["dicom_id", "study_id", "subject_id", "split"];
    const groups = groupRows(
      () => readCsv(splitFile, { required }),
      (item) => (item.ok ? item.row.study_id : undefined),
    );
    for await (const group of groups) {
      if (group.key === undefined) {
        const item = group.item;
        if (!item.ok) yield skip("record", `${splitName}:${item.line}`, item.reason, item.detail);
        continue;
      }
      const rows = group.items.flatMap((i) => (i.ok ? [i.row] : []));
      const first = rows[0]!;
      const studyNumber = group.key.trim();
      const subject = first.subject_id!.trim();
      const externalId = `s${studyNumber}`;
      if (!/^\d+$/.test(studyNumber) || !/^\d+$/.test(subject)) {
        yield skip("study", externalId, "malformed-record", `study_id or subject_id is not a number`);
        continue;
      }
      const splits = new Set(rows.map((r) => r.split!.trim()));
      if (splits.size !== 1 || first.split!.trim() === "") {
        yield skip("study", externalId, "no-split", `rows give ${splits.size} different splits`);
        continue;
      }
      const duplicate = seen.check(externalId, splitName);
      if (duplicate) {
        yield duplicate;
        continue;
      }
      const studyDir = path.join("files", `p${subject.slice(0, 2)}`, `p${subject}`, externalId);
      const candidates: ImageCandidate[] = rows.map((r) => ({
        externalId: r.dicom_id!.trim(),
        paths: [path.join(studyDir, `${r.dicom_id!.trim()}.jpg`)],
        view: views.get(r.dicom_id!) || null,
      }));
      const { images, skips } = await resolveImages(root, externalId, candidates);
      yield* skips;
      if (images.length === 0 && !options.textOnly) {
        yield skip("study", externalId, "no-images", `none of the study's ${rows.length} images is usable`);
        continue;
      }
      const reportFile = path.join(
        reports,
        "files",
        `p${subject.slice(0, 2)}`,
        `p${subject}`,
        `${externalId}.txt`,
      );
      let bytes: Buffer;
      try {
        bytes = await readFile(reportFile);
      } catch {
        yield skip(
          "study",
          externalId,
          "missing-file",
          `report not found: ${path.relative(root, reportFile)}`,
        );
        continue;
      }
      const text = decodeUtf8(bytes);
      if (text === undefined) {
        yield skip("study", externalId, "non-utf8", `report ${externalId}.txt is not valid UTF-8`);
        continue;
      }
      if (text.trim() === "") {
        yield skip("study", externalId, "empty-report", `report ${externalId}.txt is empty`);
        continue;
      }
      const { findings, impression } = parseReport(text);
      yield {
        type: "study",
        study: {
          externalId,
          split: first.split!.trim(),
          patientId: `p${subject}`,
          labels: labels.get(studyNumber),
          images,
          report: { fullText: text, findings, impression },
        },
      };
    }
  }

  return {
    adapter: "mimic-cxr-jpg",
    root,
    async estimateTotal() {
      if (total !== undefined) return total;
      const splitFile = await table(root, "mimic-cxr-2.0.0-split");
      if (!splitFile) return undefined;
      const ids = new Set<string>();
      for await (const item of readCsv(splitFile))
        if (item.ok && item.row.study_id) ids.add(item.row.study_id);
      total = ids.size;
      return total;
    },
    events,
  };
}
