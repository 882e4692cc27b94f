import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { renderCorruption } from "../src/corruptions/index.ts";
import {
  cellEdges,
  centredBlock,
  occludedCellCount,
  occlusionMask,
  renderOcclusion,
} from "../src/corruptions/occlusion.ts";
import { channelMeans, type DecodedPixels, pixelDigest } from "../src/pixels.ts";
import { parseProtocol } from "../src/protocol.ts";
import { FAMILIES, JPEG_LINUX_X64_SHARP_0_35_5, OCCLUSION_0_3, SOURCE } from "./golden.ts";
import { syntheticImage } from "./helpers.ts";

const images: Record<string, DecodedPixels> = {
  g8: syntheticImage(37, 29, 1, false),
  g16: syntheticImage(37, 29, 1, true),
  rgb8: syntheticImage(37, 29, 3, false),
};
const ctx = { seed: 7, imageKey: "img-1" };
const occ = (fill: "black" | "mean" | "noise" = "black", pattern: "cells" | "block" = "cells", grid = 8) =>
  parseProtocol({ corruption: { family: "occlusion", fill, pattern, grid } }).corruption as {
    family: "occlusion";
    grid: number;
    fill: "black" | "mean" | "noise";
    pattern: "cells" | "block";
  };

describe("occlusion geometry", () => {
  it("cell edges are floor(i*W/G) and counts round half up", () => {
    expect(cellEdges(37, 8)).toEqual([0, 4, 9, 13, 18, 23, 27, 32, 37]);
    expect(occludedCellCount(0.1, 8)).toBe(6); // 6.4
    expect(occludedCellCount(0.5, 8)).toBe(32);
    expect(occludedCellCount(0.3, 8)).toBe(19); // 19.2
    expect(occludedCellCount(1.5 / 64, 8)).toBe(2); // 1.5 rounds up
    expect(occludedCellCount(0, 8)).toBe(0);
  });

  it("level p hides exactly the first round(p*G*G) cells, nested across levels", () => {
    const W = 40;
    const H = 24; // cells of 5 x 3 pixels
    let previous: Uint8Array = new Uint8Array(W * H);
    for (const level of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 1]) {
      const mask = occlusionMask(W, H, occ(), level, ctx);
      const hidden = mask.reduce((a, b) => a + b, 0);
      expect(hidden).toBe(occludedCellCount(level, 8) * 15);
      for (let i = 0; i < mask.length; i++) if (previous[i]) expect(mask[i]).toBe(1);
      previous = mask;
    }
    expect(previous.every((v) => v === 1)).toBe(true);
  });

  it("the permutation depends on seed and image key", () => {
    const a = occlusionMask(32, 32, occ(), 0.3, ctx);
    expect(occlusionMask(32, 32, occ(), 0.3, { seed: 8, imageKey: "img-1" })).not.toEqual(a);
    expect(occlusionMask(32, 32, occ(), 0.3, { seed: 7, imageKey: "img-2" })).not.toEqual(a);
    expect(occlusionMask(32, 32, occ(), 0.3, { ...ctx })).toEqual(a);
  });

  it("block pattern is one centred block of area fraction p, nested", () => {
    expect(centredBlock(100, 60, 0.25)).toEqual({ x0: 25, y0: 15, w: 50, h: 30 });
    let prev: Uint8Array = new Uint8Array(100 * 60);
    for (const level of [0, 0.1, 0.2, 0.3, 0.5, 0.9]) {
      const m = occlusionMask(100, 60, occ("black", "block"), level, ctx);
      const area = m.reduce((a, b) => a + b, 0) / m.length;
      expect(Math.abs(area - level)).toBeLessThan(0.03);
      for (let i = 0; i < m.length; i++) if (prev[i]) expect(m[i]).toBe(1);
      prev = m;
    }
  });
});

describe("occlusion fills", () => {
  it("black zeroes exactly the masked pixels; mean uses the channel means", () => {
    const img = images["rgb8"]!;
    const mask = occlusionMask(img.width, img.height, occ(), 0.3, ctx);
    const black = renderOcclusion(img, occ("black"), 0.3, ctx);
    const mean = renderOcclusion(img, occ("mean"), 0.3, ctx);
    const means = channelMeans(img);
    for (let p = 0; p < mask.length; p++) {
      for (let c = 0; c < 3; c++) {
        const i = p * 3 + c;
        expect(black.data[i]).toBe(mask[p] ? 0 : img.data[i]);
        expect(mean.data[i]).toBe(mask[p] ? means[c] : img.data[i]);
      }
    }
  });

  it("noise is the same per pixel at every level (nested) and identical across channels", () => {
    const img = images["rgb8"]!;
    const a = renderOcclusion(img, occ("noise"), 0.2, ctx);
    const b = renderOcclusion(img, occ("noise"), 0.5, ctx);
    const maskA = occlusionMask(img.width, img.height, occ(), 0.2, ctx);
    let noisy = 0;
    for (let p = 0; p < maskA.length; p++) {
      if (!maskA[p]) continue;
      expect(b.data[p * 3]).toBe(a.data[p * 3]);
      expect(a.data[p * 3 + 1]).toBe(a.data[p * 3]);
      if (a.data[p * 3] !== img.data[p * 3]) noisy++;
    }
    expect(noisy).toBeGreaterThan(0);
  });

  it("leaves the source untouched and level 0 is the identity", () => {
    const img = images["g16"]!;
    const before = pixelDigest(img);
    renderOcclusion(img, occ("noise"), 0.5, ctx);
    expect(pixelDigest(img)).toBe(before);
    expect(pixelDigest(renderOcclusion(img, occ(), 0, ctx))).toBe(before);
  });
});

describe("golden hashes (deterministic to the byte)", () => {
  it("synthetic inputs", () => {
    for (const [name, img] of Object.entries(images))
      expect(pixelDigest(img), name).toBe(SOURCE[name as keyof typeof SOURCE]);
  });

  it("occlusion, every fill and pattern, 8/16-bit grey and RGB", async () => {
    for (const [key, want] of Object.entries(OCCLUSION_0_3)) {
      const [fill, pattern, name] = key.split(" ") as ["black" | "mean" | "noise", "cells" | "block", string];
      const out = await renderCorruption(images[name]!, occ(fill, pattern), 0.3, ctx);
      expect(pixelDigest(out), key).toBe(want);
    }
  });

  it("gaussian noise, blur, contrast, downsampling at severities 1, 3, 5", async () => {
    for (const [key, want] of Object.entries(FAMILIES)) {
      const [family, name, s] = key.split(" ") as [string, string, string];
      const c = parseProtocol({ corruption: { family: family as "contrast" } }).corruption;
      expect(pixelDigest(await renderCorruption(images[name]!, c, Number(s), ctx)), key).toBe(want);
    }
  });

  const pinned = process.platform === "linux" && process.arch === "x64" && sharp.versions.sharp === "0.35.5";
  it("JPEG: reproducible run to run; pinned hashes on sharp 0.35.5 linux-x64", async () => {
    const c = parseProtocol({ corruption: { family: "jpeg" } }).corruption;
    for (const [key, want] of Object.entries(JPEG_LINUX_X64_SHARP_0_35_5)) {
      const [name, s] = key.split(" ") as [string, string];
      const a = pixelDigest(await renderCorruption(images[name]!, c, Number(s), ctx));
      const b = pixelDigest(await renderCorruption(images[name]!, c, Number(s), ctx));
      expect(a).toBe(b);
      if (pinned) expect(a, key).toBe(want);
    }
  });
});

describe("severity families behave as named", () => {
  const std = (img: DecodedPixels) => {
    const d = Array.from(img.data);
    const m = d.reduce((a, b) => a + b, 0) / d.length;
    return Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length);
  };
  const big = syntheticImage(96, 80, 1, false);
  const render = (family: string, s: number) =>
    renderCorruption(big, parseProtocol({ corruption: { family: family as "contrast" } }).corruption, s, ctx);

  it("contrast shrinks the spread, more at higher severity", async () => {
    const s1 = std(await render("contrast", 1));
    const s5 = std(await render("contrast", 5));
    expect(s1).toBeLessThan(std(big));
    expect(s5).toBeLessThan(s1);
  });

  it("blur smooths neighbouring differences, more at higher severity", async () => {
    const tv = (img: DecodedPixels) => {
      let t = 0;
      for (let i = 1; i < img.data.length; i++) t += Math.abs(img.data[i]! - img.data[i - 1]!);
      return t;
    };
    const t1 = tv(await render("gaussian_blur", 1));
    expect(t1).toBeLessThan(tv(big));
    expect(tv(await render("gaussian_blur", 5))).toBeLessThan(t1);
  });

  it("downsampling leaves blocks of equal pixels; noise changes most pixels", async () => {
    const d = await render("downsample", 5); // short side round(0.25 * 80) = 20: 4x4 blocks
    expect(d.data[0]).toBe(d.data[1]);
    expect(d.data[0]).toBe(d.data[96]);
    const n = await render("gaussian_noise", 3);
    let changed = 0;
    for (let i = 0; i < n.data.length; i++) if (n.data[i] !== big.data[i]) changed++;
    expect(changed / n.data.length).toBeGreaterThan(0.8);
  });

  it("severity 0 is the clean image for every family", async () => {
    for (const f of ["gaussian_noise", "gaussian_blur", "contrast", "jpeg", "downsample"]) {
      expect(pixelDigest(await render(f, 0))).toBe(pixelDigest(big));
    }
  });
});
