import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { sha256Hex } from "./hash.ts";
import { assertPixels, type DecodedPixels } from "./pixels.ts";

/** What identifies one rendered image. */
export interface CacheKey {
  /** sha256 (hex) of the source image file. */
  imageSha256: string;
  /** The image key that seeded the rendering. */
  imageKey: string;
  family: string;
  level: number;
  protocolKey: string;
}

/** Lossless PNG of decoded pixels (8- or 16-bit, grey or RGB) via sharp. */
export async function encodePng(img: DecodedPixels): Promise<Buffer> {
  assertPixels(img);
  const sixteen = img.data instanceof Uint16Array;
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  // Explicit colourspaces, or libvips writes 8-bit grey as RGB.
  s = s.toColourspace(img.channels === 1 ? (sixteen ? "grey16" : "b-w") : sixteen ? "rgb16" : "srgb");
  return s.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
}

/** Decodes a PNG written by encodePng back to the same pixels (channels and depth from its header). */
export async function decodePng(png: Uint8Array): Promise<DecodedPixels> {
  const meta = await sharp(png).metadata();
  const channels: 1 | 3 = meta.channels === 1 ? 1 : 3;
  if (meta.channels !== 1 && meta.channels !== 3) throw new Error(`cached PNG has ${meta.channels} channels`);
  const sixteen = meta.depth === "ushort";
  const space = channels === 1 ? (sixteen ? "grey16" : "b-w") : sixteen ? "rgb16" : "srgb";
  const { data, info } = await sharp(png)
    .toColourspace(space)
    .raw(sixteen ? { depth: "ushort" } : {})
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels)
    throw new Error(`cached PNG has ${info.channels} channels, expected ${channels}`);
  const pixels = sixteen
    ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length))
    : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  return { width: info.width, height: info.height, channels, data: pixels };
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
}

/**
 * Disk cache of rendered corrupted images as viewable PNGs:
 * `<root>/<protocolKey>/<family>-<level>/<imageKey, sanitised>-<sha256(imageKey)[0:8]>-<imageSha256[0:16]>.png`.
 * Writes go to a temporary file renamed into place, so a killed run leaves no partial PNG.
 */
export class CorruptionCache {
  constructor(readonly root: string) {}

  path(key: CacheKey): string {
    const name = `${safeName(key.imageKey)}-${sha256Hex(key.imageKey).slice(0, 8)}-${key.imageSha256.slice(0, 16)}.png`;
    return join(this.root, key.protocolKey, `${key.family}-${key.level}`, name);
  }

  async get(key: CacheKey): Promise<DecodedPixels | undefined> {
    let png: Buffer;
    try {
      png = await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return decodePng(png);
  }

  async put(key: CacheKey, img: DecodedPixels): Promise<string> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, await encodePng(img));
    await rename(tmp, file);
    return file;
  }
}
