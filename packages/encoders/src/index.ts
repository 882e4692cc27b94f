// Image decoding and preprocessing (src/image, src/preprocess, src/parity/preprocess.ts)

// Bundles, tokenizers, sessions, encoders, parity and test helpers (src/bundle, src/tokenizer,
// src/session, src/encoder, src/parity/tokenizers.ts, src/parity/index.ts). Test helpers (tiny
// models and bundles) are a separate entry point: @cxr/encoders/testing.
export * from "./bundle/index.ts";
export * from "./encoder/index.ts";
export * from "./image/index.ts";
export {
  formatParity,
  formatTokenizerParity,
  ParityReferenceError,
  type ParityReport,
  runParity,
} from "./parity/index.ts";
export {
  compareTensors,
  formatPreprocessParity,
  PARITY_TRANSFORMS,
  PREPROCESS_GOALS,
  type PreprocessParityReport,
  type PreprocessParityRow,
  preprocessParity,
} from "./parity/preprocess.ts";
export {
  MODELS_DIR,
  settingsFromSpec,
  TOKENIZER_REFERENCE,
  type TokenizerMismatch,
  type TokenizerParityReport,
  type TokenizerParityRow,
  tokenizerParity,
  tokenizerSettingsOf,
} from "./parity/tokenizers.ts";
export * from "./preprocess/index.ts";
export * from "./session/index.ts";
export * from "./tokenizer/index.ts";
