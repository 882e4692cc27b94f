import { createHash } from "node:crypto";

/**
 * A decoded source image: what encoders' decoders produce and what corruptions render. Rows top to
 * bottom, pixels left to right, channels interleaved. 8-bit (Uint8Array) or 16-bit (Uint16Array) values.
 */
export interface DecodedPixels {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array | Uint16Array;
}

export function maxValue(img: DecodedPixels): number {
  return img.data instanceof Uint16Array ? 65535 : 255;
}

export function bitDepth(img: DecodedPixels): 8 | 16 {
  return img.data instanceof Uint16Array ? 16 : 8;
}

export function assertPixels(img: DecodedPixels): void {
  const { width, height, channels, data } = img;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`bad image size ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`unsupported channel count ${channels}`);
  if (!(data instanceof Uint8Array || data instanceof Uint16Array))
    throw new Error("pixels must be Uint8Array or Uint16Array");
  if (data.length !== width * height * channels) {
    throw new Error(`pixel buffer holds ${data.length} values, expected ${width * height * channels}`);
  }
}

/** An empty image of the same size, depth and channels. */
export function like(img: DecodedPixels): DecodedPixels {
  const data =
    img.data instanceof Uint16Array ? new Uint16Array(img.data.length) : new Uint8Array(img.data.length);
  return { width: img.width, height: img.height, channels: img.channels, data };
}

export function clonePixels(img: DecodedPixels): DecodedPixels {
  return { width: img.width, height: img.height, channels: img.channels, data: img.data.slice() };
}

/**
 * sha256 (hex) over `cxr-pixels/1 ${width}x${height}x${channels} ${bits}\n` followed by the sample
 * values, little-endian for 16-bit. The golden hashes in the tests are of this form.
 */
export function pixelDigest(img: DecodedPixels): string {
  const h = createHash("sha256");
  h.update(`cxr-pixels/1 ${img.width}x${img.height}x${img.channels} ${bitDepth(img)}\n`);
  if (img.data instanceof Uint8Array) h.update(img.data);
  else {
    const b = new Uint8Array(img.data.length * 2);
    const v = new DataView(b.buffer);
    for (let i = 0; i < img.data.length; i++) v.setUint16(i * 2, img.data[i]!, true);
    h.update(b);
  }
  return h.digest("hex");
}

/** Per-channel mean, rounded half up to an integer sample value. */
export function channelMeans(img: DecodedPixels): number[] {
  const sums = new Array<number>(img.channels).fill(0);
  const d = img.data;
  for (let i = 0; i < d.length; i++) sums[i % img.channels]! += d[i]!;
  const n = img.width * img.height;
  return sums.map((s) => Math.floor(s / n + 0.5));
}
