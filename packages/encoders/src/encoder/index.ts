export { type EncodeFailure, type EncodeResult, EncoderError, type EncoderErrorCode } from "./errors.ts";
export { checkImageGraph, checkTextGraph } from "./graph.ts";
export { l2Norm, l2NormalizeInPlace } from "./math.ts";
export {
  type EncoderInfo,
  type EncoderOptions,
  type ImageInput,
  ModelEncoder,
  type StreamedResult,
  type TextInput,
} from "./model-encoder.ts";
export {
  SELF_TEST_TEXT,
  type SelfTestCheck,
  type SelfTestReport,
  selfTest,
  syntheticImage,
} from "./self-test.ts";
