import type { Direction, MetricIntervals, MetricValues, QueryRef, TieRange } from "./metrics.ts";
import type { Protocol } from "./protocol.ts";
import type { RobustnessSummary } from "./robustness.ts";

export const RUN_FORMAT = "cxr-bench-run/1" as const;
export const RESULT_FORMAT = "cxr-bench-result/1" as const;
export const FILE_FORMAT = "cxr-bench-file/1" as const;

export interface DatasetInfo {
  id: string;
  /** sha256 over the sorted per-item image and text hashes of the split (computed by the caller). */
  fingerprint: string;
}

export interface ModelInfo {
  id: string;
  /** sha256 of each ONNX file and the manifest (packages/encoders BUNDLE.md). */
  fingerprint: string;
  /** e.g. "cuda", "cpu". */
  executionProvider: string;
}

export interface SoftwareInfo {
  package: string;
  version: string;
  node: string;
  sharp: string;
  onnxruntime: string;
}

export interface HardwareInfo {
  platform: string;
  arch: string;
  cpu: string;
  cores: number;
  memoryBytes: number;
  /** Set by the caller when an accelerator was used. */
  accelerator?: string;
}

export interface RunCounts {
  /** Studies of the split with at least one image of the protocol's views. */
  studies: number;
  /** Of those, studies without usable text for the text field (excluded). */
  excludedStudies: number;
  /** Images of the excluded studies (not queried). */
  excludedImages: number;
  /** Images skipped because their view is not in the protocol's views. */
  otherViewImages: number;
  /** Image queries (image->text) = candidates of text->image. */
  imageQueries: number;
  /** Text queries (text->image): the distinct texts of the included studies. */
  textQueries: number;
  /** Text candidates (image->text): test-split texts plus distractor-only texts. */
  textCandidates: number;
  distractorTexts: number;
  /**
   * Images of the protocol's views left out because the protocol records them as undecodable
   * (`excludedImages`), and studies that lost every image that way. Absent when none is recorded.
   */
  undecodableImages?: number;
  undecodableStudies?: number;
}

/** The run: every parameter, fingerprint and count; the query lists ranks refer to. */
export interface RunRecord {
  kind: "run";
  format: typeof RUN_FORMAT;
  runId: string;
  protocolVersion: string;
  protocolKey: string;
  protocol: Protocol;
  dataset: DatasetInfo;
  models: ModelInfo[];
  software: SoftwareInfo;
  hardware: HardwareInfo;
  scoringKernel: string;
  startedAt: string;
  endedAt: string;
  counts: RunCounts;
  /** The queries of each direction in the order every record's `ranks` follows. */
  queries: Record<Direction, QueryRef[]>;
}

/** One flat record per model x corruption x level x direction. */
export interface ResultRecord {
  kind: "result";
  format: typeof RESULT_FORMAT;
  runId: string;
  protocolVersion: string;
  protocolKey: string;
  // every protocol parameter, flat
  corruption: string;
  grid: number | null;
  fill: string | null;
  pattern: string | null;
  levels: number[];
  seed: number;
  textField: string;
  corpusSplit: string;
  distractorSplits: string[];
  views: string[];
  recallAt: number[];
  bootstrapSamples: number;
  confidence: number;
  /** "patient" when the bootstrap grouped by patient; absent for protocol v1's "study". */
  bootstrapUnit?: string;
  // provenance
  datasetId: string;
  datasetFingerprint: string;
  modelId: string;
  modelFingerprint: string;
  executionProvider: string;
  softwareVersion: string;
  hardware: string;
  scoringKernel: string;
  // this cell
  level: number;
  direction: Direction;
  queries: number;
  candidates: number;
  excludedStudies: number;
  metrics: MetricValues;
  ci: MetricIntervals;
  /** 1-based rank of each query's best-ranked positive, in the run's query order for this direction. */
  ranks: number[];
  /**
   * What a uniformly random ranking scores on this direction's real positive sets (recall@K, mrr).
   * Absent in records written before it existed.
   */
  chance?: MetricValues;
  /**
   * Exact ties of a best positive with other candidates: how many queries, the metrics with every tie
   * broken for and against the positives, and each tied query's rank range. The headline metrics
   * follow the protocol's tie rule. Absent in records written before it existed.
   */
  ties?: TieRange;
  startedAt: string;
  endedAt: string;
}

export interface SummaryRecord extends RobustnessSummary {
  kind: "summary";
  protocolKey: string;
  modelId: string;
  corruption: string;
  direction: Direction;
  referenceModel: string | null;
}

/** The JSON record file of one run. */
export interface RecordFile {
  format: typeof FILE_FORMAT;
  run: RunRecord;
  results: ResultRecord[];
  summaries: SummaryRecord[];
}

/** The flat protocol fields of a result record. */
export function protocolFields(protocol: Protocol) {
  const c = protocol.corruption;
  return {
    corruption: c.family,
    grid: c.family === "occlusion" ? c.grid : null,
    fill: c.family === "occlusion" ? c.fill : null,
    pattern: c.family === "occlusion" ? c.pattern : null,
    levels: protocol.levels,
    seed: protocol.seed,
    textField: protocol.textField,
    corpusSplit: protocol.corpus.split,
    distractorSplits: protocol.corpus.distractorSplits,
    views: protocol.views,
    recallAt: protocol.recallAt,
    bootstrapSamples: protocol.bootstrap.samples,
    confidence: protocol.bootstrap.confidence,
    // Only when not protocol v1's default ("study"), so records of default runs keep their shape.
    ...(protocol.bootstrap.unit === undefined ? {} : { bootstrapUnit: protocol.bootstrap.unit }),
  };
}
