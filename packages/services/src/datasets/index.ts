// An ingest that took nothing fails (exit 1) and carries its summary, which faces print.

export type {
  IngestProgress,
  IngestSummary,
  PullProgress as DatasetPullProgress,
  PullResult as DatasetPullResult,
  SynthOptions,
  SynthSummary,
} from "@cxr/datasets";
export { EmptyIngestError } from "@cxr/datasets";
export {
  checkPullRequest,
  DATASET_ADAPTERS,
  type DatasetDetails,
  type DatasetList,
  defaultDatasetName,
  type IngestRequest,
  ingestDataset,
  listDatasets,
  PULLABLE_DATASETS,
  type PulledDataset,
  type PullRequest,
  pullDataset,
  showDataset,
  synthesizeDataset,
} from "./datasets.ts";
