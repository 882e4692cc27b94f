/**
 * torch 1.13 `F.interpolate` on a float32 CHW tensor (align_corners=False), restated in float32
 * arithmetic (Math.fround at every step, in torch's order). torch's CPU kernels are built for AVX2
 * with fused multiply-adds; for the non-antialiased kernel, the variant closest to the reference
 * tensors (measured on the four CXR-RePaiR vectors: max abs error about 1e-6 instead of 3e-5) keeps
 * the source position float32(scale) * (i + 0.5) - 0.5 unrounded and evaluates the cubic polynomials
 * and the weighted sums with FMAs. It is not bit-identical to the reference build.
 * - antialias=false: bicubic with A=-0.75 (4 taps, indices clamped at the border, no clamping of
 *   values) or bilinear (2 taps);
 * - antialias=true: torch's separable antialiased kernel (support widened on downscale; bicubic A=-0.5),
 *   horizontal pass first, then vertical, in float32.
 */
const f = Math.fround;

export type TensorKernel = "bicubic" | "bilinear";

interface Taps {
  n: number;
  index: Int32Array; // outSize * n, clamped input indices
  weight: Float32Array; // outSize * n
}

/** `area_pixel_compute_source_index` for align_corners=False (bilinear: float32, clamped at 0). */
function sourceIndex(scale: number, dst: number, cubic: boolean): number {
  // cubic: float32 scale times (dst + 0.5) in double, not rounded (closest to the reference, see above)
  if (cubic) return scale * (dst + 0.5) - 0.5;
  const v = f(f(scale * f(dst + 0.5)) - 0.5);
  return Math.max(v, 0);
}

/** float32 fused multiply-add: a * b + c rounded once (a, b float32, so a * b is exact in double). */
function fma(a: number, b: number, c: number): number {
  return f(a * b + c);
}

const A = -0.75;

function cubic1(x: number): number {
  // ((A + 2) * x - (A + 3)) * x * x + 1, float32 with FMAs
  return fma(f(fma(A + 2, x, -(A + 3)) * x), x, 1);
}

function cubic2(x: number): number {
  // ((A * x - 5A) * x + 8A) * x - 4A, float32 with FMAs
  return fma(fma(fma(A, x, -5 * A), x, 8 * A), x, -4 * A);
}

function plainTaps(inSize: number, outSize: number, kernel: TensorKernel): Taps {
  const scale = f(inSize / outSize);
  const cubic = kernel === "bicubic";
  const n = cubic ? 4 : 2;
  const index = new Int32Array(outSize * n);
  const weight = new Float32Array(outSize * n);
  const clampIdx = (i: number) => (i < 0 ? 0 : Math.min(i, inSize - 1));
  for (let o = 0; o < outSize; o++) {
    const real = sourceIndex(scale, o, cubic);
    const base = o * n;
    if (cubic) {
      const i0 = Math.floor(real);
      const t = f(real - i0);
      weight[base] = cubic2(f(t + 1));
      weight[base + 1] = cubic1(t);
      const t2 = f(1 - t);
      weight[base + 2] = cubic1(t2);
      weight[base + 3] = cubic2(f(t2 + 1));
      for (let j = 0; j < 4; j++) index[base + j] = clampIdx(i0 - 1 + j);
    } else {
      const i0 = Math.trunc(real);
      const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      const l1 = f(real - i0);
      index[base] = i0;
      index[base + 1] = i1;
      weight[base] = f(1 - l1);
      weight[base + 1] = l1;
    }
  }
  return { n, index, weight };
}

/**
 * Non-antialiased interpolation: out = sum_i wy_i * (sum_j wx_j * src[y_i][x_j]), float32, in torch's
 * order. Each inner row sum depends only on (input row, output column), so they are computed once per
 * input row and reused (the same float32 operations, fewer of them).
 */
function interpolatePlain(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  kernel: TensorKernel,
): Float32Array {
  const ty = plainTaps(inH, outH, kernel);
  const tx = plainTaps(inW, outW, kernel);
  const out = new Float32Array(channels * outH * outW);
  const n = tx.n;
  const rowSums = new Float32Array(inH * outW);
  const rowDone = new Uint8Array(inH);
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * inW;
    rowDone.fill(0);
    for (let y = 0; y < outH; y++) {
      for (let i = 0; i < n; i++) {
        const iy = ty.index[y * n + i]!;
        if (rowDone[iy]) continue;
        rowDone[iy] = 1;
        const row = plane + iy * inW;
        for (let x = 0; x < outW; x++) {
          let t = f(src[row + tx.index[x * n]!]! * tx.weight[x * n]!);
          for (let j = 1; j < n; j++) t = fma(src[row + tx.index[x * n + j]!]!, tx.weight[x * n + j]!, t);
          rowSums[iy * outW + x] = t;
        }
      }
      const outRow = (c * outH + y) * outW;
      for (let x = 0; x < outW; x++) {
        let acc = f(rowSums[ty.index[y * n]! * outW + x]! * ty.weight[y * n]!);
        for (let i = 1; i < n; i++)
          acc = fma(rowSums[ty.index[y * n + i]! * outW + x]!, ty.weight[y * n + i]!, acc);
        out[outRow + x] = acc;
      }
    }
  }
  return out;
}

interface AaTaps {
  ksize: number;
  xmin: Int32Array;
  count: Int32Array;
  weight: Float32Array;
}

function aaFilter(kernel: TensorKernel, x: number): number {
  const ax = x < 0 ? -x : x;
  if (kernel === "bilinear") return ax < 1 ? 1 - ax : 0;
  const a = -0.5;
  if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
  return 0;
}

/** torch `_compute_indices_weights_aa` (float32 scalar type). */
function aaTaps(inSize: number, outSize: number, kernel: TensorKernel): AaTaps {
  const scale = f(inSize / outSize);
  const interp = kernel === "bicubic" ? 2 : 1;
  const support = f(scale >= 1 ? f(interp * scale) : interp);
  const ksize = Math.ceil(support) * 2 + 1;
  const xmin = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weight = new Float32Array(outSize * ksize);
  const invscale = scale >= 1 ? f(1 / scale) : 1;
  for (let i = 0; i < outSize; i++) {
    const center = f(scale * f(i + 0.5));
    let lo = Math.trunc(f(f(center - support) + 0.5));
    if (lo < 0) lo = 0;
    let hi = Math.trunc(f(f(center + support) + 0.5));
    if (hi > inSize) hi = inSize;
    const cnt = Math.max(hi - lo, 0);
    let total = 0;
    for (let j = 0; j < cnt; j++) {
      const w = f(aaFilter(kernel, f(f(f(j + lo - center) + 0.5) * invscale)));
      weight[i * ksize + j] = w;
      total = f(total + w);
    }
    if (total !== 0) for (let j = 0; j < cnt; j++) weight[i * ksize + j] = f(weight[i * ksize + j]! / total);
    xmin[i] = lo;
    count[i] = cnt;
  }
  return { ksize, xmin, count, weight };
}

function interpolateAa(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  kernel: TensorKernel,
): Float32Array {
  // horizontal pass
  const tx = aaTaps(inW, outW, kernel);
  const tmp = new Float32Array(channels * inH * outW);
  for (let r = 0; r < channels * inH; r++) {
    for (let x = 0; x < outW; x++) {
      const base = r * inW + tx.xmin[x]!;
      let acc = 0;
      for (let j = 0; j < tx.count[x]!; j++) {
        const term = f(src[base + j]! * tx.weight[x * tx.ksize + j]!);
        acc = j === 0 ? term : f(acc + term);
      }
      tmp[r * outW + x] = acc;
    }
  }
  const ty = aaTaps(inH, outH, kernel);
  const out = new Float32Array(channels * outH * outW);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        let acc = 0;
        for (let j = 0; j < ty.count[y]!; j++) {
          const term = f(tmp[(c * inH + ty.xmin[y]! + j) * outW + x]! * ty.weight[y * ty.ksize + j]!);
          acc = j === 0 ? term : f(acc + term);
        }
        out[(c * outH + y) * outW + x] = acc;
      }
    }
  }
  return out;
}

/** `F.interpolate(x[None], size=(outH, outW), mode, align_corners=False, antialias)[0]` on CHW float32. */
export function torchInterpolate(
  src: Float32Array,
  shape: readonly [number, number, number],
  outH: number,
  outW: number,
  kernel: TensorKernel,
  antialias: boolean,
): Float32Array {
  const [channels, inH, inW] = shape;
  if (src.length !== channels * inH * inW) throw new RangeError("tensor data does not match its shape");
  if (inH === outH && inW === outW) return src.slice();
  return antialias
    ? interpolateAa(src, channels, inH, inW, outH, outW, kernel)
    : interpolatePlain(src, channels, inH, inW, outH, outW, kernel);
}
