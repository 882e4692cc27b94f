export {
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  download,
  sha256Tag,
} from "../download/download.ts";
export { describeModel, type ModelDescription } from "./describe.ts";
export { isModelError, ModelError, type ModelErrorCode, NotPullableError } from "./errors.ts";
export {
  CLIP_HF_FILES,
  CLIP_HF_REPO,
  checkModelPull,
  DEFAULT_HF_ENDPOINT,
  type PulledModel,
  type PullOptions,
  type PullProgress,
  pullInstructions,
  pullModel,
  writeClipBundle,
} from "./pull.ts";
export {
  type AddedModel,
  addModel,
  getModel,
  listModels,
  type ManifestSummary,
  type ModelDetails,
  type ModelRecord,
  type ModelsConfig,
  type ModelsDb,
  type RemovedModel,
  removeModel,
  showModel,
  summarize,
  type VerifiedModel,
  verifyModel,
} from "./registry.ts";
export { type RuntimeCheck, runtimeCheck, SelfTestError } from "./runtime.ts";
export {
  type CatalogueCard,
  catalogueCard,
  MODEL_SOURCES,
  type ModelSource,
  modelSource,
  PULLABLE_MODEL,
  templateDir,
} from "./sources.ts";
