/**
 * A decoded source image in a Pillow-like mode (BUNDLE.md):
 * - `L`: 8-bit grey, one value per pixel (Uint8Array);
 * - `RGB`: 8-bit, three interleaved values per pixel (Uint8Array);
 * - `I`: integer grey (Int32Array), e.g. a 16-bit PNG as Pillow 9.4 opens it (0..65535).
 */
export type ImageMode = "L" | "RGB" | "I";

export interface DecodedImage {
  mode: ImageMode;
  width: number;
  height: number;
  /** Row-major, channels interleaved: width * height * channelsOf(mode) values. */
  data: Uint8Array | Int32Array;
  /** Where the pixels came from, for provenance and error messages. */
  source?: DecodedSource;
  /**
   * Set when Pillow would hold this image as a palette (`P`) or bilevel (`1`) image (the pixels here
   * are already expanded). Pillow resizes such images with NEAREST whatever filter is asked for; the
   * first `convert` or paste turns them into ordinary images.
   */
  pillowMode?: "P" | "1";
}

export interface DecodedSource {
  format: "jpeg" | "png" | "dicom" | "raw" | string;
  name?: string;
  /** Bits per sample as stored (8, 16, 12 for some DICOM ...). */
  bitDepth?: number;
  /** The EXIF orientation tag that was applied (1 = none). */
  orientation?: number;
  /** Set when an alpha channel was dropped (Pillow `convert` drops it too). */
  droppedAlpha?: boolean;
  /** DICOM photometric interpretation, when the source was DICOM. */
  photometric?: string;
}

export function channelsOf(mode: ImageMode): 1 | 3 {
  return mode === "RGB" ? 3 : 1;
}

/** Build an image, checking the buffer length against the mode and size. */
export function makeImage(
  mode: ImageMode,
  width: number,
  height: number,
  data: Uint8Array | Int32Array,
  source?: DecodedSource,
): DecodedImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  const expected = width * height * channelsOf(mode);
  if (data.length !== expected) {
    throw new RangeError(`mode ${mode} ${width}x${height} needs ${expected} values, got ${data.length}`);
  }
  if (mode === "I" ? !(data instanceof Int32Array) : !(data instanceof Uint8Array)) {
    throw new TypeError(`mode ${mode} needs ${mode === "I" ? "an Int32Array" : "a Uint8Array"}`);
  }
  return source ? { mode, width, height, data, source } : { mode, width, height, data };
}

/** The same image with (or without) a Pillow palette/bilevel marker. */
export function withPillowMode(image: DecodedImage, pillowMode: "P" | "1" | undefined): DecodedImage {
  const { pillowMode: _old, ...rest } = image;
  return pillowMode ? { ...rest, pillowMode } : rest;
}
