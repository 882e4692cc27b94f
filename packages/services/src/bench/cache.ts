import path from "node:path";
import { type CacheUsage, cacheFiles, cacheUsage, evictCache } from "@cxr/eval";
import { BenchError } from "./errors.ts";

/**
 * The corruption cache's use cases (`cxr cache list|prune`): what `<dataDir>/corruptions` holds per
 * protocol key, and removing it (all, one protocol key, or least recently used files down to a size).
 */

/** Default size limit of the corruption cache during a run: 4 GiB (least recently used PNGs go first). */
export const DEFAULT_CACHE_MAX_BYTES = 4 * 1024 ** 3;

export function corruptionCacheDir(config: { dataDir: string }): string {
  return path.join(config.dataDir, "corruptions");
}

export interface CacheListing {
  root: string;
  files: number;
  bytes: number;
  protocols: CacheUsage[];
}

export async function listCorruptionCache(config: { dataDir: string }, root?: string): Promise<CacheListing> {
  const dir = path.resolve(root ?? corruptionCacheDir(config));
  const protocols = cacheUsage(await cacheFiles(dir));
  return {
    root: dir,
    files: protocols.reduce((a, p) => a + p.files, 0),
    bytes: protocols.reduce((a, p) => a + p.bytes, 0),
    protocols,
  };
}

export interface PruneOptions {
  /** Only this protocol key's images (a full key or a unique prefix of at least 8 characters). */
  protocolKey?: string;
  /** Keep at most this many bytes (least recently used go first); default 0: remove everything. */
  maxBytes?: number;
  root?: string;
}

export async function pruneCorruptionCache(
  config: { dataDir: string },
  options: PruneOptions = {},
): Promise<{ root: string; removedFiles: number; removedBytes: number; left: CacheListing }> {
  const dir = path.resolve(options.root ?? corruptionCacheDir(config));
  const maxBytes = options.maxBytes ?? 0;
  if (!(Number.isInteger(maxBytes) && maxBytes >= 0))
    throw new BenchError(
      "INVALID_ARGUMENT",
      `the size to keep must be a whole number of bytes, got ${maxBytes}`,
    );
  let key: string | undefined;
  if (options.protocolKey !== undefined) {
    const wanted = options.protocolKey;
    if (wanted.length < 8)
      throw new BenchError("INVALID_ARGUMENT", "a protocol key prefix needs at least 8 characters");
    const matches = (await listCorruptionCache(config, dir)).protocols.filter((p) =>
      p.protocolKey.startsWith(wanted),
    );
    if (matches.length === 0)
      throw new BenchError("INVALID_ARGUMENT", `the cache holds no images of protocol key ${wanted}`);
    if (matches.length > 1)
      throw new BenchError(
        "INVALID_ARGUMENT",
        `protocol key prefix ${wanted} matches ${matches.length} keys`,
      );
    key = matches[0]!.protocolKey;
  }
  const removed = await evictCache(dir, maxBytes, key);
  return {
    root: dir,
    removedFiles: removed.files,
    removedBytes: removed.bytes,
    left: await listCorruptionCache(config, dir),
  };
}
