/**
 * Pillow 9.4 image operations restated in TypeScript, bit for bit where Pillow is deterministic:
 * `resize` (separable convolution, support widened on downscale, 8-bit fixed point with rounding
 * and clamping between the horizontal and vertical passes; int32 double-precision path for mode I),
 * `convert`, `crop` (zero fill outside) and `paste` onto a new canvas.
 *
 * Written from Pillow's documented behaviour and src/libImaging/Resample.c; libvips (sharp) uses other
 * kernels and rounding, so it is only used for decoding.
 */
import { channelsOf, type DecodedImage, type ImageMode, makeImage, withPillowMode } from "../image/types.ts";

export type PillowFilter = "bicubic" | "bilinear" | "lanczos" | "nearest";

interface Filter {
  support: number;
  fn: (x: number) => number;
}

const BICUBIC_A = -0.5;

const FILTERS: Record<Exclude<PillowFilter, "nearest">, Filter> = {
  bilinear: {
    support: 1,
    fn: (x) => {
      const ax = x < 0 ? -x : x;
      return ax < 1 ? 1 - ax : 0;
    },
  },
  bicubic: {
    support: 2,
    fn: (x) => {
      const ax = x < 0 ? -x : x;
      if (ax < 1) return ((BICUBIC_A + 2) * ax - (BICUBIC_A + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * BICUBIC_A;
      return 0;
    },
  },
  lanczos: {
    support: 3,
    fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
};

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Per output index: first input index, tap count, and `ksize` normalised weights. */
export interface Coefficients {
  ksize: number;
  bounds: Int32Array; // [xmin, count] per output
  weights: Float64Array; // outSize * ksize
}

/** Pillow `precompute_coeffs` for a full-image box (in0 = 0, in1 = inSize). */
export function precomputeCoefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C `(int)(v + 0.5)` truncates toward zero
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const base = xx * ksize;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      weights[base + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) weights[base + x] = weights[base + x]! / ww;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Pillow `normalize_coeffs_8bpc`: round half away from zero to 22-bit fixed point. */
function fixedPoint(weights: Float64Array): Int32Array {
  const out = new Int32Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    out[i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
  }
  return out;
}

/** Pillow `clip8`: arithmetic shift right by PRECISION_BITS, then clamp to 0..255. */
function clip8(ss: number): number {
  // Pillow's accumulators are C ints (two spare bits keep them in range), so an int32 shift is exact
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

/** C `ROUND_UP`: round half away from zero, truncating to int. */
function roundUp(v: number): number {
  return Math.trunc(v >= 0 ? v + 0.5 : v - 0.5);
}

/** Horizontal pass of one grey row (no constant-row shortcut). */
function horizontalRow8(
  src: Uint8Array,
  rowBase: number,
  out: Uint8Array,
  outBase: number,
  outW: number,
  ksize: number,
  bounds: Int32Array,
  kk: Int32Array,
): void {
  for (let xx = 0; xx < outW; xx++) {
    const p0 = rowBase + bounds[xx * 2]!;
    const n = bounds[xx * 2 + 1]!;
    const k = xx * ksize;
    let ss = HALF;
    let x = 0;
    // integer sums are exact in any order: unrolled by 4
    for (; x + 3 < n; x += 4) {
      ss +=
        src[p0 + x]! * kk[k + x]! +
        src[p0 + x + 1]! * kk[k + x + 1]! +
        src[p0 + x + 2]! * kk[k + x + 2]! +
        src[p0 + x + 3]! * kk[k + x + 3]!;
    }
    for (; x < n; x++) ss += src[p0 + x]! * kk[k + x]!;
    out[outBase + xx] = clip8(ss);
  }
}

/** Horizontal pass of four consecutive grey rows: each coefficient is loaded once for four rows. */
function horizontalRows4x8(
  src: Uint8Array,
  rowBase: number,
  width: number,
  out: Uint8Array,
  outBase: number,
  outW: number,
  ksize: number,
  bounds: Int32Array,
  kk: Int32Array,
): void {
  for (let xx = 0; xx < outW; xx++) {
    const p0 = rowBase + bounds[xx * 2]!;
    const p1 = p0 + width;
    const p2 = p1 + width;
    const p3 = p2 + width;
    const n = bounds[xx * 2 + 1]!;
    const k = xx * ksize;
    let s0 = HALF;
    let s1 = HALF;
    let s2 = HALF;
    let s3 = HALF;
    for (let x = 0; x < n; x++) {
      const w = kk[k + x]!;
      s0 += src[p0 + x]! * w;
      s1 += src[p1 + x]! * w;
      s2 += src[p2 + x]! * w;
      s3 += src[p3 + x]! * w;
    }
    const o = outBase + xx;
    out[o] = clip8(s0);
    out[o + outW] = clip8(s1);
    out[o + 2 * outW] = clip8(s2);
    out[o + 3 * outW] = clip8(s3);
  }
}

function horizontal8(
  src: Uint8Array,
  width: number,
  channels: number,
  rowFirst: number,
  rows: number,
  outW: number,
  c: Coefficients,
  kk: Int32Array,
): Uint8Array {
  const out = new Uint8Array(outW * rows * channels);
  const { ksize, bounds } = c;
  const srcStride = width * channels;
  const outStride = outW * channels;
  if (channels === 1) {
    // per output pixel, the sum of its fixed-point taps: a constant row (padding, borders) needs no taps
    const ksum = new Float64Array(outW);
    for (let xx = 0; xx < outW; xx++) {
      let t = 0;
      for (let x = 0; x < bounds[xx * 2 + 1]!; x++) t += kk[xx * ksize + x]!;
      ksum[xx] = t;
    }
    const constant = new Int16Array(rows).fill(-1); // the row's value when constant, else -1
    for (let yy = 0; yy < rows; yy++) {
      const rowBase = (yy + rowFirst) * width;
      const v0 = src[rowBase]!;
      let x = 1;
      while (x < width && src[rowBase + x] === v0) x++;
      if (x === width) constant[yy] = v0;
    }
    let yy = 0;
    while (yy < rows) {
      const rowBase = (yy + rowFirst) * width;
      if (
        yy + 3 < rows &&
        constant[yy] === -1 &&
        constant[yy + 1] === -1 &&
        constant[yy + 2] === -1 &&
        constant[yy + 3] === -1
      ) {
        horizontalRows4x8(src, rowBase, width, out, yy * outW, outW, ksize, bounds, kk);
        yy += 4;
        continue;
      }
      const v = constant[yy]!;
      if (v >= 0) {
        for (let xx = 0; xx < outW; xx++) out[yy * outW + xx] = clip8(HALF + v * ksum[xx]!);
      } else {
        horizontalRow8(src, rowBase, out, yy * outW, outW, ksize, bounds, kk);
      }
      yy++;
    }
    return out;
  }
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowFirst) * srcStride;
    const outBase = yy * outStride;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2]!;
      const n = bounds[xx * 2 + 1]!;
      const k = xx * ksize;
      for (let ch = 0; ch < channels; ch++) {
        let ss = HALF;
        let p = rowBase + xmin * channels + ch;
        for (let x = 0; x < n; x++, p += channels) ss += src[p]! * kk[k + x]!;
        out[outBase + xx * channels + ch] = clip8(ss);
      }
    }
  }
  return out;
}

function vertical8(
  src: Uint8Array,
  width: number,
  channels: number,
  outH: number,
  c: Coefficients,
  kk: Int32Array,
  rowShift: number,
): Uint8Array {
  const stride = width * channels;
  const out = new Uint8Array(stride * outH);
  const { ksize, bounds } = c;
  // accumulate whole rows (contiguous reads); the sums are exact integers, as in Pillow's int accumulators
  const acc = new Float64Array(stride);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]! - rowShift;
    const n = bounds[yy * 2 + 1]!;
    const k = yy * ksize;
    acc.fill(HALF);
    let y = 0;
    // integer sums are exact in any order: four source rows per sweep over the accumulator
    for (; y + 3 < n; y += 4) {
      const w0 = kk[k + y]!;
      const w1 = kk[k + y + 1]!;
      const w2 = kk[k + y + 2]!;
      const w3 = kk[k + y + 3]!;
      const r0 = (ymin + y) * stride;
      const r1 = r0 + stride;
      const r2 = r1 + stride;
      const r3 = r2 + stride;
      for (let i = 0; i < stride; i++) {
        acc[i] = acc[i]! + src[r0 + i]! * w0 + src[r1 + i]! * w1 + src[r2 + i]! * w2 + src[r3 + i]! * w3;
      }
    }
    for (; y < n; y++) {
      const w = kk[k + y]!;
      const row = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] = acc[i]! + src[row + i]! * w;
    }
    const outBase = yy * stride;
    for (let i = 0; i < stride; i++) out[outBase + i] = clip8(acc[i]!);
  }
  return out;
}

function horizontal32(
  src: Int32Array,
  width: number,
  rowFirst: number,
  rows: number,
  outW: number,
  c: Coefficients,
): Int32Array {
  const out = new Int32Array(outW * rows);
  const { ksize, bounds, weights } = c;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowFirst) * width;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2]!;
      const n = bounds[xx * 2 + 1]!;
      const k = xx * ksize;
      let ss = 0;
      for (let x = 0; x < n; x++) ss += src[rowBase + xmin + x]! * weights[k + x]!;
      out[yy * outW + xx] = roundUp(ss);
    }
  }
  return out;
}

function vertical32(
  src: Int32Array,
  width: number,
  outH: number,
  c: Coefficients,
  rowShift: number,
): Int32Array {
  const out = new Int32Array(width * outH);
  const { ksize, bounds, weights } = c;
  // row-wise accumulation; each value is still summed over y in order, in double, like Pillow
  const acc = new Float64Array(width);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]! - rowShift;
    const n = bounds[yy * 2 + 1]!;
    const k = yy * ksize;
    acc.fill(0);
    for (let y = 0; y < n; y++) {
      const w = weights[k + y]!;
      const row = (ymin + y) * width;
      for (let xx = 0; xx < width; xx++) acc[xx] = acc[xx]! + src[row + xx]! * w;
    }
    for (let xx = 0; xx < width; xx++) out[yy * width + xx] = roundUp(acc[xx]!);
  }
  return out;
}

/** Pillow NEAREST resize (an affine transform sampling pixel centres). */
/**
 * Pillow NEAREST resize: `ImagingScaleAffine`, source position accumulated in double from
 * scale * 0.5 (scale = in / out), truncated; positions past the edge stay 0.
 */
function resizeNearest(image: DecodedImage, outW: number, outH: number): DecodedImage {
  const ch = channelsOf(image.mode);
  const out = image.mode === "I" ? new Int32Array(outW * outH) : new Uint8Array(outW * outH * ch);
  const sx = image.width / outW;
  const sy = image.height / outH;
  const xs = new Int32Array(outW);
  let xo = sx * 0.5;
  for (let x = 0; x < outW; x++, xo += sx) xs[x] = xo < 0 ? -1 : Math.trunc(xo);
  let yo = sy * 0.5;
  for (let y = 0; y < outH; y++, yo += sy) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    if (yi < 0 || yi >= image.height) continue;
    for (let x = 0; x < outW; x++) {
      const xi = xs[x]!;
      if (xi < 0 || xi >= image.width) continue;
      const s = (yi * image.width + xi) * ch;
      const d = (y * outW + x) * ch;
      for (let c = 0; c < ch; c++) out[d + c] = image.data[s + c]!;
    }
  }
  return makeImage(image.mode, outW, outH, out, image.source);
}

/** A region of a resize's output, in the resized image's pixels. */
export interface ResizeRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The coefficients of `count` consecutive outputs from `first` (views, not copies). */
function sliceCoefficients(c: Coefficients, first: number, count: number): Coefficients {
  return {
    ksize: c.ksize,
    bounds: c.bounds.subarray(first * 2, (first + count) * 2),
    weights: c.weights.subarray(first * c.ksize, (first + count) * c.ksize),
  };
}

/**
 * Pillow `Image.resize((outW, outH), filter)` on the whole image, in the image's own mode.
 * Returns a copy when the size is unchanged (no resampling), like Pillow.
 *
 * With `region`, only that part of the output is returned: `resize(...).crop(region)`, bit for
 * bit, without computing the rest. Each output pixel depends only on its own coefficients and on
 * the horizontal pass's rows it reads, so the skipped rows and columns change nothing that is kept
 * (a resize of the shorter side to 224 followed by a 224 centre crop, as CLIP does, computes about
 * 17% less for a 900 x 1100 radiograph).
 */
export function pillowResize(
  image: DecodedImage,
  outW: number,
  outH: number,
  filter: PillowFilter,
  region?: ResizeRegion,
): DecodedImage {
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW <= 0 || outH <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${outW}x${outH}`);
  }
  if (region !== undefined) {
    const { left, top, width, height } = region;
    const inside =
      Number.isInteger(left) &&
      Number.isInteger(top) &&
      Number.isInteger(width) &&
      Number.isInteger(height) &&
      left >= 0 &&
      top >= 0 &&
      width > 0 &&
      height > 0 &&
      left + width <= outW &&
      top + height <= outH;
    if (!inside) {
      throw new RangeError(
        `region ${left},${top} ${width}x${height} is not inside the ${outW}x${outH} resize`,
      );
    }
    // the fused passes are the two convolutions; anything else is resized whole, then cropped
    if (outW === image.width || outH === image.height || filter === "nearest" || image.pillowMode) {
      return pillowCrop(pillowResize(image, outW, outH, filter), left, top, width, height);
    }
    const f = FILTERS[filter];
    return resampleBoth(
      image,
      sliceCoefficients(precomputeCoefficients(image.width, outW, f), left, width),
      sliceCoefficients(precomputeCoefficients(image.height, outH, f), top, height),
    );
  }
  if (outW === image.width && outH === image.height) {
    return withPillowMode(
      makeImage(image.mode, outW, outH, image.data.slice(), image.source),
      image.pillowMode,
    );
  }
  // Pillow resizes palette and bilevel images with NEAREST, whatever filter is asked for
  if (filter === "nearest" || image.pillowMode) {
    return withPillowMode(resizeNearest(image, outW, outH), image.pillowMode);
  }
  const f = FILTERS[filter];
  const needH = outW !== image.width;
  const needV = outH !== image.height;
  if (needH && needV) {
    return resampleBoth(
      image,
      precomputeCoefficients(image.width, outW, f),
      precomputeCoefficients(image.height, outH, f),
    );
  }
  // one direction only: Pillow runs that pass alone, over the whole source
  if (needH) {
    const hor = precomputeCoefficients(image.width, outW, f);
    const data =
      image.mode === "I"
        ? horizontal32(image.data as Int32Array, image.width, 0, image.height, outW, hor)
        : horizontal8(
            image.data as Uint8Array,
            image.width,
            channelsOf(image.mode),
            0,
            image.height,
            outW,
            hor,
            fixedPoint(hor.weights),
          );
    return makeImage(image.mode, outW, outH, data, image.source);
  }
  const vert = precomputeCoefficients(image.height, outH, f);
  const data =
    image.mode === "I"
      ? vertical32(image.data as Int32Array, image.width, outH, vert, 0)
      : vertical8(
          image.data as Uint8Array,
          image.width,
          channelsOf(image.mode),
          outH,
          vert,
          fixedPoint(vert.weights),
          0,
        );
  return makeImage(image.mode, outW, outH, data, image.source);
}

/**
 * Pillow's two passes (horizontal, then vertical) for the outputs the coefficients describe: the
 * horizontal pass runs only over the source rows the vertical pass reads.
 */
function resampleBoth(image: DecodedImage, hor: Coefficients, vert: Coefficients): DecodedImage {
  const outW = hor.bounds.length / 2;
  const outH = vert.bounds.length / 2;
  const yFirst = vert.bounds[0]!;
  const yLast = vert.bounds[outH * 2 - 2]! + vert.bounds[outH * 2 - 1]!;
  if (image.mode === "I") {
    const rows = horizontal32(image.data as Int32Array, image.width, yFirst, yLast - yFirst, outW, hor);
    return makeImage("I", outW, outH, vertical32(rows, outW, outH, vert, yFirst), image.source);
  }
  const ch = channelsOf(image.mode);
  const rows = horizontal8(
    image.data as Uint8Array,
    image.width,
    ch,
    yFirst,
    yLast - yFirst,
    outW,
    hor,
    fixedPoint(hor.weights),
  );
  const data = vertical8(rows, outW, ch, outH, vert, fixedPoint(vert.weights), yFirst);
  return makeImage(image.mode, outW, outH, data, image.source);
}

/**
 * Pillow `convert(mode)` between L, RGB and I:
 * I -> L / RGB clips to 0..255 (no rescale); RGB -> L is ITU-R 601 luma in Pillow's 16-bit fixed point
 * ((R*19595 + G*38470 + B*7471 + 0x8000) >> 16); L -> RGB repeats; L / RGB -> I widens.
 */
export function pillowConvert(image: DecodedImage, mode: ImageMode): DecodedImage {
  // converting a palette/bilevel image gives an ordinary image of the target mode
  if (image.mode === mode) return image.pillowMode ? withPillowMode(image, undefined) : image;
  const n = image.width * image.height;
  const src = image.data;
  if (mode === "I") {
    const grey = image.mode === "RGB" ? pillowConvert(image, "L").data : src;
    return makeImage("I", image.width, image.height, Int32Array.from(grey), image.source);
  }
  if (mode === "L") {
    const out = new Uint8Array(n);
    if (image.mode === "I") {
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        out[i] = v <= 0 ? 0 : Math.min(v, 255);
      }
    } else {
      for (let i = 0, p = 0; i < n; i++, p += 3) {
        out[i] = (src[p]! * 19595 + src[p + 1]! * 38470 + src[p + 2]! * 7471 + 0x8000) >>> 16;
      }
    }
    return makeImage("L", image.width, image.height, out, image.source);
  }
  // mode === "RGB"
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const raw = src[i]!;
    const v = image.mode === "I" ? (raw <= 0 ? 0 : Math.min(raw, 255)) : raw;
    out[p] = v;
    out[p + 1] = v;
    out[p + 2] = v;
  }
  return makeImage("RGB", image.width, image.height, out, image.source);
}

/** Pillow `crop((left, top, left + w, top + h))`: areas outside the image are filled with 0. */
export function pillowCrop(
  image: DecodedImage,
  left: number,
  top: number,
  w: number,
  h: number,
): DecodedImage {
  const ch = channelsOf(image.mode);
  const out = image.mode === "I" ? new Int32Array(w * h) : new Uint8Array(w * h * ch);
  const x0 = Math.max(0, left);
  const x1 = Math.min(image.width, left + w);
  if (x1 > x0) {
    for (let y = 0; y < h; y++) {
      const sy = y + top;
      if (sy < 0 || sy >= image.height) continue;
      const s = (sy * image.width + x0) * ch;
      out.set(image.data.subarray(s, s + (x1 - x0) * ch), (y * w + (x0 - left)) * ch);
    }
  }
  return withPillowMode(makeImage(image.mode, w, h, out, image.source), image.pillowMode);
}

/**
 * `Image.new("L", (side, side), fill).paste(image, (x, y))`: the image is converted to L first
 * (Pillow's paste converts to the canvas mode), then copied, clipped to the canvas.
 */
export function pasteOnGreyCanvas(
  image: DecodedImage,
  canvasW: number,
  canvasH: number,
  x: number,
  y: number,
  fill: number,
): DecodedImage {
  const grey = pillowConvert(image, "L");
  const out = new Uint8Array(canvasW * canvasH);
  if (fill !== 0) out.fill(fill);
  const x0 = Math.max(0, x);
  const x1 = Math.min(canvasW, x + grey.width);
  if (x1 > x0) {
    for (let row = 0; row < grey.height; row++) {
      const cy = row + y;
      if (cy < 0 || cy >= canvasH) continue;
      const s = row * grey.width + (x0 - x);
      out.set(grey.data.subarray(s, s + (x1 - x0)), cy * canvasW + x0);
    }
  }
  return makeImage("L", canvasW, canvasH, out, image.source);
}
