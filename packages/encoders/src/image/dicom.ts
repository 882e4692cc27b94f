/**
 * DICOM Part 10 decoding with dicom-parser: uncompressed transfer syntaxes (implicit VR little endian,
 * explicit VR little endian, deflated explicit VR little endian, explicit VR big endian), first frame.
 * Grey images: stored bits masked and sign-extended, modality rescale (slope/intercept), then the VOI
 * transform (window centre/width with the VOI LUT function, else the first VOI LUT, else the full range
 * of the modality values) to 8 bits, MONOCHROME1 inverted. Colour: RGB (interleaved or planar) and
 * YBR_FULL, 8-bit. Compressed syntaxes (JPEG, JPEG 2000, RLE, ...) raise DICOM_UNSUPPORTED_SYNTAX.
 */
import dicomParser, { type DataSet } from "dicom-parser";
import { ImageDecodeError } from "./errors.ts";
import { type DecodedImage, makeImage } from "./types.ts";

const IMPLICIT_LE = "1.2.840.10008.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const DEFLATED_LE = "1.2.840.10008.1.2.1.99";
const EXPLICIT_BE = "1.2.840.10008.1.2.2";
const SUPPORTED_SYNTAXES = new Set([IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE]);

const KNOWN_SYNTAXES: Record<string, string> = {
  "1.2.840.10008.1.2.4.50": "JPEG Baseline",
  "1.2.840.10008.1.2.4.51": "JPEG Extended",
  "1.2.840.10008.1.2.4.57": "JPEG Lossless",
  "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1",
  "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
  "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
  "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
  "1.2.840.10008.1.2.4.91": "JPEG 2000",
  "1.2.840.10008.1.2.5": "RLE Lossless",
  "1.2.840.10008.1.2.4.201": "HTJ2K Lossless",
  "1.2.840.10008.1.2.4.203": "HTJ2K",
};

/** True when the bytes carry the DICOM Part 10 "DICM" magic at offset 128. */
export function isDicom(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

function describeThrown(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === "object" && "exception" in e)
    return describeThrown((e as { exception: unknown }).exception);
  return String(e);
}

function looksTruncated(message: string): boolean {
  return /past end|overread|overrun|beyond|end of buffer|exceeds|greater than or equal to .*length/i.test(
    message,
  );
}

function numbers(ds: DataSet, tag: string): number[] {
  const raw = ds.string(tag);
  if (!raw) return [];
  return raw
    .split("\\")
    .map((s) => Number.parseFloat(s))
    .filter((v) => Number.isFinite(v));
}

interface Voi {
  kind: "window";
  center: number;
  width: number;
  fn: string;
}

/** Decode a DICOM Part 10 byte array to an 8-bit L (grey) or RGB image. */
export function decodeDicom(bytes: Uint8Array, opts: { name?: string; maxPixels: number }): DecodedImage {
  const { name, maxPixels } = opts;
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (e) {
    const message = describeThrown(e);
    throw new ImageDecodeError(
      looksTruncated(message) ? "TRUNCATED" : "CORRUPT",
      name,
      `DICOM could not be parsed (${message})`,
      { cause: e },
    );
  }
  const syntax = (ds.string("x00020010") ?? "").replace(/\0/g, "").trim();
  if (!SUPPORTED_SYNTAXES.has(syntax)) {
    const known = KNOWN_SYNTAXES[syntax];
    throw new ImageDecodeError(
      "DICOM_UNSUPPORTED_SYNTAX",
      name,
      `transfer syntax ${syntax || "(missing)"}${known ? ` (${known})` : ""} is not supported; ` +
        "supported: implicit/explicit VR little endian, deflated explicit VR little endian, explicit VR big endian",
    );
  }
  const pixel = ds.elements["x7fe00010"];
  if (!pixel)
    throw new ImageDecodeError("DICOM_NO_PIXELS", name, "the DICOM has no Pixel Data (7FE0,0010) element");
  if (pixel.encapsulatedPixelData) {
    throw new ImageDecodeError("DICOM_UNSUPPORTED_SYNTAX", name, "encapsulated (compressed) pixel data");
  }
  const rows = ds.uint16("x00280010") ?? 0;
  const cols = ds.uint16("x00280011") ?? 0;
  if (rows === 0 || cols === 0) {
    throw new ImageDecodeError(
      "DICOM_NO_PIXELS",
      name,
      `the DICOM has no image size (rows ${rows}, columns ${cols})`,
    );
  }
  if (rows * cols > maxPixels) {
    throw new ImageDecodeError(
      "TOO_LARGE",
      name,
      `${cols}x${rows} = ${cols * rows} pixels is over the limit of ${maxPixels}`,
    );
  }
  const samples = ds.uint16("x00280002") ?? 1;
  const bitsAllocated = ds.uint16("x00280100") ?? 16;
  const bitsStored = ds.uint16("x00280101") ?? bitsAllocated;
  const signed = (ds.uint16("x00280103") ?? 0) === 1;
  const photometric = (ds.string("x00280004") ?? "MONOCHROME2").trim().toUpperCase();
  const planar = (ds.uint16("x00280006") ?? 0) === 1;
  const bigEndian = syntax === EXPLICIT_BE;
  const bytesPerSample = bitsAllocated / 8;
  if (![8, 16, 32].includes(bitsAllocated)) {
    throw new ImageDecodeError("UNSUPPORTED_FORMAT", name, `BitsAllocated ${bitsAllocated} is not supported`);
  }
  const needed = rows * cols * samples * bytesPerSample;
  const available = Math.min(pixel.length, ds.byteArray.length - pixel.dataOffset);
  if (pixel.length === 0)
    throw new ImageDecodeError("DICOM_NO_PIXELS", name, "the Pixel Data element is empty");
  if (available < needed) {
    throw new ImageDecodeError(
      "TRUNCATED",
      name,
      `Pixel Data holds ${available} bytes, the first frame needs ${needed}`,
    );
  }
  const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + pixel.dataOffset, needed);
  const source = { format: "dicom", name, bitDepth: bitsStored, photometric };

  if (samples === 3) {
    if (bitsAllocated !== 8 || (photometric !== "RGB" && photometric !== "YBR_FULL")) {
      throw new ImageDecodeError(
        "UNSUPPORTED_FORMAT",
        name,
        `colour DICOM ${photometric} with ${bitsAllocated} bits is not supported (8-bit RGB or YBR_FULL only)`,
      );
    }
    const n = rows * cols;
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = view.getUint8(planar ? c * n + i : i * 3 + c);
    }
    if (photometric === "YBR_FULL") {
      for (let i = 0; i < n * 3; i += 3) {
        const y = out[i]!;
        const cb = out[i + 1]! - 128;
        const cr = out[i + 2]! - 128;
        out[i] = clampByte(y + 1.402 * cr);
        out[i + 1] = clampByte(y - 0.344136 * cb - 0.714136 * cr);
        out[i + 2] = clampByte(y + 1.772 * cb);
      }
    }
    return makeImage("RGB", cols, rows, out, { ...source, photometric });
  }
  if (samples !== 1 || (photometric !== "MONOCHROME1" && photometric !== "MONOCHROME2")) {
    throw new ImageDecodeError(
      "UNSUPPORTED_FORMAT",
      name,
      `photometric interpretation ${photometric} with ${samples} samples per pixel is not supported`,
    );
  }

  // stored values -> modality values
  const n = rows * cols;
  const values = new Float64Array(n);
  const storedMask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const signBit = 2 ** (bitsStored - 1);
  const slope = numbers(ds, "x00281053")[0] ?? 1;
  const intercept = numbers(ds, "x00281052")[0] ?? 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    let raw =
      bitsAllocated === 8
        ? view.getUint8(i)
        : bitsAllocated === 16
          ? view.getUint16(i * 2, !bigEndian)
          : view.getUint32(i * 4, !bigEndian);
    if (bitsStored < 32) {
      raw = raw % (storedMask + 1);
      if (signed && raw >= signBit) raw -= 2 * signBit;
    } else if (signed && raw >= 2 ** 31) {
      raw -= 2 ** 32;
    }
    const v = raw * slope + intercept;
    values[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }

  const out = new Uint8Array(n);
  const centers = numbers(ds, "x00281050");
  const widths = numbers(ds, "x00281051");
  const voiLut = ds.elements["x00283010"]?.items?.[0]?.dataSet;
  let voi: Voi | undefined;
  if (centers.length > 0 && widths.length > 0 && widths[0]! > 0) {
    voi = {
      kind: "window",
      center: centers[0]!,
      width: widths[0]!,
      fn: (ds.string("x00281056") ?? "LINEAR").trim().toUpperCase(),
    };
  }
  if (voi) {
    applyWindow(values, out, voi);
  } else if (voiLut?.elements["x00283006"] && voiLut.elements["x00283002"]) {
    applyVoiLut(values, out, voiLut, signed);
  } else {
    // no VOI: map the full range of modality values to 0..255
    const span = max - min;
    for (let i = 0; i < n; i++) out[i] = span > 0 ? Math.round(((values[i]! - min) / span) * 255) : 0;
  }
  if (photometric === "MONOCHROME1") for (let i = 0; i < n; i++) out[i] = 255 - out[i]!;
  return makeImage("L", cols, rows, out, source);
}

function clampByte(v: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : Math.min(r, 255);
}

/** DICOM PS3.3 C.11.2.1.2: LINEAR, LINEAR_EXACT and SIGMOID VOI functions, output 0..255. */
function applyWindow(values: Float64Array, out: Uint8Array, voi: Voi): void {
  const { center: c, width: w, fn } = voi;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    let y: number;
    if (fn === "SIGMOID") {
      y = 255 / (1 + Math.exp((-4 * (x - c)) / w));
    } else if (fn === "LINEAR_EXACT") {
      y = x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : ((x - c) / w + 0.5) * 255;
    } else {
      const lo = c - 0.5 - (w - 1) / 2;
      const hi = c - 0.5 + (w - 1) / 2;
      y = x <= lo ? 0 : x > hi ? 255 : w <= 1 ? 255 : ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
    }
    out[i] = clampByte(y);
  }
}

/** The first item of the VOI LUT Sequence: descriptor (entries, first mapped value, bits), LUT data. */
function applyVoiLut(values: Float64Array, out: Uint8Array, lut: DataSet, signed: boolean): void {
  const entries = lut.uint16("x00283002", 0) || 65536;
  const first = (signed ? lut.int16("x00283002", 1) : lut.uint16("x00283002", 1)) ?? 0;
  const bits = lut.uint16("x00283002", 2) ?? 16;
  const data = lut.elements["x00283006"]!;
  const wide = data.length >= entries * 2;
  const table = new Float64Array(entries);
  let maxEntry = 0;
  for (let k = 0; k < entries; k++) {
    const v = wide ? (lut.uint16("x00283006", k) ?? 0) : (lut.byteArray[data.dataOffset + k] ?? 0);
    table[k] = v;
    if (v > maxEntry) maxEntry = v;
  }
  const top = Math.max(2 ** Math.min(bits, 16) - 1, maxEntry, 1);
  for (let i = 0; i < values.length; i++) {
    let k = Math.round(values[i]!) - first;
    if (k < 0) k = 0;
    else if (k >= entries) k = entries - 1;
    out[i] = clampByte((table[k]! / top) * 255);
  }
}
