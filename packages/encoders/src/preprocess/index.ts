export { preprocessBytes } from "./bytes.ts";
export { MODEL_PREPROCESS, type ModelPreprocessName, REFERENCE_TRANSFORMS } from "./models.ts";
export { type PillowFilter, pasteOnGreyCanvas, pillowConvert, pillowCrop, pillowResize } from "./pillow.ts";
export {
  PreprocessError,
  type PreprocessResult,
  resizeTarget,
  roundHalfEven,
  runPreprocess,
  shorterSideSize,
} from "./run.ts";
export {
  type PreprocessStep,
  type PreprocessStepInput,
  preprocessStepSchema,
  preprocessStepsSchema,
} from "./steps.ts";
export { torchInterpolate } from "./torch.ts";
