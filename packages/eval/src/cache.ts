import { mkdir, readdir, readFile, rename, rmdir, stat, unlink, utimes, writeFile } from "node:fs/promises";
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

/** One cached PNG: where, how big, when last read or written (its mtime). */
export interface CacheFile {
  path: string;
  protocolKey: string;
  bytes: number;
  lastUsedMs: number;
}

/** What the cache holds per protocol key. */
export interface CacheUsage {
  protocolKey: string;
  files: number;
  bytes: number;
  /** ISO time of the most recent read or write, null when empty. */
  lastUsed: string | null;
}

export interface CacheOptions {
  /**
   * Size limit in bytes: after a write that takes the cache above it, the least recently used PNGs
   * (oldest mtime; a hit touches its file) are deleted until it is at 90% of the limit. Default none.
   */
  maxBytes?: number;
}

/** Every PNG under `root` (all protocol keys). A missing root is an empty cache. */
export async function cacheFiles(root: string): Promise<CacheFile[]> {
  const out: CacheFile[] = [];
  const walk = async (dir: string, protocolKey: string | null): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full, protocolKey ?? e.name);
      else if (e.isFile() && e.name.endsWith(".png") && protocolKey !== null) {
        const st = await stat(full).catch(() => undefined);
        if (st) out.push({ path: full, protocolKey, bytes: st.size, lastUsedMs: st.mtimeMs });
      }
    }
  };
  await walk(root, null);
  return out;
}

/** Per protocol key: files, bytes, last use; sorted by key. */
export function cacheUsage(files: readonly CacheFile[]): CacheUsage[] {
  const by = new Map<string, CacheUsage & { last: number }>();
  for (const f of files) {
    const u = by.get(f.protocolKey) ?? {
      protocolKey: f.protocolKey,
      files: 0,
      bytes: 0,
      lastUsed: null,
      last: Number.NEGATIVE_INFINITY,
    };
    u.files++;
    u.bytes += f.bytes;
    u.last = Math.max(u.last, f.lastUsedMs);
    by.set(f.protocolKey, u);
  }
  return [...by.values()]
    .map(({ last, ...u }) => ({
      ...u,
      lastUsed: Number.isFinite(last) ? new Date(last).toISOString() : null,
    }))
    .sort((a, b) => (a.protocolKey < b.protocolKey ? -1 : a.protocolKey > b.protocolKey ? 1 : 0));
}

/**
 * Deletes least recently used PNGs until the cache holds at most `maxBytes` (0 = everything), then
 * empty folders. Only files of `protocolKey` when given. Returns what was removed.
 */
export async function evictCache(
  root: string,
  maxBytes: number,
  protocolKey?: string,
  removeEmptyFolders = true,
): Promise<{ files: number; bytes: number }> {
  const all = await cacheFiles(root);
  const mine = protocolKey === undefined ? all : all.filter((f) => f.protocolKey === protocolKey);
  let total = mine.reduce((a, f) => a + f.bytes, 0);
  const removed = { files: 0, bytes: 0 };
  for (const f of [...mine].sort((a, b) => a.lastUsedMs - b.lastUsedMs)) {
    if (total <= maxBytes) break;
    await unlink(f.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    total -= f.bytes;
    removed.files++;
    removed.bytes += f.bytes;
  }
  if (removeEmptyFolders) await removeEmptyDirs(root);
  return removed;
}

async function removeEmptyDirs(dir: string): Promise<boolean> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory() && (await removeEmptyDirs(join(dir, e.name)))) continue;
    empty = false;
  }
  if (empty) await rmdir(dir).catch(() => {});
  return empty;
}

/**
 * Disk cache of rendered corrupted images as viewable PNGs:
 * `<root>/<protocolKey>/<family>-<level>/<imageKey, sanitised>-<sha256(imageKey)[0:8]>-<imageSha256[0:16]>.png`.
 * Writes go to a temporary file renamed into place, so a killed run leaves no partial PNG. With
 * `maxBytes`, it stays under a size limit by evicting the least recently used PNGs.
 */
export class CorruptionCache {
  /** Bytes under root as last counted plus what this instance wrote since (null: not counted yet). */
  private bytes: number | null = null;
  private evicting: Promise<unknown> = Promise.resolve();

  constructor(
    readonly root: string,
    readonly options: CacheOptions = {},
  ) {}

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
    if (this.options.maxBytes !== undefined) {
      // A hit is a use: least recently used = oldest mtime.
      const now = new Date();
      await utimes(this.path(key), now, now).catch(() => {});
    }
    return decodePng(png);
  }

  async put(key: CacheKey, img: DecodedPixels): Promise<string> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const png = await encodePng(img);
    await writeFile(tmp, png);
    await rename(tmp, file);
    const limit = this.options.maxBytes;
    if (limit !== undefined) {
      if (this.bytes === null) this.bytes = (await cacheFiles(this.root)).reduce((a, f) => a + f.bytes, 0);
      else this.bytes += png.length;
      if (this.bytes > limit) {
        // One eviction at a time; down to 90% so that the next writes do not each trigger a scan.
        this.evicting = this.evicting.then(async () => {
          if (this.bytes !== null && this.bytes > limit) {
            // Folders stay: a concurrent write may be about to use one.
            await evictCache(this.root, Math.floor(limit * 0.9), undefined, false);
            this.bytes = (await cacheFiles(this.root)).reduce((a, f) => a + f.bytes, 0);
          }
        });
        // A failed eviction leaves the cache larger, never the run failed.
        this.evicting = this.evicting.catch(() => {});
        await this.evicting;
      }
    }
    return file;
  }
}
