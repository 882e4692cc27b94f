/** Test helpers: tiny ONNX models with known weights and complete tiny bundles (`@cxr/encoders/testing`). */

/** The one tokenizer.json builder (production's), for tests that need a tiny tokenizer. */
export { clipTokenizerJson, wordPieceTokenizerJson } from "../tokenizer/tokenizer-json.ts";
export { type GreyDicomOptions, greyDicom } from "./dicom.ts";
export {
  imageWeight,
  setJsonPath,
  TINY_VOCAB,
  type TinyBundle,
  type TinyBundleOptions,
  type TinyImageModelOptions,
  type TinyTextModelOptions,
  textWeight,
  tinyImageModel,
  tinyTextModel,
  tinyTokenizerJson,
  typeWeight,
  writeTinyBundle,
} from "./tiny-models.ts";
