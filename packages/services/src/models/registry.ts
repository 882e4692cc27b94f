import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Config } from "@cxr/config";
import type { Database, ModelModel as Model } from "@cxr/db";
import { type LoadedBundle, loadBundle, type Manifest } from "@cxr/encoders";
import type { VectorStore } from "@cxr/store";
import { dropModelCollections } from "../index-job/collections.ts";
import { ModelError } from "./errors.ts";
import { bundleDir, copyBundleFiles, installDir, isInside, newStagingDir } from "./files.ts";
import { type RuntimeCheck, runtimeCheck } from "./runtime.ts";

/**
 * The model registry: a model is a checked bundle folder under CXR_MODELS_DIR plus one `Model` row.
 *
 * `addModel` copies the bundle into CXR_MODELS_DIR/<id>/ (only manifest.json and the files it
 * lists), so the registry is self-contained: the source folder can be deleted or edited afterwards
 * and `verify` still checks what was added. A bundle already at CXR_MODELS_DIR/<id>/ is used in place.
 * Every check runs on the copy before it is moved into place and recorded: when one fails, nothing
 * is recorded and the copy is removed.
 */

export type ModelsConfig = Pick<Config, "modelsDir" | "executionProviders" | "cpuThreads">;
export type ModelsDb = Pick<Database, "prisma">;

/** A registered model, as the CLI and the API show it. */
export interface ModelRecord {
  id: string;
  version: string;
  name: string;
  family: string;
  dimension: number;
  license: string;
  fingerprint: string;
  bundlePath: string;
  addedAt: Date;
  verifiedAt: Date | null;
}

export interface AddedModel {
  model: ModelRecord;
  /** What the runtime check found: provider, graph inputs, self-test figures. */
  check: RuntimeCheck;
  /** True when the bundle was copied under CXR_MODELS_DIR; false when it already lived there. */
  copied: boolean;
}

export async function addModel(db: ModelsDb, config: ModelsConfig, dir: string): Promise<AddedModel> {
  const source = path.resolve(dir);
  const sourceBundle = await checked(() => loadBundle(source), source);
  const id = sourceBundle.manifest.id;
  const existing = await db.prisma.model.findUnique({ where: { id } });
  if (existing) {
    throw new ModelError(
      "ALREADY_EXISTS",
      `model "${id}" is already registered (${existing.bundlePath}); run \`cxr models remove ${id}\` first`,
      { modelId: id, file: "manifest.json", field: "id" },
    );
  }

  const target = bundleDir(config.modelsDir, id);
  const inPlace = path.resolve(target) === source;
  const staging = inPlace ? undefined : await newStagingDir(config.modelsDir, id);
  try {
    let bundle = sourceBundle;
    if (staging !== undefined) {
      await copyBundleFiles(source, staging, Object.keys(sourceBundle.manifest.files));
      // The checks run on the copy that will be kept (a file changed while copying is caught here).
      bundle = await checked(() => loadBundle(staging), source, id, "INVALID_BUNDLE", staging);
      if (bundle.fingerprint !== sourceBundle.fingerprint) {
        throw new ModelError("INVALID_BUNDLE", `${source}: the bundle changed while it was being copied`, {
          modelId: id,
        });
      }
    }
    const check = await checked(() => runtimeCheck(bundle, config), source, id, "INVALID_BUNDLE", staging);
    // The row first: the id's uniqueness decides a race between two adds before any folder moves.
    let row: Model;
    try {
      row = await db.prisma.model.create({
        data: {
          id,
          version: bundle.manifest.version,
          name: bundle.manifest.name,
          bundlePath: target,
          fingerprint: bundle.fingerprint,
          dimension: bundle.manifest.dimension,
          license: bundle.manifest.license,
          manifestJson: JSON.stringify(bundle.manifest),
          verifiedAt: new Date(),
        },
      });
    } catch (error) {
      if ((error as { code?: string }).code === "P2002") {
        throw new ModelError("ALREADY_EXISTS", `model "${id}" was registered meanwhile by another add`, {
          modelId: id,
          file: "manifest.json",
          field: "id",
          cause: error,
        });
      }
      throw error;
    }
    if (staging !== undefined) {
      try {
        await installDir(staging, target);
      } catch (error) {
        await db.prisma.model.delete({ where: { id } });
        throw error;
      }
    }
    return { model: toRecord(row), check, copied: !inPlace };
  } catch (error) {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

export async function listModels(db: ModelsDb): Promise<ModelRecord[]> {
  const rows = await db.prisma.model.findMany({ orderBy: { id: "asc" } });
  return rows.map(toRecord);
}

export async function getModel(db: ModelsDb, id: string): Promise<ModelRecord> {
  return toRecord(await findRow(db, id));
}

export interface VerifiedModel {
  model: ModelRecord;
  check: RuntimeCheck;
}

/**
 * Re-checks a registered model: manifest, every file's sha256, the fingerprint recorded at `add`,
 * both sessions against the manifest, and the self-test. Sets verifiedAt when all pass; throws
 * ModelError VERIFY_FAILED naming the file and field otherwise.
 */
export async function verifyModel(db: ModelsDb, config: ModelsConfig, id: string): Promise<VerifiedModel> {
  const row = await findRow(db, id);
  const bundle = await checked(() => loadBundle(row.bundlePath), row.bundlePath, id, "VERIFY_FAILED");
  if (bundle.fingerprint !== row.fingerprint) {
    throw new ModelError(
      "VERIFY_FAILED",
      `${row.bundlePath}: fingerprint ${bundle.fingerprint} differs from the one recorded at add (${row.fingerprint}): ` +
        "manifest.json or an ONNX file was replaced; remove and add the model again",
      { modelId: id, file: "manifest.json" },
    );
  }
  const check = await checked(() => runtimeCheck(bundle, config), row.bundlePath, id, "VERIFY_FAILED");
  const updated = await db.prisma.model.update({ where: { id }, data: { verifiedAt: new Date() } });
  return { model: toRecord(updated), check };
}

export interface RemovedModel {
  id: string;
  bundlePath: string;
  /** True when the bundle folder was deleted (only folders under CXR_MODELS_DIR are). */
  deletedFiles: boolean;
  /** The model's vector collections that were dropped (when a store was given). */
  droppedCollections: string[];
}

/** Removes the record (its index jobs and benchmark participation cascade) and the bundle copy. */
export async function removeModel(
  db: ModelsDb,
  config: Pick<Config, "modelsDir">,
  id: string,
  options: { keepFiles?: boolean; store?: VectorStore } = {},
): Promise<RemovedModel> {
  const row = await findRow(db, id);
  // The vectors first: with the row gone they could no longer be dropped (remove says NOT_FOUND),
  // and a model added again under this id would answer searches from the old bundle's vectors.
  const droppedCollections = options.store ? await dropModelCollections(options.store, id) : [];
  // Its index jobs go with the row.
  await db.prisma.model.delete({ where: { id } });
  const ours =
    isInside(row.bundlePath, config.modelsDir) &&
    path.resolve(row.bundlePath) !== path.resolve(config.modelsDir);
  const deletedFiles = ours && !options.keepFiles;
  if (deletedFiles) await rm(row.bundlePath, { recursive: true, force: true });
  return { id, bundlePath: row.bundlePath, deletedFiles, droppedCollections };
}

/** What `show` prints: the record, a manifest summary and the model card's text. */
export interface ModelDetails {
  model: ModelRecord;
  summary: ManifestSummary;
  /** The card's Markdown, or null when the file cannot be read (see cardError). */
  card: string | null;
  cardError?: string;
  manifest: Manifest;
}

export interface ManifestSummary {
  family: string;
  normalize: boolean;
  source: Record<string, string>;
  image: { onnx: string; input: string; shape: Array<string | number>; output: string; preprocess: string[] };
  text: {
    onnx: string;
    inputs: Record<string, string>;
    dtype: string;
    output: string;
    tokenizer: { file: string; maxLength: number; truncation: string; padding: string; padId: number };
  };
  files: Record<string, string>;
}

export async function showModel(db: ModelsDb, id: string): Promise<ModelDetails> {
  const row = await findRow(db, id);
  const manifest = JSON.parse(row.manifestJson) as Manifest;
  let card: string | null = null;
  let cardError: string | undefined;
  try {
    card = await readFile(path.join(row.bundlePath, manifest.card), "utf8");
  } catch (error) {
    cardError = `${path.join(row.bundlePath, manifest.card)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
  return {
    model: toRecord(row),
    summary: summarize(manifest),
    card,
    ...(cardError === undefined ? {} : { cardError }),
    manifest,
  };
}

export function summarize(manifest: Manifest): ManifestSummary {
  const { image, text } = manifest;
  const inputs: Record<string, string> = { inputIds: text.inputs.inputIds };
  if (text.inputs.attentionMask) inputs.attentionMask = text.inputs.attentionMask;
  if (text.inputs.tokenTypeIds) inputs.tokenTypeIds = text.inputs.tokenTypeIds;
  return {
    family: manifest.family,
    normalize: manifest.normalize,
    source: manifest.source ?? {},
    image: {
      onnx: image.onnx,
      input: image.input.name,
      shape: [...image.input.shape],
      output: image.output.name,
      preprocess: image.preprocess.map(describeStep),
    },
    text: {
      onnx: text.onnx,
      inputs,
      dtype: text.dtype,
      output: text.output.name,
      tokenizer: {
        file: text.tokenizer.file,
        maxLength: text.tokenizer.maxLength,
        truncation: text.tokenizer.truncation,
        padding: text.tokenizer.padding,
        padId: text.tokenizer.padId,
      },
    },
    files: manifest.files,
  };
}

/** `resize size=224 by=shorter kernel=bicubic` */
function describeStep(step: Manifest["image"]["preprocess"][number]): string {
  const { op, ...fields } = step as { op: string } & Record<string, unknown>;
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`);
  return [op, ...parts].join(" ");
}

async function findRow(db: ModelsDb, id: string): Promise<Model> {
  const row = await db.prisma.model.findUnique({ where: { id } });
  if (!row) {
    throw new ModelError("NOT_FOUND", `no model "${id}" is registered (see \`cxr models list\`)`, {
      modelId: id,
    });
  }
  return row;
}

function toRecord(row: Model): ModelRecord {
  let family = "other";
  try {
    family = (JSON.parse(row.manifestJson) as { family?: string }).family ?? "other";
  } catch {
    // a record written by hand; the family is only informative
  }
  return {
    id: row.id,
    version: row.version,
    name: row.name,
    family,
    dimension: row.dimension,
    license: row.license,
    fingerprint: row.fingerprint,
    bundlePath: row.bundlePath,
    addedAt: row.addedAt,
    verifiedAt: row.verifiedAt,
  };
}

/** Runs a bundle check, turning BundleError (and any other failure) into a ModelError naming the file. */
async function checked<T>(
  run: () => Promise<T>,
  dir: string,
  modelId?: string,
  code: "INVALID_BUNDLE" | "VERIFY_FAILED" = "INVALID_BUNDLE",
  /** The staging copy the check ran on: its path in a message is replaced by the user's folder. */
  staging?: string,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const wrapped = ModelError.fromBundle(code, error, {
      dir,
      ...(modelId === undefined ? {} : { modelId }),
    });
    if (staging !== undefined) wrapped.message = wrapped.message.split(staging).join(dir);
    throw wrapped;
  }
}

export type { LoadedBundle };
