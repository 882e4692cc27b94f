import { type DecodedImage, makeImage } from "@cxr/encoders";
import type { DecodedPixels } from "@cxr/eval";

/**
 * The two pixel types the benchmark passes between: @cxr/encoders decodes source files to a
 * Pillow-like `DecodedImage` (L, RGB, or I for 16-bit grey), @cxr/eval renders corruptions on
 * `DecodedPixels` (1 or 3 channels, 8- or 16-bit). Both directions are lossless for what the decoder
 * produces. A palette or bilevel marker (`pillowMode`) is not carried: every level, the clean one
 * included, is encoded from plain pixels, so level 0 and the corrupted levels go through identical
 * preprocessing.
 */

export function toPixels(image: DecodedImage, name: string): DecodedPixels {
  const { width, height } = image;
  if (image.mode === "L") return { width, height, channels: 1, data: image.data as Uint8Array };
  if (image.mode === "RGB") return { width, height, channels: 3, data: image.data as Uint8Array };
  const src = image.data as Int32Array;
  const data = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v < 0 || v > 65535) {
      throw new RangeError(
        `${name}: grey value ${v} outside 0..65535; the benchmark renders 8- or 16-bit images`,
      );
    }
    data[i] = v;
  }
  return { width, height, channels: 1, data };
}

export function toDecodedImage(pixels: DecodedPixels): DecodedImage {
  const { width, height, channels, data } = pixels;
  if (data instanceof Uint8Array) return makeImage(channels === 3 ? "RGB" : "L", width, height, data);
  if (channels !== 1) throw new RangeError("16-bit colour images are not produced by the decoder");
  return makeImage("I", width, height, Int32Array.from(data));
}
