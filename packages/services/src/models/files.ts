import { randomBytes } from "node:crypto";
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { MANIFEST_FILE } from "@cxr/encoders";
import { ModelError } from "./errors.ts";

/**
 * The registry's folder layout under CXR_MODELS_DIR:
 *   <id>/                 a registered bundle (the copy `add` made; the database row points here)
 *   .staging/<id>-<rand>/ a copy being checked; renamed to <id>/ only when every check passed
 *   .downloads/<id>/      `pull`'s downloads (`*.partial` while incomplete, kept for resume)
 */

export function bundleDir(modelsDir: string, id: string): string {
  return path.join(modelsDir, id);
}

export function downloadsDir(modelsDir: string, id: string): string {
  return path.join(modelsDir, ".downloads", id);
}

export async function newStagingDir(modelsDir: string, id: string): Promise<string> {
  const dir = path.join(modelsDir, ".staging", `${id}-${randomBytes(4).toString("hex")}`);
  await makeDir(modelsDir, dir);
  return dir;
}

/** mkdir -p under CXR_MODELS_DIR; a folder that cannot be made is the environment's fault, said so. */
export async function makeDir(modelsDir: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ModelError(
      "MODELS_DIR_UNWRITABLE",
      `CXR_MODELS_DIR (${modelsDir}) is not writable: cannot create ${dir} (${code})`,
      { cause },
    );
  }
}

/** Copies manifest.json and every file the manifest lists (nothing else in the folder). */
export async function copyBundleFiles(from: string, to: string, files: readonly string[]): Promise<void> {
  for (const file of [MANIFEST_FILE, ...files]) {
    const target = path.join(to, file);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(path.join(from, file), target);
  }
}

/** Moves a checked staging folder into place, replacing a leftover folder no record points to. */
export async function installDir(staging: string, target: string): Promise<void> {
  if (await exists(target)) await rm(target, { recursive: true, force: true });
  await mkdir(path.dirname(target), { recursive: true });
  await rename(staging, target);
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** True when `child` is `parent` or inside it (both resolved). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
