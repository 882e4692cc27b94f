import type { ImageDecodeError } from "../image/errors.ts";
import type { PreprocessError } from "../preprocess/run.ts";
import type { TextInputError } from "../tokenizer/errors.ts";

export type EncoderErrorCode =
  /** The preprocessed tensor does not have the shape the manifest declares for the graph input. */
  | "SHAPE_MISMATCH"
  /** ONNX Runtime failed on this input (after the batch failed, the item was retried alone). */
  | "INFERENCE_FAILED"
  /** The embedding contains NaN or Infinity, or is all zeros and cannot be normalised. */
  | "BAD_EMBEDDING"
  /** The input is neither bytes, { bytes }, nor { image }. */
  | "BAD_INPUT"
  /** The encoder was closed. */
  | "CLOSED";

/** A per-item failure that is the encoder's, not the decoder's or the tokenizer's. */
export class EncoderError extends Error {
  override readonly name = "EncoderError";
  constructor(
    readonly code: EncoderErrorCode,
    /** The input's name, or `#<index>` when none was given. */
    readonly input: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${input}: ${code}: ${reason}`, options);
  }
}

/** Why one item of a batch failed; the rest of the batch is unaffected. */
export type EncodeFailure = ImageDecodeError | PreprocessError | TextInputError | EncoderError;

export type EncodeResult = { ok: true; embedding: Float32Array } | { ok: false; error: EncodeFailure };
