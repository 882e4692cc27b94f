/**
 * The real models' image preprocessing as bundle steps (packages/encoders/BUNDLE.md; the reference data folder's vectors/README.md).
 * The bundle manifests for the real models use these lists; the parity check runs them against the
 * reference tensors (clip, cxr_repair, medclip, cxr_clip).
 */
import type { PreprocessStep } from "./steps.ts";

/** openai/CLIP `_transform(224)`: Resize(224, BICUBIC) on the PIL image (in its own mode, so a 16-bit
 * image is resampled as int32), CenterCrop(224) with half-to-even offsets, convert("RGB"), ToTensor,
 * Normalize(CLIP mean/std). */
const clip: PreprocessStep[] = [
  { op: "resize", size: 224, by: "shorter", kernel: "bicubic" },
  { op: "centerCrop", size: 224, rounding: "half-even" },
  { op: "convert", mode: "RGB" },
  { op: "toTensor", scale: "divide255", channels: 3 },
  { op: "normalize", mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
];

/** CXR-RePaiR: long side to 320 (LANCZOS, image's own mode), paste centred on a black 320x320 L canvas,
 * float 0..255 repeated to 3 channels, Normalize(101.48761, 83.43944), then Resize(224, BICUBIC) on the
 * float tensor (torchvision 0.14: no antialias, A=-0.75). */
const cxrRepair: PreprocessStep[] = [
  { op: "resize", size: 320, by: "longer", kernel: "lanczos" },
  { op: "pad", canvas: "square", side: 320, fill: 0 },
  { op: "toTensor", scale: "none", channels: 3 },
  { op: "normalize", mean: [101.48761], std: [83.43944] },
  { op: "tensorResize", size: 224, kernel: "bicubic", antialias: false },
];

/** CXR-RePaiR with torchvision >= 0.17's default antialias=True on the tensor resize. Not what the
 * authors ran; kept to show the difference (reference `cxr_repair_antialias`). */
const cxrRepairAntialias: PreprocessStep[] = cxrRepair.map((s) =>
  s.op === "tensorResize" ? { ...s, antialias: true } : s,
);

/** MedCLIP `MedCLIPFeatureExtractor` (transformers 4.23/4.24 mixin): pad on a black L square of side
 * max(224, w, h), resize to 224x224 BICUBIC, centre-crop 224 (floor offsets), x * float32(1/255),
 * Normalize(0.5862785803043838, 0.27950088968644304), one channel. */
const medclip: PreprocessStep[] = [
  { op: "pad", canvas: "square", minSide: 224, fill: 0 },
  { op: "resize", size: 224, by: "exact", kernel: "bicubic" },
  { op: "centerCrop", size: 224, rounding: "floor" },
  { op: "toTensor", scale: "multiplyInv255", channels: 1 },
  { op: "normalize", mean: [0.5862785803043838], std: [0.27950088968644304] },
];

const cxrClipBase: PreprocessStep[] = [
  { op: "convert", mode: "RGB" },
  { op: "resize", size: 224, by: "shorter", kernel: "bilinear" },
  { op: "centerCrop", size: 224, rounding: "half-even" },
  { op: "toTensor", scale: "divide255", channels: 3 },
];

/** CXR-CLIP evaluation path (Swin-T checkpoint): convert("RGB"), Resize(224) (torchvision default
 * BILINEAR), CenterCrop(224), ToTensor, Normalize(0.5, 0.5). */
const cxrClipSwin: PreprocessStep[] = [
  ...cxrClipBase,
  { op: "normalize", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
];

/** CXR-CLIP ResNet-50 checkpoint: the same, with ImageNet mean/std. */
const cxrClipResnet: PreprocessStep[] = [
  ...cxrClipBase,
  { op: "normalize", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
];

export const MODEL_PREPROCESS = {
  clip,
  cxrRepair,
  cxrRepairAntialias,
  medclip,
  cxrClipSwin,
  cxrClipResnet,
} as const satisfies Record<string, readonly PreprocessStep[]>;

export type ModelPreprocessName = keyof typeof MODEL_PREPROCESS;

/** Reference transform name (vectors/preprocess file names) -> step list. */
export const REFERENCE_TRANSFORMS = {
  clip,
  cxr_repair: cxrRepair,
  medclip,
  cxr_clip: cxrClipSwin,
  cxr_repair_antialias: cxrRepairAntialias,
} as const satisfies Record<string, readonly PreprocessStep[]>;
