/** The one text-field vocabulary of index and bench, for faces (flags, --help). */
export { BOOTSTRAP_UNITS, type BootstrapUnit, TEXT_FIELD_HELP, TEXT_FIELDS, type TextField } from "@cxr/eval";
export {
  type CacheListing,
  corruptionCacheDir,
  DEFAULT_CACHE_MAX_BYTES,
  listCorruptionCache,
  type PruneOptions,
  pruneCorruptionCache,
} from "./cache.ts";
export { BenchError, type BenchErrorCode, isBenchError } from "./errors.ts";
export { toDecodedImage, toPixels } from "./pixels.ts";
export {
  type BenchRunDetail,
  type BenchRunSummary,
  listBenchRuns,
  loadBenchRun,
  type RecomputeReport,
  recomputeFromDatabase,
} from "./read.ts";
export {
  type BenchConfig,
  type BenchFiles,
  type BenchOptions,
  type BenchProgress,
  type BenchProtocolOptions,
  type BenchResult,
  checkBenchRequest,
  type OcclusionFill,
  type OcclusionPattern,
  protocolInputOf,
  protocolView,
  runBench,
} from "./run.ts";
export {
  DatabaseResumeStore,
  decodeRanks,
  encodeRanks,
  METRICS_FORMAT,
  type StoredMetrics,
} from "./store.ts";
