import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptionCache } from "../src/cache.ts";
import { pixelDigest } from "../src/pixels.ts";
import { syntheticImage } from "./helpers.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("corruption cache", () => {
  it("stores viewable PNGs that decode to the same pixels (8/16-bit, grey/RGB)", async () => {
    const root = await mkdtemp(join(tmpdir(), "cxr-eval-cache-"));
    dirs.push(root);
    const cache = new CorruptionCache(root);
    const cases = [
      syntheticImage(23, 17, 1, false),
      syntheticImage(23, 17, 1, true),
      syntheticImage(23, 17, 3, false),
      syntheticImage(23, 17, 3, true),
    ];
    for (const [i, img] of cases.entries()) {
      const key = {
        imageSha256: "ab".repeat(32),
        imageKey: `p1/s${i}/img.dcm`,
        family: "occlusion",
        level: 0.3,
        protocolKey: "f".repeat(64),
      };
      const sixteen = img.data instanceof Uint16Array;
      expect(await cache.get(key)).toBeUndefined();
      const file = await cache.put(key, img);
      expect(file.startsWith(join(root, "f".repeat(64), "occlusion-0.3"))).toBe(true);
      const meta = await sharp(file).metadata();
      expect(meta.format).toBe("png");
      expect(meta.depth).toBe(sixteen ? "ushort" : "uchar");
      expect(meta.channels).toBe(img.channels); // grey stays grey on disk
      const back = await cache.get(key);
      expect(back?.data instanceof Uint16Array).toBe(sixteen);
      expect(back?.channels).toBe(img.channels);
      expect(back && pixelDigest(back)).toBe(pixelDigest(img));
    }
    const files = await readdir(join(root, "f".repeat(64), "occlusion-0.3"));
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(files).toHaveLength(4);
  });

  it("keys on level, protocol and image key", () => {
    const cache = new CorruptionCache("/c");
    const k = {
      imageSha256: "ab".repeat(32),
      imageKey: "a/b",
      family: "occlusion",
      level: 0.1,
      protocolKey: "1".repeat(64),
    };
    const paths = new Set([
      cache.path(k),
      cache.path({ ...k, level: 0.2 }),
      cache.path({ ...k, protocolKey: "2".repeat(64) }),
      cache.path({ ...k, imageKey: "a_b" }),
      cache.path({ ...k, imageSha256: "cd".repeat(32) }),
    ]);
    expect(paths.size).toBe(5);
  });
});

describe("corruption cache size limit", () => {
  const key = (i: number, protocolKey = "k1") => ({
    imageSha256: String(i).padStart(64, "0"),
    imageKey: `img${i}`,
    family: "occlusion",
    level: 0.3,
    protocolKey,
  });
  // Noise does not compress: each PNG is about 40 x 40 bytes plus headers.
  const noisy = (seed: number) => {
    const data = new Uint8Array(40 * 40);
    let x = seed + 1;
    for (let i = 0; i < data.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      data[i] = x >>> 24;
    }
    return { width: 40, height: 40, channels: 1 as const, data };
  };

  it("evicts the least recently used PNGs (a hit counts as a use) to stay under its limit", async () => {
    const root = await mkdtemp(join(tmpdir(), "cxr-eval-cache-lru-"));
    dirs.push(root);
    const probe = new CorruptionCache(join(root, "probe"));
    const one = (await import("node:fs")).statSync(await probe.put(key(0), noisy(0))).size;
    const cache = new CorruptionCache(join(root, "c"), { maxBytes: Math.floor(one * 4.2) });
    const { utimes } = await import("node:fs/promises");
    // Four files with distinct, increasing use times.
    for (let i = 0; i < 4; i++) {
      const file = await cache.put(key(i), noisy(i));
      await utimes(file, new Date(1_000_000 + i * 1000), new Date(1_000_000 + i * 1000));
    }
    // Using image 0 makes image 1 the least recently used.
    expect(await cache.get(key(0))).toBeDefined();
    await cache.put(key(4), noisy(4)); // above the limit: evict to 90% of it
    const { cacheFiles, cacheUsage } = await import("../src/cache.ts");
    const left = (await cacheFiles(join(root, "c"))).map((f) => f.path.match(/img(\d)/)![1]).sort();
    expect(left).toEqual(["0", "3", "4"]);
    const usage = cacheUsage(await cacheFiles(join(root, "c")));
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ protocolKey: "k1", files: 3 });
    expect(usage[0]!.bytes).toBeLessThanOrEqual(Math.floor(one * 4.2));
    expect(await cache.get(key(1))).toBeUndefined();
    expect(pixelDigest((await cache.get(key(4)))!)).toBe(pixelDigest(noisy(4)));
  });

  it("evictCache prunes one protocol key or everything, and removes emptied folders", async () => {
    const { cacheFiles, evictCache } = await import("../src/cache.ts");
    const root = await mkdtemp(join(tmpdir(), "cxr-eval-cache-prune-"));
    dirs.push(root);
    const cache = new CorruptionCache(root);
    for (let i = 0; i < 3; i++) await cache.put(key(i, "k1"), noisy(i));
    for (let i = 0; i < 2; i++) await cache.put(key(i, "k2"), noisy(i));
    const k2Bytes = (await cacheFiles(root))
      .filter((f) => f.protocolKey === "k2")
      .reduce((a, f) => a + f.bytes, 0);
    expect(await evictCache(root, 0, "k2")).toEqual({ files: 2, bytes: k2Bytes });
    expect(await readdir(root)).toEqual(["k1"]);
    expect((await evictCache(root, 0)).files).toBe(3);
    expect(await cacheFiles(root)).toEqual([]);
  });
});
