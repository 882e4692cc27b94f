import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sha256Hex } from "../bundle/hash.ts";
import { type ElemType, floatTensor, int64Tensor, modelBytes, node, valueInfo } from "../onnx/builder.ts";
import type { PreprocessStepInput } from "../preprocess/steps.ts";
import type { TextPrepStep } from "../tokenizer/text-prep.ts";
import { wordPieceTokenizerJson } from "../tokenizer/tokenizer-json.ts";

/**
 * Tiny ONNX encoders with known weights, written from TypeScript, so that tests (here and in other
 * packages) can compute expected embeddings by hand and build complete bundles in a temp folder.
 *
 * - Image: `Flatten(pixel_values) @ W` with W[k][j] = imageWeight(k, j), k over C*H*W.
 * - Text: `Gather(E, input_ids)` (+ `Gather(T, token_type_ids)` when that input exists), pooled over
 *   the sequence: `mean` (all positions, padding included, like MedCLIP) or `masked-mean` (only
 *   where attention_mask is 1). E[v][j] = textWeight(v, j), T[t][j] = typeWeight(t, j).
 */

export const imageWeight = (k: number, j: number): number =>
  Math.fround(Math.sin(k * 0.37 + j * 1.3 + 0.1) * 0.5);
export const textWeight = (v: number, j: number): number => Math.fround(Math.cos(v * 0.91 + j * 0.53) * 0.8);
export const typeWeight = (t: number, j: number): number => Math.fround((t + 1) * 0.05 * (j % 3));

export interface TinyImageModelOptions {
  inputName?: string;
  outputName?: string;
  channels?: number;
  height?: number;
  width?: number;
  dimension?: number;
  /** A fixed batch size instead of the dynamic axis (to test the check). */
  fixedBatch?: number;
}

export function tinyImageModel(options: TinyImageModelOptions = {}): Uint8Array {
  const {
    inputName = "pixel_values",
    outputName = "image_embeds",
    channels = 1,
    height = 8,
    width = 8,
  } = options;
  const dimension = options.dimension ?? 8;
  const k = channels * height * width;
  const w = new Float32Array(k * dimension);
  for (let i = 0; i < k; i++) for (let j = 0; j < dimension; j++) w[i * dimension + j] = imageWeight(i, j);
  const batch = options.fixedBatch ?? "batch";
  return modelBytes({
    name: "tiny-image",
    nodes: [node("Flatten", [inputName], ["flat"], { axis: 1 }), node("MatMul", ["flat", "W"], [outputName])],
    initializers: [floatTensor("W", [k, dimension], w)],
    inputs: [valueInfo(inputName, "float32", [batch, channels, height, width])],
    outputs: [valueInfo(outputName, "float32", [batch, dimension])],
  });
}

export interface TinyTextModelOptions {
  inputIds?: string;
  /** Graph input for the attention mask; omit for a graph without one. */
  attentionMask?: string;
  /** Graph input for token type ids; omit for a graph without one. */
  tokenTypeIds?: string;
  outputName?: string;
  dtype?: Extract<ElemType, "int64" | "int32">;
  vocabSize: number;
  dimension?: number;
  /** `masked-mean` needs attentionMask. Default: masked-mean when there is a mask, else mean. */
  pooling?: "mean" | "masked-mean";
}

export function tinyTextModel(options: TinyTextModelOptions): Uint8Array {
  const {
    inputIds = "input_ids",
    attentionMask,
    tokenTypeIds,
    outputName = "text_embeds",
    vocabSize,
  } = options;
  const dtype = options.dtype ?? "int64";
  const dimension = options.dimension ?? 8;
  const pooling = options.pooling ?? (attentionMask ? "masked-mean" : "mean");
  if (pooling === "masked-mean" && !attentionMask)
    throw new Error("masked-mean pooling needs an attention mask input");
  const e = new Float32Array(vocabSize * dimension);
  for (let v = 0; v < vocabSize; v++)
    for (let j = 0; j < dimension; j++) e[v * dimension + j] = textWeight(v, j);
  const nodes = [node("Gather", ["E", inputIds], ["tok"], { axis: 0 })];
  const initializers = [floatTensor("E", [vocabSize, dimension], e)];
  const inputs = [valueInfo(inputIds, dtype, ["batch", "sequence"])];
  let hidden = "tok";
  if (tokenTypeIds) {
    const t = new Float32Array(2 * dimension);
    for (let i = 0; i < 2; i++) for (let j = 0; j < dimension; j++) t[i * dimension + j] = typeWeight(i, j);
    initializers.push(floatTensor("T", [2, dimension], t));
    inputs.push(valueInfo(tokenTypeIds, dtype, ["batch", "sequence"]));
    nodes.push(
      node("Gather", ["T", tokenTypeIds], ["typ"], { axis: 0 }),
      node("Add", ["tok", "typ"], ["hidden"]),
    );
    hidden = "hidden";
  }
  if (attentionMask) inputs.push(valueInfo(attentionMask, dtype, ["batch", "sequence"]));
  if (pooling === "mean") {
    nodes.push(node("ReduceMean", [hidden], [outputName], { axes: [1], keepdims: 0 }));
  } else {
    initializers.push(int64Tensor("axis1", [1], [1]), int64Tensor("axis2", [1], [2]));
    nodes.push(
      node("Cast", [attentionMask!], ["maskf"], { to: 1 }),
      node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
      node("Mul", [hidden, "mask3"], ["masked"]),
      node("ReduceSum", ["masked", "axis1"], ["sum"], { keepdims: 0 }),
      node("ReduceSum", ["maskf", "axis1"], ["count"], { keepdims: 1 }),
      node("Div", ["sum", "count"], [outputName]),
    );
  }
  return modelBytes({
    name: "tiny-text",
    nodes,
    initializers,
    inputs,
    outputs: [valueInfo(outputName, "float32", ["batch", dimension])],
  });
}

/** The tiny WordPiece vocabulary: BERT-style specials, then a few report words. */
export const TINY_VOCAB: readonly string[] = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "no",
  "acute",
  "cardio",
  "##pulmonary",
  "process",
  ".",
  ",",
  "heart",
  "size",
  "is",
  "normal",
  "lungs",
  "are",
  "clear",
  "small",
  "left",
  "right",
  "pleural",
  "effusion",
  "pneumo",
  "##thorax",
  "##s",
  "x",
  "##x",
];

/** A Hugging Face tokenizer.json (BERT normalizer, WordPiece, [CLS] ... [SEP]) over `vocab`. */
export function tinyTokenizerJson(vocab: readonly string[] = TINY_VOCAB): Record<string, unknown> {
  return wordPieceTokenizerJson(vocab);
}

export interface TinyBundleOptions {
  id?: string;
  dimension?: number;
  normalize?: boolean;
  /** Image input channels (1 or 3) and side; the default steps resize any image to side x side. */
  channels?: 1 | 3;
  side?: number;
  preprocess?: PreprocessStepInput[];
  text?: {
    dtype?: "int64" | "int32";
    attentionMask?: boolean;
    tokenTypeIds?: boolean;
    pooling?: "mean" | "masked-mean";
    maxLength?: number;
    truncation?: "end-token" | "standard";
    padding?: "max_length" | "longest";
    prep?: TextPrepStep[];
  };
  /** Graph-side deviations from the manifest, to test the checks. */
  graph?: {
    imageInputName?: string;
    imageDimension?: number;
    textInputIds?: string;
    textDimension?: number;
    imageFixedBatch?: number;
  };
  /** Last word on the manifest before checksums are added (tests break fields with it). */
  editManifest?: (manifest: Record<string, unknown>) => void;
}

export interface TinyBundle {
  dir: string;
  manifest: Record<string, unknown>;
  vocab: readonly string[];
  dimension: number;
}

/** Writes a complete, valid bundle (manifest with correct sha256s) into `dir`, creating it. */
export async function writeTinyBundle(dir: string, options: TinyBundleOptions = {}): Promise<TinyBundle> {
  const dimension = options.dimension ?? 8;
  const channels = options.channels ?? 1;
  const side = options.side ?? 8;
  const text = options.text ?? {};
  const attentionMask = text.attentionMask ?? true;
  const tokenTypeIds = text.tokenTypeIds ?? false;
  const dtype = text.dtype ?? "int64";
  const graph = options.graph ?? {};
  const vocab = TINY_VOCAB;
  const files: Record<string, Uint8Array | string> = {
    "image.onnx": tinyImageModel({
      inputName: graph.imageInputName ?? "pixel_values",
      channels,
      height: side,
      width: side,
      dimension: graph.imageDimension ?? dimension,
      ...(graph.imageFixedBatch === undefined ? {} : { fixedBatch: graph.imageFixedBatch }),
    }),
    "text.onnx": tinyTextModel({
      inputIds: graph.textInputIds ?? "input_ids",
      ...(attentionMask ? { attentionMask: "attention_mask" } : {}),
      ...(tokenTypeIds ? { tokenTypeIds: "token_type_ids" } : {}),
      ...(text.pooling ? { pooling: text.pooling } : {}),
      dtype,
      vocabSize: vocab.length,
      dimension: graph.textDimension ?? dimension,
    }),
    "tokenizer.json": JSON.stringify(tinyTokenizerJson(vocab)),
    "card.md":
      "# Tiny test model\n\nKnown weights for tests (packages/encoders/src/testing/tiny-models.ts). Not a real model.\n",
    LICENSE: "Test fixture generated by @cxr/encoders; no restrictions.\n",
  };
  const manifest: Record<string, unknown> = {
    format: "cxr-bundle/1",
    id: options.id ?? "tiny",
    version: "0.0.1",
    name: "Tiny test encoder",
    family: "demo",
    dimension,
    normalize: options.normalize ?? true,
    license: "CC0-1.0",
    card: "card.md",
    licenseFile: "LICENSE",
    image: {
      onnx: "image.onnx",
      input: { name: "pixel_values", dtype: "float32", shape: ["batch", channels, side, side] },
      output: { name: "image_embeds" },
      preprocess: options.preprocess ?? [
        { op: "resize", size: side, by: "exact", kernel: "bilinear" },
        { op: "toTensor", scale: "divide255", channels },
      ],
    },
    text: {
      onnx: "text.onnx",
      inputs: {
        inputIds: "input_ids",
        ...(attentionMask ? { attentionMask: "attention_mask" } : {}),
        ...(tokenTypeIds ? { tokenTypeIds: "token_type_ids" } : {}),
      },
      dtype,
      output: { name: "text_embeds" },
      tokenizer: {
        file: "tokenizer.json",
        maxLength: text.maxLength ?? 16,
        truncation: text.truncation ?? "standard",
        padding: text.padding ?? "longest",
        padId: 0,
        ...(text.prep ? { prep: text.prep } : {}),
      },
    },
  };
  await mkdir(dir, { recursive: true });
  const sums: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), content);
    sums[name] = sha256Hex(content);
  }
  manifest.files = sums;
  options.editManifest?.(manifest);
  await writeFile(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest, vocab, dimension };
}

/**
 * Sets (or, with `undefined`, deletes) a field of parsed JSON by a dotted path such as
 * `image.preprocess.0.size`, or by an array of keys when a key holds dots (`["files", "image.onnx"]`);
 * for tests that break one manifest field at a time.
 */
export function setJsonPath(
  root: Record<string, unknown>,
  at: string | readonly string[],
  value: unknown,
): void {
  const keys = typeof at === "string" ? at.split(".") : [...at];
  const dotted = keys.join(".");
  let node: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object") throw new Error(`${dotted}: no object at ${key}`);
    node = next as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}
