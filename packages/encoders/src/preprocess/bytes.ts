import { type DecodeOptions, decodeImage } from "../image/decode.ts";
import { type PreprocessResult, runPreprocess } from "./run.ts";
import type { PreprocessStep } from "./steps.ts";

/**
 * Bytes (JPEG, PNG, DICOM, ...) -> model input tensor: decode, then run the steps. Rejects with an
 * ImageDecodeError for bad input (per item: callers batching many images keep the others).
 */
export async function preprocessBytes(
  bytes: Uint8Array,
  steps: readonly PreprocessStep[],
  opts: DecodeOptions = {},
): Promise<PreprocessResult> {
  return runPreprocess(await decodeImage(bytes, opts), steps);
}
