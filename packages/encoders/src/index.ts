// Image decoding and preprocessing (src/image, src/preprocess, src/parity/preprocess.ts)
export * from "./image/index.ts";
export {
  compareTensors,
  formatPreprocessParity,
  PARITY_TRANSFORMS,
  PREPROCESS_GOALS,
  type PreprocessParityReport,
  type PreprocessParityRow,
  preprocessParity,
} from "./parity/preprocess.ts";
export * from "./preprocess/index.ts";
