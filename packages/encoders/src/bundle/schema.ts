import { z } from "zod";
import { type PreprocessStep, preprocessStepsSchema } from "../preprocess/steps.ts";
import { TEXT_PREP_STEPS } from "../tokenizer/text-prep.ts";
import { ManifestError, type ManifestIssue } from "./errors.ts";

/** The manifest of a model bundle, format `cxr-bundle/1` (BUNDLE.md). */

export const BUNDLE_FORMAT = "cxr-bundle/1";
export const MODEL_FAMILIES = ["clip", "cxr-repair", "medclip", "cxr-clip", "demo", "other"] as const;

const POSITIVE_INT = "expected a positive integer";
const positiveInt = () =>
  z.number({ error: POSITIVE_INT }).int({ error: POSITIVE_INT }).positive({ error: POSITIVE_INT });
const nonEmpty = (what = "a non-empty string") =>
  z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, { error: `expected ${what}` });

/** A file inside the bundle folder: relative, no `..`, no backslashes. */
const fileName = z
  .string({ error: "expected a file name inside the bundle folder" })
  .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-][A-Za-z0-9._/-]*$/, {
    error: "expected a file name inside the bundle folder (relative, no '..')",
  });

const sha256 = z
  .string({ error: "expected a sha256 (64 lower-case hex digits)" })
  .regex(/^[0-9a-f]{64}$/, { error: "expected a sha256 (64 lower-case hex digits)" });

const graphName = nonEmpty("a graph input/output name");

const imageSchema = z
  .object({
    onnx: fileName,
    input: z
      .object({
        name: graphName,
        dtype: z.literal("float32", { error: 'expected "float32"' }),
        shape: z.tuple(
          [
            z.literal("batch", { error: 'expected "batch" (the dynamic batch axis)' }),
            positiveInt(),
            positiveInt(),
            positiveInt(),
          ],
          {
            error: 'expected ["batch", channels, height, width]',
          },
        ),
      })
      .strict(),
    output: z.object({ name: graphName }).strict(),
    preprocess: preprocessStepsSchema,
  })
  .strict();

const tokenizerSchema = z
  .object({
    file: fileName,
    config: fileName.optional(),
    maxLength: positiveInt(),
    truncation: z.enum(["end-token", "standard"], { error: 'expected "end-token" or "standard"' }),
    padding: z.enum(["max_length", "longest"], { error: 'expected "max_length" or "longest"' }),
    padId: z
      .number({ error: "expected a non-negative integer" })
      .int({ error: "expected a non-negative integer" })
      .min(0, { error: "expected a non-negative integer" }),
    prep: z
      .array(z.enum(TEXT_PREP_STEPS, { error: `expected one of ${TEXT_PREP_STEPS.join(", ")}` }))
      .default([]),
  })
  .strict();

const textSchema = z
  .object({
    onnx: fileName,
    inputs: z
      .object({
        inputIds: graphName,
        attentionMask: graphName.optional(),
        tokenTypeIds: graphName.optional(),
      })
      .strict(),
    dtype: z.enum(["int64", "int32"], { error: 'expected "int64" or "int32"' }),
    output: z.object({ name: graphName }).strict(),
    tokenizer: tokenizerSchema,
  })
  .strict();

function manifestSchema(template: boolean) {
  return z
    .object({
      format: z.literal(BUNDLE_FORMAT, { error: `expected "${BUNDLE_FORMAT}"` }),
      id: z
        .string({ error: "expected an id like clip-vit-b32" })
        .regex(/^[a-z0-9][a-z0-9._-]*$/, { error: "expected lower-case letters, digits, '.', '_' or '-'" }),
      version: nonEmpty(),
      name: nonEmpty(),
      family: z.enum(MODEL_FAMILIES, { error: `expected one of ${MODEL_FAMILIES.join(", ")}` }),
      dimension: positiveInt(),
      normalize: z.boolean({ error: "expected true or false" }),
      license: nonEmpty(),
      card: fileName,
      licenseFile: fileName,
      /** Free-form provenance (repository, commit, paper, weights URL): strings only. */
      source: z.record(z.string(), z.string({ error: "expected a string" })).optional(),
      image: imageSchema,
      text: textSchema,
      // A template (committed without weights) may leave a checksum null until export fills it.
      files: z.record(fileName, template ? sha256.nullable() : sha256, {
        error: "expected an object of file name -> sha256",
      }),
    })
    .strict()
    .superRefine((m, ctx) => {
      const referenced: Array<[string, string | undefined]> = [
        ["image.onnx", m.image.onnx],
        ["text.onnx", m.text.onnx],
        ["text.tokenizer.file", m.text.tokenizer.file],
        ["text.tokenizer.config", m.text.tokenizer.config],
        ["card", m.card],
        ["licenseFile", m.licenseFile],
      ];
      for (const [field, file] of referenced) {
        if (file !== undefined && !(file in m.files)) {
          ctx.addIssue({
            code: "custom",
            path: ["files"],
            message: `no checksum entry for "${file}" (named by ${field})`,
          });
        }
      }
      if ("manifest.json" in m.files) {
        ctx.addIssue({
          code: "custom",
          path: ["files"],
          message: "manifest.json cannot list its own checksum",
        });
      }
      checkImageShape(m.image.input.shape, m.image.preprocess, ctx);
    });
}

/** The final tensor of the steps must have the image input's shape (channels, and size when fixed). */
function checkImageShape(
  shape: readonly ["batch", number, number, number],
  steps: readonly PreprocessStep[],
  ctx: z.RefinementCtx,
): void {
  const [, channels, height, width] = shape;
  const toTensor = steps.findLastIndex((s) => s.op === "toTensor");
  const tensorStep = steps[toTensor];
  if (tensorStep === undefined || tensorStep.op !== "toTensor") {
    ctx.addIssue({ code: "custom", path: ["image", "preprocess"], message: "needs a toTensor step" });
  } else if (tensorStep.channels !== channels) {
    ctx.addIssue({
      code: "custom",
      path: ["image", "input", "shape", 1],
      message: `expected ${tensorStep.channels} channels, as image.preprocess[${toTensor}] (toTensor) produces`,
    });
  }
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    const fixed =
      step.op === "centerCrop" || step.op === "tensorResize" || (step.op === "resize" && step.by === "exact")
        ? step.size
        : step.op === "pad" && step.side !== undefined
          ? step.side
          : undefined;
    const determinesSize = step.op === "resize" || step.op === "pad" || fixed !== undefined;
    if (!determinesSize) continue;
    if (fixed !== undefined && (fixed !== height || fixed !== width)) {
      ctx.addIssue({
        code: "custom",
        path: ["image", "input", "shape"],
        message: `expected height and width ${fixed}, the size image.preprocess[${i}] (${step.op}) produces`,
      });
    }
    break;
  }
}

export type Manifest = z.infer<ReturnType<typeof manifestSchema>> & { files: Record<string, string> };
/** A manifest whose checksums may still be null (committed without weights). */
export type ManifestTemplate = z.infer<ReturnType<typeof manifestSchema>>;
export type ImageSpec = Manifest["image"];
export type TextSpec = Manifest["text"];
export type TokenizerSpec = TextSpec["tokenizer"];

const strictSchema = manifestSchema(false);
const templateSchema = manifestSchema(true);

/**
 * Validates a parsed manifest.json. `template: true` accepts null checksums (a bundle committed
 * without its weights); loading a bundle for use never does. Throws ManifestError listing one
 * issue per bad field.
 */
export function validateManifest(data: unknown, options: { template: true; file?: string }): ManifestTemplate;
export function validateManifest(data: unknown, options?: { template?: false; file?: string }): Manifest;
export function validateManifest(
  data: unknown,
  options: { template?: boolean; file?: string } = {},
): Manifest | ManifestTemplate {
  const schema = options.template ? templateSchema : strictSchema;
  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new ManifestError(formatIssues(parsed.error.issues), options.file);
  return parsed.data as Manifest | ManifestTemplate;
}

/** Formats a zod path as `text.tokenizer.maxLength` / `image.preprocess[2].size`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  for (const issue of issues) {
    const field = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        out.push({ field: field ? `${field}.${key}` : key, message: "unknown field" });
      continue;
    }
    const missing = issue.code === "invalid_type" && issue.input === undefined;
    let message = issue.message;
    if (message.startsWith("Invalid input: expected ")) message = message.slice("Invalid input: ".length);
    out.push({ field, message: missing ? `missing (${message})` : message });
  }
  // One issue per field: the first is the most specific.
  const seen = new Set<string>();
  return out.filter((i) => {
    if (seen.has(i.field)) return false;
    seen.add(i.field);
    return true;
  });
}
