import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MODEL_PREPROCESS, sha256File } from "../../packages/encoders/src/index.ts";
import { tinyTokenizerJson } from "../../packages/encoders/src/testing/index.ts";

/**
 * A bundle around bench/encode's random-init graphs (models.py: a ViT-B/32 or Swin-T image encoder,
 * pixel_values [b,3,224,224] -> image_embeds [b,512]; a BERT-base-sized text encoder) with CLIP's
 * preprocessing: a model of real size for throughput figures. The graphs are linked, not copied.
 */
export async function writeRandomInitBundle(
  dir: string,
  graphs: { image: string; text: string },
  id: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  symlinkSync(graphs.image, path.join(dir, "image.onnx"));
  symlinkSync(graphs.text, path.join(dir, "text.onnx"));
  writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tinyTokenizerJson()));
  writeFileSync(
    path.join(dir, "card.md"),
    `# bench: random-init ${path.basename(graphs.image)} + BERT-base-sized text encoder\n`,
  );
  writeFileSync(path.join(dir, "LICENSE"), "bench fixture, no restrictions\n");
  const files: Record<string, string> = {};
  for (const f of ["image.onnx", "text.onnx", "tokenizer.json", "card.md", "LICENSE"])
    files[f] = await sha256File(path.join(dir, f));
  const manifest = {
    format: "cxr-bundle/1",
    id,
    version: "0.0.0",
    name: `bench ${path.basename(graphs.image)} (random init)`,
    family: "other",
    dimension: 512,
    normalize: true,
    license: "none",
    card: "card.md",
    licenseFile: "LICENSE",
    image: {
      onnx: "image.onnx",
      input: { name: "pixel_values", dtype: "float32", shape: ["batch", 3, 224, 224] },
      output: { name: "image_embeds" },
      preprocess: MODEL_PREPROCESS.clip,
    },
    text: {
      onnx: "text.onnx",
      inputs: { inputIds: "input_ids", attentionMask: "attention_mask", tokenTypeIds: "token_type_ids" },
      dtype: "int64",
      output: { name: "text_embeds" },
      tokenizer: {
        file: "tokenizer.json",
        maxLength: 77,
        truncation: "standard",
        padding: "longest",
        padId: 0,
      },
    },
    files,
  };
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return dir;
}
