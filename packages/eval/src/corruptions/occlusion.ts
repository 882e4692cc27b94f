import { assertPixels, channelMeans, clonePixels, type DecodedPixels, maxValue } from "../pixels.ts";
import { permutation, Sfc32 } from "../prng.ts";
import type { OcclusionParams } from "../protocol.ts";

export interface RenderContext {
  seed: number;
  /** Stable key of the source image (e.g. its dataset image id); seeds its permutation and noise. */
  imageKey: string;
}

/** Cell bounds of a G x G grid: column i spans x in [floor(i*W/G), floor((i+1)*W/G)), rows alike. */
export function cellEdges(size: number, grid: number): number[] {
  return Array.from({ length: grid + 1 }, (_, i) => Math.floor((i * size) / grid));
}

/** The per-image cell order: Fisher–Yates over G*G cells (row-major ids) with sfc32(`${seed}:${imageKey}`). */
export function cellPermutation(grid: number, ctx: RenderContext): Uint32Array {
  return permutation(grid * grid, Sfc32.fromLabel(`${ctx.seed}:${ctx.imageKey}`));
}

/** Number of occluded cells at level p: round half up of p*G*G. */
export function occludedCellCount(level: number, grid: number): number {
  return Math.floor(level * grid * grid + 0.5);
}

/** Centred block of area fraction p: side round(W*sqrt(p)) x round(H*sqrt(p)), left/top floor((W-w)/2). */
export function centredBlock(width: number, height: number, level: number) {
  const s = Math.sqrt(level);
  const w = Math.min(width, Math.floor(width * s + 0.5));
  const h = Math.min(height, Math.floor(height * s + 0.5));
  return { x0: Math.floor((width - w) / 2), y0: Math.floor((height - h) / 2), w, h };
}

/** 1 where a pixel is occluded at this level, row-major, one byte per pixel. */
export function occlusionMask(
  width: number,
  height: number,
  params: OcclusionParams,
  level: number,
  ctx: RenderContext,
): Uint8Array {
  const mask = new Uint8Array(width * height);
  if (params.pattern === "block") {
    const { x0, y0, w, h } = centredBlock(width, height, level);
    for (let y = y0; y < y0 + h; y++) mask.fill(1, y * width + x0, y * width + x0 + w);
    return mask;
  }
  const G = params.grid;
  const xs = cellEdges(width, G);
  const ys = cellEdges(height, G);
  const perm = cellPermutation(G, ctx);
  const k = occludedCellCount(level, G);
  for (let n = 0; n < k; n++) {
    const cell = perm[n]!;
    const i = cell % G;
    const j = Math.floor(cell / G);
    for (let y = ys[j]!; y < ys[j + 1]!; y++) mask.fill(1, y * width + xs[i]!, y * width + xs[i + 1]!);
  }
  return mask;
}

/**
 * Occlusion at level p. Fill: black (0); mean (each channel's mean over the whole uncorrupted image,
 * rounded half up); noise (one uniform value in [0, max] per pixel, the same on every channel, drawn in
 * raster order over the whole image from sfc32(`${seed}:${imageKey}:noise`) with nextBelow(max + 1), so
 * a pixel's noise does not depend on the level and higher levels only add occluded pixels).
 */
export function renderOcclusion(
  img: DecodedPixels,
  params: OcclusionParams,
  level: number,
  ctx: RenderContext,
): DecodedPixels {
  assertPixels(img);
  const out = clonePixels(img);
  if (level === 0) return out;
  const mask = occlusionMask(img.width, img.height, params, level, ctx);
  const C = img.channels;
  const d = out.data;
  if (params.fill === "black") {
    for (let p = 0; p < mask.length; p++) if (mask[p]) for (let c = 0; c < C; c++) d[p * C + c] = 0;
  } else if (params.fill === "mean") {
    const means = channelMeans(img);
    for (let p = 0; p < mask.length; p++) if (mask[p]) for (let c = 0; c < C; c++) d[p * C + c] = means[c]!;
  } else {
    const rng = Sfc32.fromLabel(`${ctx.seed}:${ctx.imageKey}:noise`);
    const range = maxValue(img) + 1;
    const u = new Uint32Array(4096);
    for (let p0 = 0; p0 < mask.length; p0 += u.length) {
      const m = Math.min(u.length, mask.length - p0);
      rng.fill(m === u.length ? u : u.subarray(0, m));
      for (let k = 0; k < m; k++) {
        const p = p0 + k;
        if (!mask[p]) continue;
        const v = Math.floor((u[k]! * range) / 4294967296); // = nextBelow(range)
        for (let c = 0; c < C; c++) d[p * C + c] = v;
      }
    }
  }
  return out;
}
