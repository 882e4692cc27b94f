export { collectionAlias, dropModelCollections } from "./collections.ts";
export { type IndexErrorCode, IndexSearchError, isIndexSearchError } from "./errors.ts";
export {
  INDEXED_FIELDS,
  imageKey,
  MODALITIES,
  type Modality,
  REPORT_TEXT_FIELDS,
  type ReportTextField,
  reportKey,
  reportText,
} from "./items.ts";
export {
  type CheckedIndexRequest,
  checkIndexRequest,
  type IndexConfig,
  type IndexDatasetOptions,
  type IndexPhase,
  type IndexProgress,
  type IndexResult,
  type ItemFailure,
  indexDataset,
  type ModalityIndexResult,
} from "./job.ts";
export { EncoderCache, type EncoderConfig } from "./model.ts";
