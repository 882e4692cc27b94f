/**
 * Bytes -> DecodedImage. JPEG and PNG (and whatever else libvips reads) through sharp, DICOM through
 * dicom-parser. The pixel limit is checked from the header before any pixel is decoded.
 *
 * Modes follow Pillow 9.4 `Image.open` so that the preprocessing steps see what the original code saw:
 * 8-bit grey -> L; 16-bit grey PNG -> I (0..65535, not rescaled); colour -> RGB (16-bit colour keeps the
 * high byte, like Pillow's RGB;16B unpacker); alpha is dropped (Pillow's convert drops it too). A colour
 * image whose three channels are equal everywhere is returned as L: every step gives identical
 * results on it, at a third of the cost. EXIF orientation is applied (Pillow's open ignores it; MIMIC-CXR
 * JPEGs carry none). Palette and 1-bit PNGs are expanded but marked (`pillowMode`), because Pillow
 * resizes them with NEAREST.
 */
import sharp, { type Metadata, type OutputInfo } from "sharp";
import { looksLikeHtml } from "../bundle/load.ts";
import { decodeDicom, isDicom } from "./dicom.ts";
import { ImageDecodeError } from "./errors.ts";
import { type DecodedImage, makeImage, withPillowMode } from "./types.ts";

export interface DecodeOptions {
  /** Refuse images with more pixels than this (decompression bombs). Default 100 megapixels. */
  maxPixels?: number;
  /** The input's name, used in error messages. */
  name?: string;
  /** Apply the EXIF orientation (default true). */
  autoOrient?: boolean;
  /** Return colour images whose channels are all equal as L (default true; exact for every step). */
  collapseGrey?: boolean;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

// libvips' operation cache (sharp's default: up to 50 MB, 100 operations) never hits here: every
// decode is of different bytes. In a long-running server it only grows the process (bench/api).
sharp.cache(false);

/** Raster formats accepted through sharp; vector and document formats (SVG, PDF, ...) are refused. */
const ACCEPTED_FORMATS = new Set(["jpeg", "png", "tiff", "webp", "gif"]);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function sniff(bytes: Uint8Array): "png" | "jpeg" | undefined {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return undefined;
}

/** True when a PNG does not end with its IEND chunk, or a JPEG with its EOI marker (FF D9). */
function endsEarly(bytes: Uint8Array, format: string | undefined): boolean {
  const n = bytes.length;
  if (format === "png") {
    // IEND chunk: length 0, "IEND", CRC AE 42 60 82
    return !(
      n >= 12 &&
      bytes[n - 8] === 0x49 &&
      bytes[n - 7] === 0x45 &&
      bytes[n - 6] === 0x4e &&
      bytes[n - 5] === 0x44
    );
  }
  if (format === "jpeg") {
    let end = n;
    while (end > 2 && bytes[end - 1] === 0) end--; // some writers pad after EOI
    return !(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9);
  }
  return false;
}

function classify(
  error: unknown,
  name: string | undefined,
  format: string | undefined,
  bytes: Uint8Array,
): ImageDecodeError {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
  if (!format && looksLikeHtml(bytes.subarray(0, 1024))) {
    // a download that saved a login or error page under the image's name
    return new ImageDecodeError("UNSUPPORTED_FORMAT", name, "an HTML page, not an image", { cause: error });
  }
  if (/unsupported image format/i.test(message) && !format) {
    return new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      name,
      "not an image format this decoder reads (JPEG, PNG, DICOM, ...)",
      {
        cause: error,
      },
    );
  }
  if (
    endsEarly(bytes, format) ||
    /premature end|truncat|unexpected end|end of (file|stream|data)|not enough|too short|short read|EOF|incomplete/i.test(
      message,
    )
  ) {
    return new ImageDecodeError("TRUNCATED", name, `${format ?? "image"} data ends early (${message})`, {
      cause: error,
    });
  }
  return new ImageDecodeError("CORRUPT", name, `${format ?? "image"} could not be decoded (${message})`, {
    cause: error,
  });
}

function allChannelsEqual(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i];
    if (r !== data[i + 1] || r !== data[i + 2]) return false;
  }
  return true;
}

function firstOfThree(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length / 3);
  for (let i = 0, p = 0; i < out.length; i++, p += 3) out[i] = data[p]!;
  return out;
}

/** Decode image bytes (JPEG, PNG 8/16-bit, DICOM, ...) to a Pillow-like source image. */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const { name } = opts;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new RangeError(`maxPixels must be a positive number, got ${maxPixels}`);
  if (!(bytes instanceof Uint8Array)) {
    throw new ImageDecodeError("UNSUPPORTED_FORMAT", name, "input is not a byte array");
  }
  if (bytes.length === 0) throw new ImageDecodeError("EMPTY", name, "the input has 0 bytes");
  if (isDicom(bytes)) return decodeDicom(bytes, { name, maxPixels });

  const format = sniff(bytes);
  // sharp only reads the header here: the size is checked before any pixel is decoded
  const input = {
    failOn: "truncated" as const,
    // the header check below is the guard; this is libvips' own, as a second line
    limitInputPixels: Number.isFinite(maxPixels) ? Math.max(1, Math.ceil(maxPixels)) : (false as const),
  };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
  } catch (error) {
    throw classify(error, name, format, bytes);
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
    throw new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      name,
      `${meta.format ?? "unknown"} images are not accepted (JPEG, PNG, TIFF, WebP, GIF, DICOM)`,
    );
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0)
    throw new ImageDecodeError("EMPTY", name, `the image has size ${width}x${height}`);
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      "TOO_LARGE",
      name,
      `${width}x${height} = ${width * height} pixels is over the limit of ${maxPixels} (decompression bomb guard)`,
    );
  }
  const sixteen = meta.depth === "ushort" || meta.depth === "short";
  const hasAlpha = meta.hasAlpha === true;
  const colour = (meta.channels ?? 1) - (hasAlpha ? 1 : 0) >= 3;
  const orientation = meta.orientation ?? 1;
  // Pillow opens palette PNGs as P and 1-bit grey PNGs as "1", and resizes those with NEAREST
  const pillowMode: "P" | "1" | undefined =
    meta.format !== "png" ? undefined : meta.isPalette ? "P" : meta.bitsPerSample === 1 ? "1" : undefined;
  let pipeline = sharp(bytes, input);
  if (opts.autoOrient !== false) pipeline = pipeline.autoOrient();
  const source = {
    format: meta.format ?? format ?? "unknown",
    name,
    bitDepth: sixteen ? 16 : 8,
    orientation: opts.autoOrient !== false ? orientation : 1,
    droppedAlpha: hasAlpha,
  };
  try {
    if (sixteen && !colour) {
      const { data, info } = await pipeline
        .removeAlpha()
        .toColourspace("grey16")
        .raw({ depth: "ushort" })
        .toBuffer({ resolveWithObject: true });
      const u16 = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
      const ch = info.channels;
      const out = new Int32Array(info.width * info.height);
      for (let i = 0; i < out.length; i++) out[i] = u16[i * ch]!;
      return makeImage("I", info.width, info.height, out, source);
    }
    if (!colour) {
      const { data, info } = await pipeline
        .removeAlpha()
        .toColourspace("b-w")
        .raw()
        .toBuffer({ resolveWithObject: true });
      const ch = info.channels;
      const out = ch === 1 ? new Uint8Array(data.buffer, data.byteOffset, data.length) : firstOfThree(data);
      return withPillowMode(makeImage("L", info.width, info.height, new Uint8Array(out), source), pillowMode);
    }
    let rgb: Uint8Array;
    let info: OutputInfo;
    if (sixteen) {
      const res = await pipeline
        .removeAlpha()
        .toColourspace("rgb16")
        .raw({ depth: "ushort" })
        .toBuffer({ resolveWithObject: true });
      const u16 = new Uint16Array(res.data.buffer, res.data.byteOffset, res.data.length / 2);
      rgb = new Uint8Array(u16.length);
      for (let i = 0; i < u16.length; i++) rgb[i] = u16[i]! >> 8;
      info = res.info;
    } else {
      const res = await pipeline
        .removeAlpha()
        .toColourspace("srgb")
        .raw()
        .toBuffer({ resolveWithObject: true });
      rgb = new Uint8Array(res.data.buffer, res.data.byteOffset, res.data.length);
      info = res.info;
    }
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    if (opts.collapseGrey !== false && allChannelsEqual(rgb)) {
      return withPillowMode(makeImage("L", info.width, info.height, firstOfThree(rgb), source), pillowMode);
    }
    return withPillowMode(makeImage("RGB", info.width, info.height, new Uint8Array(rgb), source), pillowMode);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw classify(error, name, format ?? meta.format, bytes);
  }
}
