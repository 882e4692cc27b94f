import sharp from "sharp";
import { assertPixels, clonePixels, type DecodedPixels, like, maxValue } from "../pixels.ts";
import { Sfc32 } from "../prng.ts";
import type { SeverityFamily } from "../protocol.ts";
import type { RenderContext } from "./occlusion.ts";

/**
 * Severity parameters (index = severity - 1), ImageNet-C's values adapted to radiographs:
 * - gaussian_noise: sigma as a fraction of the full range (ImageNet-C's), grey noise (same on all channels).
 * - gaussian_blur: sigma in pixels of a 224-pixel view (ImageNet-C's), scaled by max(1, min(W, H) / 224),
 *   since radiographs are large and every model sees them at about 224 (smaller images: ImageNet-C's pixels).
 * - contrast: factor c of (x - mean) * c + mean (ImageNet-C's).
 * - jpeg: quality (ImageNet-C's).
 * - downsample: ImageNet-C's pixelate factors of a 224-pixel view, i.e. a short side of
 *   round(c * min(min(W, H), 224)) pixels, block-averaged down and nearest-neighbour back up.
 */
export const SEVERITY_PARAMS: Record<SeverityFamily, readonly number[]> = {
  gaussian_noise: [0.08, 0.12, 0.18, 0.26, 0.38],
  gaussian_blur: [1, 2, 3, 4, 6],
  contrast: [0.4, 0.3, 0.2, 0.1, 0.05],
  jpeg: [25, 18, 15, 10, 7],
  downsample: [0.6, 0.5, 0.4, 0.3, 0.25],
};

function param(family: SeverityFamily, severity: number): number {
  const v = SEVERITY_PARAMS[family][severity - 1];
  if (v === undefined) throw new Error(`${family}: severity ${severity} is not in 1..5`);
  return v;
}

function clampRound(v: number, max: number): number {
  const r = Math.floor(v + 0.5);
  return Math.min(Math.max(r, 0), max);
}

/**
 * Gaussian noise: z = (v1 + ... + v12) / 65536 - 6 where v1..v12 are the high and low 16-bit halves of
 * six consecutive outputs of sfc32(`${seed}:${imageKey}:gaussian_noise`) (Irwin–Hall with 12 uniforms;
 * no transcendental functions, so the same on every machine), one z per pixel in raster order;
 * x' = clamp(floor(x + sigma * max * z + 0.5)), the same z on every channel (grey noise).
 */
export function gaussianNoise(img: DecodedPixels, severity: number, ctx: RenderContext): DecodedPixels {
  const sigma = param("gaussian_noise", severity) * maxValue(img);
  const rng = Sfc32.fromLabel(`${ctx.seed}:${ctx.imageKey}:gaussian_noise`);
  const out = like(img);
  const C = img.channels;
  const max = maxValue(img);
  const n = img.width * img.height;
  const chunk = 4096;
  const u = new Uint32Array(chunk * 6);
  const src = img.data;
  const dst = out.data;
  for (let p0 = 0; p0 < n; p0 += chunk) {
    const m = Math.min(chunk, n - p0);
    rng.fill(m === chunk ? u : u.subarray(0, m * 6));
    for (let k = 0; k < m; k++) {
      let s = 0;
      for (let i = k * 6; i < k * 6 + 6; i++) s += (u[i]! >>> 16) + (u[i]! & 0xffff);
      const noise = sigma * (s / 65536 - 6);
      const p = (p0 + k) * C;
      for (let c = 0; c < C; c++) dst[p + c] = clampRound(src[p + c]! + noise, max);
    }
  }
  return out;
}

/** One centred box blur of odd width d along one axis, edges clamped, each output rounded half up. */
function boxPass(
  src: Float64Array,
  dst: Float64Array,
  len: number,
  lines: number,
  stride: number,
  step: number,
  d: number,
) {
  const r = (d - 1) / 2;
  for (let l = 0; l < lines; l++) {
    const base = l * stride;
    const at = (i: number) => src[base + (i < 0 ? 0 : i >= len ? len - 1 : i) * step]!;
    let sum = 0;
    for (let i = -r; i <= r; i++) sum += at(i);
    for (let i = 0; i < len; i++) {
      dst[base + i * step] = Math.floor((2 * sum + d) / (2 * d));
      sum += at(i + r + 1) - at(i - r);
    }
  }
}

/**
 * Gaussian blur, sigma = c * max(1, min(W, H) / 224) pixels, approximated as SVG's feGaussianBlur does by three
 * successive box blurs of width d = floor(sigma * 3 * sqrt(2 * pi) / 4 + 0.5), made odd (d | 1), in x
 * then y each time; integer sums with edge clamping, rounded half up after every pass. Exact arithmetic.
 */
export function gaussianBlur(img: DecodedPixels, severity: number): DecodedPixels {
  const sigma = param("gaussian_blur", severity) * Math.max(1, Math.min(img.width, img.height) / 224);
  const d = Math.max(1, Math.floor((sigma * 3 * Math.sqrt(2 * Math.PI)) / 4 + 0.5)) | 1;
  const { width: W, height: H, channels: C } = img;
  const out = like(img);
  let a = new Float64Array(W * H);
  let b = new Float64Array(W * H);
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < W * H; p++) a[p] = img.data[p * C + c]!;
    for (let pass = 0; pass < 3; pass++) {
      boxPass(a, b, W, H, W, 1, d);
      [a, b] = [b, a];
      boxPass(a, b, H, W, 1, W, d);
      [a, b] = [b, a];
    }
    for (let p = 0; p < W * H; p++) out.data[p * C + c] = a[p]!;
  }
  return out;
}

/** Contrast: x' = clamp(round_half_up((x - m) * c + m)), m the channel's exact mean (float64). */
export function contrast(img: DecodedPixels, severity: number): DecodedPixels {
  const c = param("contrast", severity);
  const C = img.channels;
  const sums = new Array<number>(C).fill(0);
  for (let i = 0; i < img.data.length; i++) sums[i % C]! += img.data[i]!;
  const means = sums.map((s) => s / (img.width * img.height));
  const out = like(img);
  const max = maxValue(img);
  for (let i = 0; i < img.data.length; i++)
    out.data[i] = clampRound((img.data[i]! - means[i % C]!) * c + means[i % C]!, max);
  return out;
}

/**
 * JPEG round trip through sharp 0.35.5 (libjpeg-turbo, baseline, grey images as one-component JPEG,
 * colour 4:2:0, no mozjpeg / trellis /
 * optimised coding). 16-bit images go to 8-bit by round(x / 257) and come back as x8 * 257. Bytes are
 * reproducible with the same sharp build (same libjpeg-turbo and SIMD paths); other builds may differ.
 */
export async function jpegRoundTrip(img: DecodedPixels, severity: number): Promise<DecodedPixels> {
  const quality = param("jpeg", severity);
  const sixteen = img.data instanceof Uint16Array;
  let eight = img.data as Uint8Array;
  if (sixteen) {
    eight = new Uint8Array(img.data.length);
    for (let i = 0; i < eight.length; i++) eight[i] = Math.floor(img.data[i]! / 257 + 0.5);
  }
  const encoded = await sharp(eight, {
    raw: { width: img.width, height: img.height, channels: img.channels },
  })
    // explicit, or libvips writes grey input as a three-component JPEG
    .toColourspace(img.channels === 1 ? "b-w" : "srgb")
    .jpeg({
      quality,
      progressive: false,
      chromaSubsampling: "4:2:0",
      optimiseCoding: false,
      mozjpeg: false,
      trellisQuantisation: false,
      overshootDeringing: false,
      optimiseScans: false,
    })
    .toBuffer();
  const decoded = await sharp(encoded)
    .toColourspace(img.channels === 1 ? "b-w" : "srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (
    decoded.info.channels !== img.channels ||
    decoded.info.width !== img.width ||
    decoded.info.height !== img.height
  ) {
    throw new Error(
      `JPEG round trip changed the image shape to ${decoded.info.width}x${decoded.info.height}x${decoded.info.channels}`,
    );
  }
  const bytes = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
  let data: Uint8Array | Uint16Array = bytes.slice();
  if (sixteen) {
    data = new Uint16Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]! * 257;
  }
  return { width: img.width, height: img.height, channels: img.channels, data };
}

/**
 * Downsampling: short side s = round(c * min(min(W, H), 224)); f = min(1, s / min(W, H)); w = max(1, round(W f)),
 * h = max(1, round(H f)). Down: target pixel u averages source x in [floor(u W / w), floor((u+1) W / w))
 * (rows alike), rounded half up. Up: pixel x takes target floor(x w / W). Integer arithmetic.
 */
export function downsample(img: DecodedPixels, severity: number): DecodedPixels {
  const { width: W, height: H, channels: C } = img;
  const s = Math.floor(param("downsample", severity) * Math.min(Math.min(W, H), 224) + 0.5);
  const f = Math.min(1, s / Math.min(W, H));
  const w = Math.max(1, Math.floor(W * f + 0.5));
  const h = Math.max(1, Math.floor(H * f + 0.5));
  if (w === W && h === H) return clonePixels(img);
  const small = new Float64Array(w * h * C);
  for (let v = 0; v < h; v++) {
    const y0 = Math.floor((v * H) / h);
    const y1 = Math.floor(((v + 1) * H) / h);
    for (let u = 0; u < w; u++) {
      const x0 = Math.floor((u * W) / w);
      const x1 = Math.floor(((u + 1) * W) / w);
      const n = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += img.data[(y * W + x) * C + c]!;
        small[(v * w + u) * C + c] = Math.floor((2 * sum + n) / (2 * n));
      }
    }
  }
  const out = like(img);
  for (let y = 0; y < H; y++) {
    const v = Math.floor((y * h) / H);
    for (let x = 0; x < W; x++) {
      const u = Math.floor((x * w) / W);
      for (let c = 0; c < C; c++) out.data[(y * W + x) * C + c] = small[(v * w + u) * C + c]!;
    }
  }
  return out;
}

/** Renders one severity (0 = the clean image, copied). */
export async function renderSeverity(
  img: DecodedPixels,
  family: SeverityFamily,
  severity: number,
  ctx: RenderContext,
): Promise<DecodedPixels> {
  assertPixels(img);
  if (severity === 0) return clonePixels(img);
  switch (family) {
    case "gaussian_noise":
      return gaussianNoise(img, severity, ctx);
    case "gaussian_blur":
      return gaussianBlur(img, severity);
    case "contrast":
      return contrast(img, severity);
    case "jpeg":
      return jpegRoundTrip(img, severity);
    case "downsample":
      return downsample(img, severity);
  }
}
