export {
  bytesToUnicode,
  CLIP_EOT,
  CLIP_EOT_ID,
  CLIP_SOT,
  CLIP_SOT_ID,
  type ClipTokenizerJson,
  clipBpeGzToTokenizerJson,
  clipBpeToTokenizerJson,
} from "./clip-bpe.ts";
export { type TextErrorCode, TextInputError, TokenizerError } from "./errors.ts";
export { pythonHtmlUnescape } from "./html-unescape.ts";
export { applyTextPrep, pythonWhitespaceClean, TEXT_PREP_STEPS, type TextPrepStep } from "./text-prep.ts";
export {
  type EncodedText,
  type EncodeOptions,
  type PaddedBatch,
  type Padding,
  Tokenizer,
  type TokenizerSettings,
  type Truncation,
} from "./tokenizer.ts";
export {
  CLIP_NORMALIZER,
  clipTokenizerJson,
  specialToken,
  wordPieceTokenizerJson,
} from "./tokenizer-json.ts";
