/**
 * Image preprocessing steps of a model bundle (BUNDLE.md, "Image preprocessing steps").
 * Each step reproduces Pillow 9.4 / torchvision 0.14 semantics exactly; see ./run.ts.
 */
import { z } from "zod";

const positiveInt = z.number().int().positive();

export const convertStepSchema = z
  .object({
    op: z.literal("convert"),
    mode: z.enum(["L", "RGB"]),
  })
  .strict();

export const resizeStepSchema = z
  .object({
    op: z.literal("resize"),
    size: positiveInt,
    by: z.enum(["shorter", "longer", "exact"]),
    kernel: z.enum(["bicubic", "bilinear", "lanczos", "nearest"]),
  })
  .strict();

export const padStepSchema = z
  .object({
    op: z.literal("pad"),
    canvas: z.literal("square"),
    minSide: positiveInt.optional(),
    side: positiveInt.optional(),
    fill: z.number().int().min(0).max(255).default(0),
  })
  .strict();

export const centerCropStepSchema = z
  .object({
    op: z.literal("centerCrop"),
    size: positiveInt,
    rounding: z.enum(["half-even", "floor"]),
  })
  .strict();

export const toTensorStepSchema = z
  .object({
    op: z.literal("toTensor"),
    scale: z.enum(["divide255", "multiplyInv255", "none"]),
    channels: z.union([z.literal(1), z.literal(3)]),
  })
  .strict();

const finiteNumber = z.number().refine(Number.isFinite, "must be a finite number");

export const normalizeStepSchema = z
  .object({
    op: z.literal("normalize"),
    mean: z.array(finiteNumber).min(1),
    std: z.array(finiteNumber.refine((v) => v !== 0, "std must not be 0")).min(1),
  })
  .strict()
  .refine((s) => s.mean.length === s.std.length || s.mean.length === 1 || s.std.length === 1, {
    message: "mean and std must have one value per channel, or one value for all",
    path: ["std"],
  });

export const tensorResizeStepSchema = z
  .object({
    op: z.literal("tensorResize"),
    size: positiveInt,
    kernel: z.enum(["bicubic", "bilinear"]),
    antialias: z.boolean(),
  })
  .strict();

export const preprocessStepSchema = z.discriminatedUnion("op", [
  convertStepSchema,
  resizeStepSchema,
  padStepSchema,
  centerCropStepSchema,
  toTensorStepSchema,
  normalizeStepSchema,
  tensorResizeStepSchema,
]);

export const preprocessStepsSchema = z.array(preprocessStepSchema).min(1);

export type PreprocessStep = z.infer<typeof preprocessStepSchema>;
export type PreprocessStepInput = z.input<typeof preprocessStepSchema>;
export type ConvertStep = z.infer<typeof convertStepSchema>;
export type ResizeStep = z.infer<typeof resizeStepSchema>;
export type PadStep = z.infer<typeof padStepSchema>;
export type CenterCropStep = z.infer<typeof centerCropStepSchema>;
export type ToTensorStep = z.infer<typeof toTensorStepSchema>;
export type NormalizeStep = z.infer<typeof normalizeStepSchema>;
export type TensorResizeStep = z.infer<typeof tensorResizeStepSchema>;
