import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { firstLine } from "@cxr/config";
import { BUNDLE_FORMAT, createSession, MANIFEST_FILE, MODEL_PREPROCESS, sha256File } from "@cxr/encoders";
import { type DownloadProgress, type DownloadResult, download } from "../download/download.ts";
import { ModelError, NotPullableError } from "./errors.ts";
import { downloadsDir, makeDir } from "./files.ts";
import { type AddedModel, addModel, type ModelsConfig, type ModelsDb } from "./registry.ts";
import { MODEL_SOURCES, modelSource, PULLABLE_MODEL, templateDir } from "./sources.ts";

/**
 * `pull clip-vit-b32`: downloads the ready ONNX export of CLIP ViT-B/32 from the Hugging Face hub
 * layout of Xenova/clip-vit-base-patch32, turns it into a cxr-bundle/1 folder (CLIP's preprocessing
 * and tokenizer settings, the card and license from packages/encoders/models/clip-vit-b32) and adds it
 * with `addModel` (every check of `add` applies). Downloads resume (HTTP Range into `.partial` files
 * kept under CXR_MODELS_DIR/.downloads/<id>/) and are checked against the sha256 the hub announces.
 */

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";
export const CLIP_HF_REPO = "Xenova/clip-vit-base-patch32";

/** Remote path in the hub repository -> name in our bundle. */
export const CLIP_HF_FILES: ReadonlyArray<{ remote: string; local: string; kind: "binary" | "json" }> = [
  { remote: "onnx/vision_model.onnx", local: "image.onnx", kind: "binary" },
  { remote: "onnx/text_model.onnx", local: "text.onnx", kind: "binary" },
  { remote: "tokenizer.json", local: "tokenizer.json", kind: "json" },
  { remote: "tokenizer_config.json", local: "tokenizer_config.json", kind: "json" },
  { remote: "preprocessor_config.json", local: "preprocessor_config.json", kind: "json" },
  { remote: "config.json", local: "config.json", kind: "json" },
];

export interface PullOptions {
  /** The hub's base URL (CXR_HF_ENDPOINT / --endpoint). Default https://huggingface.co. */
  baseUrl?: string;
  /** Git revision in the hub repository. Default main. */
  revision?: string;
  onProgress?: (progress: PullProgress) => void;
  /** Per-request timeout: waiting for headers, then between body chunks. Default 30 s. */
  timeoutMs?: number;
  /** Resumed attempts per file after a cut-off transfer. Default 3. */
  retries?: number;
  signal?: AbortSignal;
}

export interface PullProgress extends DownloadProgress {
  /** 1-based position of the file in the list, and the list's length. */
  index: number;
  count: number;
}

export interface PulledModel extends AddedModel {
  source: string;
  downloads: DownloadResult[];
}

/**
 * A model pull's prepare step: typed refusals, nothing written: an unknown id (UNKNOWN_MODEL), a
 * model with no ready export to download (NotPullableError, with where to get it), one already
 * registered (ALREADY_EXISTS).
 */
export async function checkModelPull(db: ModelsDb, id: string): Promise<void> {
  const source = modelSource(id);
  if (source === undefined) {
    throw new ModelError(
      "UNKNOWN_MODEL",
      `unknown model "${id}"; known: ${MODEL_SOURCES.map((s) => s.id).join(", ")} (or add any exported bundle with \`cxr models add <dir>\`)`,
      { modelId: id },
    );
  }
  if (!source.pullable) throw new NotPullableError(source);
  if (id !== PULLABLE_MODEL) throw new NotPullableError(source);
  const existing = await db.prisma.model.findUnique({ where: { id } });
  if (existing) {
    throw new ModelError(
      "ALREADY_EXISTS",
      `model "${id}" is already registered (${existing.bundlePath}); run \`cxr models remove ${id}\` first`,
      { modelId: id },
    );
  }
}

/**
 * Downloads the model's export (each file resumable), writes its bundle, adds it (the runtime
 * check and self-test) and removes the downloads. Faces run it as a `model-pull` job.
 */
export async function pullModel(
  db: ModelsDb,
  config: ModelsConfig,
  id: string,
  options: PullOptions = {},
): Promise<PulledModel> {
  await checkModelPull(db, id);
  const base = (options.baseUrl ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, "");
  const revision = options.revision ?? "main";
  const repoUrl = `${base}/${CLIP_HF_REPO}`;
  const dir = downloadsDir(config.modelsDir, id);
  await makeDir(config.modelsDir, dir);
  const downloads: DownloadResult[] = [];
  for (const [i, file] of CLIP_HF_FILES.entries()) {
    downloads.push(
      await download({
        url: `${repoUrl}/resolve/${encodeURIComponent(revision)}/${file.remote}`,
        dest: path.join(dir, file.local),
        label: file.local,
        kind: file.kind,
        failure: (message, { file, cause }) => new ModelError("DOWNLOAD_FAILED", message, { file, cause }),
        ...(options.onProgress
          ? {
              onProgress: (p: DownloadProgress) =>
                options.onProgress?.({ ...p, index: i + 1, count: CLIP_HF_FILES.length }),
            }
          : {}),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.retries === undefined ? {} : { retries: options.retries }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
  }

  const textInputs = await graphInputNames(path.join(dir, "text.onnx"), "text.onnx");
  await writeClipBundle(dir, { repoUrl, revision, downloads, textInputs });
  const added = await addModel(db, config, dir);
  // The registry now holds its own copy; the downloads are no longer needed.
  await rm(dir, { recursive: true, force: true });
  return { ...added, source: repoUrl, downloads };
}

interface HfPreprocessorConfig {
  image_mean?: number[];
  image_std?: number[];
  crop_size?: number | { height: number; width: number };
  size?: number | { shortest_edge?: number };
}

/**
 * Writes manifest.json, card.md and LICENSE next to the downloaded files. The preprocessing is
 * openai/CLIP's `_transform(224)` (MODEL_PREPROCESS.clip); the hub's preprocessor_config.json must
 * agree with it (mean, std, sizes), and config.json's projection_dim gives the dimension.
 */
export async function writeClipBundle(
  dir: string,
  provenance: {
    repoUrl: string;
    revision: string;
    downloads: readonly DownloadResult[];
    /** The text graph's input names: an export that also takes attention_mask gets it fed. */
    textInputs?: readonly string[];
  },
): Promise<void> {
  const preprocessor = await readJsonFile<HfPreprocessorConfig>(dir, "preprocessor_config.json");
  const hfConfig = await readJsonFile<{
    projection_dim?: number;
    text_config?: { max_position_embeddings?: number };
  }>(dir, "config.json");
  const steps = MODEL_PREPROCESS.clip;
  const norm = steps.find((s) => s.op === "normalize");
  const crop = steps.find((s) => s.op === "centerCrop");
  if (norm?.op !== "normalize" || crop?.op !== "centerCrop")
    throw new Error("MODEL_PREPROCESS.clip lacks normalize/centerCrop");
  const side = crop.size;
  expectClose("preprocessor_config.json", "image_mean", preprocessor.image_mean, norm.mean);
  expectClose("preprocessor_config.json", "image_std", preprocessor.image_std, norm.std);
  const cropSize =
    typeof preprocessor.crop_size === "object" ? preprocessor.crop_size.height : preprocessor.crop_size;
  if (cropSize !== undefined && cropSize !== side) {
    throw new ModelError(
      "INVALID_BUNDLE",
      `${dir}/preprocessor_config.json: crop_size ${cropSize} differs from CLIP ViT-B/32's ${side}: not the expected model`,
      { modelId: PULLABLE_MODEL, file: "preprocessor_config.json", field: "crop_size" },
    );
  }
  const dimension = hfConfig.projection_dim ?? 512;
  const maxLength = Math.min(77, hfConfig.text_config?.max_position_embeddings ?? 77);

  const template = templateDir(PULLABLE_MODEL);
  const templateCard =
    template && existsSync(path.join(template, "card.md"))
      ? await readFile(path.join(template, "card.md"), "utf8")
      : "# CLIP ViT-B/32\n\nOpenAI CLIP ViT-B/32 (arXiv:2103.00020). Code and weights MIT; the OpenAI model card puts deployed use out of scope. Not a medical device.\n";
  const license =
    template && existsSync(path.join(template, "LICENSE"))
      ? await readFile(path.join(template, "LICENSE"), "utf8")
      : "MIT License\n\nCopyright (c) 2021 OpenAI\n\nSee https://github.com/openai/CLIP/blob/main/LICENSE\n";
  const card = `${templateCard.trimEnd()}\n\n## This bundle\n\nDownloaded by \`cxr models pull clip-vit-b32\` from ${provenance.repoUrl} (revision ${provenance.revision}), a ready ONNX export of the Hugging Face port \`openai/clip-vit-base-patch32\`: \`onnx/vision_model.onnx\` is \`image.onnx\` (\`pixel_values\` -> \`image_embeds\`), \`onnx/text_model.onnx\` is \`text.onnx\` (\`input_ids\` -> \`text_embeds\`). \`tokenizer.json\`, \`tokenizer_config.json\`, \`preprocessor_config.json\` and \`config.json\` are the hub's, kept for provenance; the preprocessing and tokenizer settings are those of openai/CLIP declared in manifest.json.\n\n| file | sha256 | size |\n|---|---|---|\n${provenance.downloads
    .map((d) => `| ${d.file} | ${d.sha256} | ${d.size} |`)
    .join("\n")}\n`;
  await writeFile(path.join(dir, "card.md"), card);
  await writeFile(path.join(dir, "LICENSE"), license);

  const files: Record<string, string> = {};
  for (const name of [...CLIP_HF_FILES.map((f) => f.local), "card.md", "LICENSE"]) {
    const known = provenance.downloads.find((d) => d.file === name);
    files[name] = known?.sha256 ?? (await sha256File(path.join(dir, name)));
  }
  const manifest = {
    format: BUNDLE_FORMAT,
    id: PULLABLE_MODEL,
    version: `hf-${provenance.revision}`,
    name: "CLIP ViT-B/32",
    family: "clip",
    dimension,
    normalize: true,
    license: "MIT",
    card: "card.md",
    licenseFile: "LICENSE",
    source: {
      repository: "github.com/openai/CLIP",
      paper: "arXiv:2103.00020",
      weights: `${provenance.repoUrl} (revision ${provenance.revision}), ONNX export of openai/clip-vit-base-patch32`,
    },
    image: {
      onnx: "image.onnx",
      input: { name: "pixel_values", dtype: "float32", shape: ["batch", 3, side, side] },
      output: { name: "image_embeds" },
      preprocess: steps,
    },
    text: {
      onnx: "text.onnx",
      inputs: {
        inputIds: "input_ids",
        ...(provenance.textInputs?.includes("attention_mask") ? { attentionMask: "attention_mask" } : {}),
      },
      dtype: "int64",
      output: { name: "text_embeds" },
      tokenizer: {
        file: "tokenizer.json",
        config: "tokenizer_config.json",
        maxLength,
        truncation: "end-token",
        padding: "max_length",
        padId: 0,
        prep: ["html-unescape", "html-unescape"],
      },
    },
    files,
  };
  await writeFile(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The input names of a downloaded graph (a CPU session, released at once). */
async function graphInputNames(file: string, label: string): Promise<string[]> {
  try {
    const { session } = await createSession(file, `${PULLABLE_MODEL}/${label}`, {
      providers: ["cpu"],
      cpuThreads: 1,
    });
    const names = [...session.inputNames];
    await session.release();
    return names;
  } catch (cause) {
    throw new ModelError(
      "DOWNLOAD_FAILED",
      `${label}: ONNX Runtime cannot load the downloaded graph (${firstLine(cause)}); delete ${path.dirname(file)} and pull again`,
      { modelId: PULLABLE_MODEL, file: label, cause },
    );
  }
}

async function readJsonFile<T>(dir: string, file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path.join(dir, file), "utf8")) as T;
  } catch (cause) {
    throw new ModelError("INVALID_BUNDLE", `${dir}/${file}: cannot read it as JSON`, {
      modelId: PULLABLE_MODEL,
      file,
      cause,
    });
  }
}

function expectClose(
  file: string,
  field: string,
  actual: number[] | undefined,
  expected: readonly number[],
): void {
  if (actual === undefined) return;
  const same =
    actual.length === expected.length &&
    actual.every((v, i) => Math.abs(v - expected[i]!) <= 1e-6 * Math.max(1, Math.abs(v)));
  if (!same) {
    throw new ModelError(
      "INVALID_BUNDLE",
      `${file}: ${field} [${actual.join(", ")}] differs from CLIP's [${expected.join(", ")}]: not the expected model`,
      { modelId: PULLABLE_MODEL, file, field },
    );
  }
}

/** What `pull` prints for a model it cannot download: where the weights are and the export command. */
export function pullInstructions(id: string): string | undefined {
  const source = modelSource(id);
  if (!source) return undefined;
  return [
    `${source.name} (${source.id}) — license: ${source.license}`,
    "",
    "Weights:",
    ...source.checkpoints.map((c) => `  ${c.label}\n    ${c.url}`),
    "",
    "Steps:",
    ...source.steps.map((s, i) => `  ${i + 1}. ${s}`),
    "",
    "Export (from the repository root):",
    `  ${source.exportCommand}`,
    "  then: cxr models add <out>",
  ].join("\n");
}
