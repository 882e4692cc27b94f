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
