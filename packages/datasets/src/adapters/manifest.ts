import path from "node:path";
import { DatasetError, isDirectory, isFile, readCsv, readLines } from "../io.ts";
import { type AdapterEvent, type DatasetSource, type Labels, type LabelValue, skip } from "../types.ts";
import { groupRows, type ImageCandidate, pick, reportFromParts, resolveImages, SeenIds } from "./common.ts";

/**
 * The generic manifest: manifest.jsonl (one JSON object a line) or manifest.csv, in the dataset
 * root; image paths are relative to the manifest's folder and must stay inside it.
 *
 * Fields (first match wins; CSV headers are matched the same way):
 *   study id   study_id | studyId | study | id        (absent: every row is a study of its own)
 *   image      image | image_path | imagePath | path | file, or (JSONL) images: [path | {path, view, id}]
 *   report     report | report_text | text | full_text | fullText, and/or findings, impression
 *   split      split (default "test")
 *   view       view | view_position | ViewPosition | projection
 *   patient    patient_id | patientId | patientid | subject_id
 *   labels     labels: an object (JSONL) or a JSON object in a CSV cell
 * Several rows may share a study id (one row per image); they must agree on the report and split.
 * The synthetic set (`synthesize`) is written in this layout.
 */
export interface ManifestOptions {
  defaultSplit?: string;
}

const STUDY = ["study_id", "studyId", "study", "id"];
const IMAGE = ["image", "image_path", "imagePath", "path", "file"];
const REPORT = ["report", "report_text", "text", "full_text", "fullText"];
const VIEW = ["view", "view_position", "ViewPosition", "projection"];
const PATIENT = ["patient_id", "patientId", "patientid", "subject_id"];

interface Row {
  where: string;
  studyId: string;
  split: string;
  patientId: string | undefined;
  images: ImageCandidate[];
  reportText: string | undefined;
  findings: string | undefined;
  impression: string | undefined;
  labels: Labels | undefined;
}

type RowItem =
  | { ok: true; row: Row }
  | { ok: false; where: string; reason: "malformed-record" | "non-utf8"; detail: string };

/** Like pick, but the text as written (a full report keeps its line breaks and trailing newline). */
function pickRaw(record: Record<string, unknown>, names: string[]): string | undefined {
  for (const name of names) {
    const value = record[name];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export async function findManifest(target: string): Promise<string> {
  const full = path.resolve(target);
  if (await isFile(full)) return full;
  if (await isDirectory(full)) {
    for (const name of ["manifest.jsonl", "manifest.csv"]) {
      if (await isFile(path.join(full, name))) return path.join(full, name);
    }
    throw new DatasetError("SOURCE_NOT_FOUND", `no manifest.jsonl or manifest.csv in ${full}`);
  }
  throw new DatasetError("SOURCE_NOT_FOUND", `manifest not found: ${full}`);
}

function toRow(record: Record<string, unknown>, where: string, defaultSplit: string): Row | string {
  const view = pick(record, VIEW) ?? null;
  const images: ImageCandidate[] = [];
  const single = pick(record, IMAGE);
  if (single) images.push({ externalId: single, paths: [single], view });
  if (Array.isArray(record.images)) {
    for (const entry of record.images) {
      if (typeof entry === "string" && entry.trim()) {
        images.push({ externalId: entry.trim(), paths: [entry.trim()], view });
      } else if (isObject(entry)) {
        const p = pick(entry, IMAGE);
        if (!p) return "an images entry has no path";
        images.push({
          externalId: pick(entry, ["id", "image_id", "dicom_id"]) ?? p,
          paths: [p],
          view: pick(entry, VIEW) ?? view,
        });
      } else return "images must be a list of paths or {path, view} objects";
    }
  }
  let labels: Labels | undefined;
  const rawLabels = record.labels;
  if (isObject(rawLabels)) labels = rawLabels as Labels;
  else if (typeof rawLabels === "string" && rawLabels.trim() !== "") {
    try {
      const parsed: unknown = JSON.parse(rawLabels);
      if (!isObject(parsed)) return "labels is not a JSON object";
      labels = parsed as Record<string, LabelValue>;
    } catch {
      return "labels is not valid JSON";
    }
  }
  const studyId = pick(record, STUDY) ?? images[0]?.externalId;
  if (!studyId) return "the row names no study id and no image";
  return {
    where,
    studyId,
    split: pick(record, ["split"]) ?? defaultSplit,
    patientId: pick(record, PATIENT),
    images,
    reportText: pickRaw(record, REPORT),
    findings: pick(record, ["findings"]),
    impression: pick(record, ["impression"]),
    labels,
  };
}

export function manifest(target: string, options: ManifestOptions = {}): DatasetSource {
  const defaultSplit = options.defaultSplit ?? "test";
  let file: string | undefined;
  const root = path.resolve(
    target.endsWith(".jsonl") || target.endsWith(".csv") ? path.dirname(target) : target,
  );

  async function* rows(): AsyncGenerator<RowItem> {
    file ??= await findManifest(target);
    const name = path.basename(file);
    if (/\.csv(\.gz)?$/i.test(file)) {
      for await (const item of readCsv(file)) {
        const where = `${name}:${item.line}`;
        if (!item.ok) {
          yield {
            ok: false,
            where,
            reason: item.reason === "non-utf8" ? "non-utf8" : "malformed-record",
            detail: item.detail,
          };
          continue;
        }
        const row = toRow(item.row, where, defaultSplit);
        if (typeof row === "string")
          yield { ok: false, where, reason: "malformed-record", detail: `${where}: ${row}` };
        else yield { ok: true, row };
      }
      return;
    }
    for await (const line of readLines(file)) {
      const where = `${name}:${line.line}`;
      if (!line.ok) {
        yield { ok: false, where, reason: "non-utf8", detail: `${where} is not valid UTF-8` };
        continue;
      }
      if (line.text.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.text);
      } catch {
        yield { ok: false, where, reason: "malformed-record", detail: `${where} is not valid JSON` };
        continue;
      }
      if (!isObject(parsed)) {
        yield { ok: false, where, reason: "malformed-record", detail: `${where} is not a JSON object` };
        continue;
      }
      const row = toRow(parsed, where, defaultSplit);
      if (typeof row === "string")
        yield { ok: false, where, reason: "malformed-record", detail: `${where}: ${row}` };
      else yield { ok: true, row };
    }
  }

  async function* events(): AsyncGenerator<AdapterEvent> {
    const seen = new SeenIds();
    for await (const group of groupRows(rows, (item) => (item.ok ? item.row.studyId : undefined))) {
      if (group.key === undefined) {
        const item = group.item;
        if (!item.ok) yield skip("record", item.where, item.reason, item.detail);
        continue;
      }
      const all = group.items.flatMap((i) => (i.ok ? [i.row] : []));
      const first = all[0]!;
      const duplicate = seen.check(first.studyId, first.where);
      if (duplicate) {
        yield duplicate;
        continue;
      }
      const rowsOfStudy: Row[] = [first];
      for (const row of all.slice(1)) {
        const agrees =
          row.split === first.split &&
          (row.reportText ?? first.reportText) === first.reportText &&
          (row.findings ?? first.findings) === first.findings &&
          (row.impression ?? first.impression) === first.impression;
        if (agrees) rowsOfStudy.push(row);
        else {
          yield skip(
            "study",
            first.studyId,
            "duplicate-id",
            `${row.where} repeats study id ${first.studyId} with a different report or split; the first is kept`,
          );
        }
      }
      const candidates = rowsOfStudy.flatMap((r) => r.images);
      const { images, skips } = await resolveImages(root, first.studyId, candidates);
      yield* skips;
      if (candidates.length > 0 && images.length === 0) {
        yield skip(
          "study",
          first.studyId,
          "no-images",
          `none of the study's ${candidates.length} images is usable`,
        );
        continue;
      }
      const report = reportFromParts({
        fullText: first.reportText,
        sections: [
          ["FINDINGS", first.findings],
          ["IMPRESSION", first.impression],
        ],
        findings: first.findings,
        impression: first.impression,
      });
      if (report.fullText.trim() === "") {
        yield skip("study", first.studyId, "empty-report", `${first.where} has no report text`);
        continue;
      }
      yield {
        type: "study",
        study: {
          externalId: first.studyId,
          split: first.split,
          patientId: first.patientId,
          labels: first.labels,
          images,
          report,
        },
      };
    }
  }

  return {
    adapter: "manifest",
    root,
    async estimateTotal() {
      try {
        const ids = new Set<string>();
        for await (const item of rows()) if (item.ok) ids.add(item.row.studyId);
        return ids.size;
      } catch {
        return undefined;
      }
    },
    events,
  };
}
