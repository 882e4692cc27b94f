/**
 * Turns one image input into the graph's input tensor: decode (sharp, DICOM) and the bundle's
 * preprocessing steps. The same code runs on the main thread and in the preprocessing workers
 * (preprocess-pool.ts), so both paths give the same tensors and the same per-item errors.
 */
import { firstLine } from "@cxr/config";
import { isImageDecodeError } from "../image/errors.ts";
import { decodeImage } from "../image/index.ts";
import type { DecodedImage } from "../image/types.ts";
import { PreprocessError, runPreprocess } from "../preprocess/index.ts";
import type { PreprocessStep } from "../preprocess/steps.ts";
import { TextInputError } from "../tokenizer/errors.ts";
import { type EncodeFailure, EncoderError } from "./errors.ts";

/** What a worker needs to know about the bundle to prepare its images. */
export interface ImagePrepareSpec {
  steps: readonly PreprocessStep[];
  /** The graph input's [channels, height, width]. */
  chw: readonly [number, number, number];
  maxPixels?: number;
}

/** Encoded bytes to decode, or an image already decoded by the caller. */
export type ImagePayload = { bytes: Uint8Array } | { image: DecodedImage };

export type PrepareOutcome = { ok: true; value: Float32Array } | { ok: false; error: EncodeFailure };

export async function prepareImagePayload(
  payload: ImagePayload,
  name: string,
  spec: ImagePrepareSpec,
): Promise<PrepareOutcome> {
  try {
    const image =
      "bytes" in payload
        ? await decodeImage(payload.bytes, { name, maxPixels: spec.maxPixels })
        : payload.image;
    const tensor = runPreprocess(image, spec.steps);
    const [c, h, w] = spec.chw;
    if (tensor.shape.join("x") !== `${c}x${h}x${w}`) {
      throw new EncoderError(
        "SHAPE_MISMATCH",
        name,
        `preprocessing produced ${tensor.shape.join("x")}, the graph input needs ${c}x${h}x${w}`,
      );
    }
    return { ok: true, value: tensor.data };
  } catch (error) {
    return { ok: false, error: asFailure(error, name) };
  }
}

/** Known per-item errors pass through; anything else becomes the item's BAD_INPUT. */
export function asFailure(error: unknown, name: string): EncodeFailure {
  if (
    error instanceof EncoderError ||
    error instanceof TextInputError ||
    error instanceof PreprocessError ||
    isImageDecodeError(error)
  ) {
    return error;
  }
  return new EncoderError("BAD_INPUT", name, firstLine(error), { cause: error });
}
