/**
 * The common model every adapter produces: a dataset is a stream of studies, each with its split,
 * its images (absolute paths inside the dataset root) and its report. Adapters never throw for a
 * bad item: they yield a `skip` event with a reason and go on.
 */

export type LabelValue = string | number | boolean | null | LabelValue[] | { [key: string]: LabelValue };
export type Labels = Record<string, LabelValue>;

export interface ImageRecord {
  /** The image's id in its source (MIMIC dicom_id, IU file name, manifest path). */
  externalId: string;
  /** Absolute path, checked to lie inside the dataset root. */
  path: string;
  /** PA, AP, LATERAL, LL, ... as the source gives it; null when unknown. */
  view: string | null;
}

export interface ReportRecord {
  /** The report as the source holds it (a composed text for sources that only keep sections). */
  fullText: string;
  findings: string | null;
  impression: string | null;
}

export interface StudyRecord {
  externalId: string;
  split: string;
  patientId?: string | undefined;
  labels?: Labels | undefined;
  images: ImageRecord[];
  report: ReportRecord;
}

/** Why an item was not taken; stable strings, counted in ingest summaries. */
export type SkipReason =
  | "malformed-record"
  | "missing-column"
  | "non-utf8"
  | "missing-file"
  | "undecodable-image"
  | "empty-report"
  | "duplicate-id"
  | "path-outside-root"
  | "link-outside-root"
  | "no-split"
  | "no-images"
  /** Written by ingests before re-ingest updated changed studies; still found in old summaries. */
  | "changed-since-ingest";

export interface SkipEvent {
  type: "skip";
  /** What was skipped: "study", "image" or "record" (a line that names no study yet). */
  level: "study" | "image" | "record";
  /** Where: a study id, an image path relative to the root, or file:line. Never report text. */
  item: string;
  reason: SkipReason;
  detail: string;
}

export interface StudyEvent {
  type: "study";
  study: StudyRecord;
}

export type AdapterEvent = StudyEvent | SkipEvent;

export interface DatasetSource {
  /** Adapter name, e.g. "mimic-cxr-jpg". */
  adapter: string;
  /** Absolute dataset root. */
  root: string;
  /** A cheap estimate of the number of studies, for progress and ETA; undefined when unknown. */
  estimateTotal(): Promise<number | undefined>;
  /** The studies, streamed; each call starts again from the beginning. */
  events(): AsyncIterable<AdapterEvent>;
}

export function skip(level: SkipEvent["level"], item: string, reason: SkipReason, detail: string): SkipEvent {
  return { type: "skip", level, item, reason, detail };
}
