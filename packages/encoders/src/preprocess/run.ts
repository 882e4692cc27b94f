/**
 * Runs a bundle's preprocessing steps (BUNDLE.md) on a decoded image and returns the float32 CHW tensor.
 * Image steps (convert, resize, pad, centerCrop) follow Pillow 9.4 / torchvision 0.14 on PIL images;
 * tensor steps (normalize, tensorResize) follow torch in float32.
 */
import { channelsOf, type DecodedImage } from "../image/types.ts";
import { pasteOnGreyCanvas, pillowConvert, pillowCrop, pillowResize } from "./pillow.ts";
import type { CenterCropStep, PadStep, PreprocessStep, ResizeStep, ToTensorStep } from "./steps.ts";
import { torchInterpolate } from "./torch.ts";

export interface PreprocessResult {
  data: Float32Array;
  shape: number[];
}

/** Thrown when a step list cannot run (a tensor step before toTensor, an image step after it...). */
export class PreprocessError extends Error {
  override readonly name = "PreprocessError";
  readonly stepIndex: number;
  constructor(stepIndex: number, message: string) {
    super(`preprocess step ${stepIndex}: ${message}`);
    this.stepIndex = stepIndex;
  }
}

const f = Math.fround;

/** Python 3 `round()` for values that are exact halves or integers: ties go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision `Resize(int)` output size (`_compute_resized_output_size`, max_size=None). */
export function shorterSideSize(width: number, height: number, size: number): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
}

/** The output (width, height) of a resize step for an input size. */
export function resizeTarget(step: ResizeStep, width: number, height: number): [number, number] {
  switch (step.by) {
    case "shorter":
      return shorterSideSize(width, height, step.size);
    case "longer": {
      // CXR-RePaiR: ratio first, then int() of each product
      const ratio = step.size / Math.max(width, height);
      return [Math.trunc(width * ratio), Math.trunc(height * ratio)];
    }
    case "exact":
      return [step.size, step.size];
  }
}

function resize(image: DecodedImage, step: ResizeStep): DecodedImage {
  const [w, h] = resizeTarget(step, image.width, image.height);
  if (w < 1 || h < 1) {
    throw new RangeError(
      `resize of ${image.width}x${image.height} by ${step.by} ${step.size} gives ${w}x${h}`,
    );
  }
  return pillowResize(image, w, h, step.kernel);
}

function pad(image: DecodedImage, step: PadStep): DecodedImage {
  const side = step.side ?? Math.max(step.minSide ?? 0, image.width, image.height);
  // Python floor division (offsets may be negative when `side` is smaller than the image)
  const x = Math.floor((side - image.width) / 2);
  const y = Math.floor((side - image.height) / 2);
  return pasteOnGreyCanvas(image, side, side, x, y, step.fill ?? 0);
}

/**
 * A resize followed by a centre crop, as one pass over the kept region when the crop lies inside
 * the resized image (pillowResize's `region`: the same pixels, the cropped-away rows and columns
 * never computed); otherwise the two steps one after the other.
 */
function resizeThenCenterCrop(image: DecodedImage, step: ResizeStep, crop: CenterCropStep): DecodedImage {
  const [w, h] = resizeTarget(step, image.width, image.height);
  const { size } = crop;
  // a crop that pads (the resize is smaller across) or keeps everything: the two steps as they are
  if (w < size || h < size || (w === size && h === size)) {
    return centerCrop(resize(image, step), crop);
  }
  const { left, top } = centerCropOffsets(w, h, crop);
  return pillowResize(image, w, h, step.kernel, { left, top, width: size, height: size });
}

/** Where a centre crop of `step.size` starts in a width x height image (negative: padding). */
function centerCropOffsets(
  width: number,
  height: number,
  step: CenterCropStep,
): { left: number; top: number } {
  const { size } = step;
  if (step.rounding === "floor") {
    // HF ImageFeatureExtractionMixin: (h - size) // 2
    return { left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2) };
  }
  // torchvision: pad with zeros when smaller (left pad (size - w) // 2), else int(round((w - size) / 2.0))
  return {
    left: width < size ? -Math.floor((size - width) / 2) : roundHalfEven((width - size) / 2),
    top: height < size ? -Math.floor((size - height) / 2) : roundHalfEven((height - size) / 2),
  };
}

function centerCrop(image: DecodedImage, step: CenterCropStep): DecodedImage {
  const { size } = step;
  if (image.width === size && image.height === size) return image;
  const { left, top } = centerCropOffsets(image.width, image.height, step);
  return pillowCrop(image, left, top, size, size);
}

/**
 * Internal tensor: CHW float32. When `replicated`, `data` holds one plane that stands for all
 * `channels` identical planes (a grey image repeated to 3 channels), so that per-channel-equal steps
 * run once; it is expanded when a step treats channels differently, and at the end.
 */
interface Tensor {
  data: Float32Array;
  channels: number;
  h: number;
  w: number;
  replicated: boolean;
}

function expand(t: Tensor): Tensor {
  if (!t.replicated || t.channels === 1) return { ...t, replicated: false };
  const hw = t.h * t.w;
  const data = new Float32Array(t.channels * hw);
  for (let c = 0; c < t.channels; c++) data.set(t.data, c * hw);
  return { ...t, data, replicated: false };
}

function toTensor(image: DecodedImage, step: ToTensorStep): Tensor {
  let img = image.mode === "I" ? pillowConvert(image, "L") : image;
  if (step.channels === 1 && img.mode === "RGB") img = pillowConvert(img, "L");
  const src = img.data;
  const hw = img.width * img.height;
  const srcCh = channelsOf(img.mode);
  const planes = srcCh === 1 ? 1 : step.channels;
  const out = new Float32Array(planes * hw);
  const inv255 = f(1 / 255);
  // 256-entry lookup: every step is per-value and depends only on the 8-bit input
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    lut[v] = step.scale === "divide255" ? f(v / 255) : step.scale === "multiplyInv255" ? f(v * inv255) : v;
  }
  for (let c = 0; c < planes; c++) {
    const plane = c * hw;
    for (let i = 0, p = c; i < hw; i++, p += srcCh) out[plane + i] = lut[src[p]!]!;
  }
  return {
    data: out,
    channels: step.channels,
    h: img.height,
    w: img.width,
    replicated: planes < step.channels,
  };
}

function normalize(input: Tensor, mean: number[], std: number[], stepIndex: number): Tensor {
  const { channels } = input;
  if ((mean.length !== 1 && mean.length !== channels) || (std.length !== 1 && std.length !== channels)) {
    throw new PreprocessError(
      stepIndex,
      `normalize has ${mean.length} means and ${std.length} stds for a ${channels}-channel tensor`,
    );
  }
  const m32 = Array.from({ length: channels }, (_, c) => f(mean.length === 1 ? mean[0]! : mean[c]!));
  const s32 = Array.from({ length: channels }, (_, c) => f(std.length === 1 ? std[0]! : std[c]!));
  const uniform = m32.every((m) => m === m32[0]) && s32.every((s) => s === s32[0]);
  const t = input.replicated && !uniform ? expand(input) : input;
  const hw = t.h * t.w;
  const planes = t.replicated ? 1 : channels;
  const data = t.data;
  for (let c = 0; c < planes; c++) {
    const m = m32[c]!;
    const s = s32[c]!;
    for (let i = c * hw, end = i + hw; i < end; i++) data[i] = f(f(data[i]! - m) / s);
  }
  return t;
}

/** Run `steps` on `image`; the last step must have produced a tensor (toTensor or later). */
export function runPreprocess(image: DecodedImage, steps: readonly PreprocessStep[]): PreprocessResult {
  let img: DecodedImage | undefined = image;
  let tensor: Tensor | undefined;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (img) {
      switch (step.op) {
        case "convert":
          // A grey image converted to RGB has three equal channels; every later step (Pillow resize per
          // channel, crop, paste's RGB->L luma, toTensor) gives the same result on the grey image, so it
          // stays grey (I is clipped to 0..255 exactly as convert("RGB") does).
          img =
            step.mode === "RGB" && img.mode !== "RGB"
              ? pillowConvert(img, "L")
              : pillowConvert(img, step.mode);
          continue;
        case "resize": {
          const next = steps[i + 1];
          if (next?.op === "centerCrop") {
            img = resizeThenCenterCrop(img, step, next);
            i++;
          } else {
            img = resize(img, step);
          }
          continue;
        }
        case "pad":
          img = pad(img, step);
          continue;
        case "centerCrop":
          img = centerCrop(img, step);
          continue;
        case "toTensor":
          tensor = toTensor(img, step);
          img = undefined;
          continue;
        default:
          throw new PreprocessError(i, `${step.op} needs a tensor: put a toTensor step before it`);
      }
    }
    const t = tensor!;
    switch (step.op) {
      case "normalize":
        tensor = normalize(t, step.mean, step.std, i);
        continue;
      case "tensorResize": {
        const [nw, nh] = shorterSideSize(t.w, t.h, step.size);
        const planes = t.replicated ? 1 : t.channels;
        tensor = {
          ...t,
          data: torchInterpolate(t.data, [planes, t.h, t.w], nh, nw, step.kernel, step.antialias),
          h: nh,
          w: nw,
        };
        continue;
      }
      default:
        throw new PreprocessError(i, `${step.op} works on images and cannot follow toTensor`);
    }
  }
  if (!tensor)
    throw new PreprocessError(steps.length - 1, "the steps never produce a tensor (no toTensor step)");
  const done = expand(tensor);
  return { data: done.data, shape: [done.channels, done.h, done.w] };
}
