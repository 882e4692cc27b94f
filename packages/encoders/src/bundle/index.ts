export {
  BundleError,
  type BundleErrorCode,
  isBundleError,
  ManifestError,
  type ManifestIssue,
} from "./errors.ts";
export { modelFingerprint, sha256File, sha256Hex } from "./hash.ts";
export { type LoadedBundle, loadBundle, looksLikeHtml, MANIFEST_FILE, readManifest } from "./load.ts";
export {
  BUNDLE_FORMAT,
  formatPath,
  type ImageSpec,
  type Manifest,
  type ManifestTemplate,
  MODEL_FAMILIES,
  type TextSpec,
  type TokenizerSpec,
  validateManifest,
} from "./schema.ts";
