/** Test helpers: tiny ONNX models with known weights and complete tiny bundles (`@cxr/encoders/testing`). */

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
