import { open, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { BundleError, ManifestError } from "./errors.ts";
import { modelFingerprint, sha256File, sha256Hex } from "./hash.ts";
import { type Manifest, type ManifestTemplate, validateManifest } from "./schema.ts";

export const MANIFEST_FILE = "manifest.json";

/** A bundle whose manifest is valid and whose every listed file exists with the listed sha256. */
export interface LoadedBundle {
  dir: string;
  manifest: Manifest;
  /** sha256 of manifest.json's bytes. */
  manifestSha256: string;
  /** sha256 over the ONNX files' `name:sha256` lines and the manifest's sha256 (BUNDLE.md). */
  fingerprint: string;
  /** Absolute path of a file of the bundle. */
  path(file: string): string;
}

/** Reads and validates manifest.json only (no file checks); `template` allows null checksums. */
export async function readManifest(dir: string, options: { template: true }): Promise<ManifestTemplate>;
export async function readManifest(dir: string, options?: { template?: false }): Promise<Manifest>;
export async function readManifest(
  dir: string,
  options: { template?: boolean } = {},
): Promise<Manifest | ManifestTemplate> {
  const { json } = await readManifestJson(dir);
  return options.template ? validateManifest(json, { template: true }) : validateManifest(json);
}

async function readManifestJson(dir: string): Promise<{ json: unknown; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, MANIFEST_FILE));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new BundleError(
      "MANIFEST_MISSING",
      MANIFEST_FILE,
      undefined,
      code === "ENOENT" ? `not found in ${dir}` : `cannot read (${code})`,
      { cause },
    );
  }
  try {
    return { json: JSON.parse(bytes.toString("utf8")), bytes };
  } catch (cause) {
    throw new ManifestError([{ field: "", message: `not valid JSON (${(cause as Error).message})` }]);
  }
}

/**
 * Loads a bundle for use: validates the manifest (no null checksums), then checks that every file
 * in `files` exists, is not empty, is not an HTML page saved in place of ONNX weights, and has the
 * listed sha256. Throws BundleError naming the file (and the field, for manifest errors).
 */
export async function loadBundle(dir: string): Promise<LoadedBundle> {
  const root = path.resolve(dir);
  const { json, bytes } = await readManifestJson(root);
  const manifest = validateManifest(json);
  for (const [file, expected] of Object.entries(manifest.files)) {
    await checkFile(root, file, expected);
  }
  const manifestSha256 = sha256Hex(bytes);
  const onnx = Object.fromEntries(Object.entries(manifest.files).filter(([name]) => name.endsWith(".onnx")));
  return {
    dir: root,
    manifest,
    manifestSha256,
    fingerprint: modelFingerprint(onnx, manifestSha256),
    path: (file) => path.join(root, file),
  };
}

async function checkFile(root: string, file: string, expected: string): Promise<void> {
  const full = path.join(root, file);
  const field = `files.${file}`;
  let size: number;
  try {
    const info = await stat(full);
    if (!info.isFile()) throw new BundleError("FILE_MISSING", file, field, "is not a regular file");
    size = info.size;
  } catch (cause) {
    if (cause instanceof BundleError) throw cause;
    throw new BundleError("FILE_MISSING", file, field, `missing from the bundle (${root})`, { cause });
  }
  if (size === 0) throw new BundleError("FILE_EMPTY", file, field, "is empty");
  const head = await readHead(full, 1024);
  if (looksLikeHtml(head)) {
    throw new BundleError(
      file.endsWith(".onnx") ? "NOT_ONNX" : "CHECKSUM_MISMATCH",
      file,
      field,
      `is an HTML page, not ${file.endsWith(".onnx") ? "ONNX weights" : "the expected file"}: a browser or` +
        " download tool saved a web page (login, redirect or error page) in its place; download the file itself",
    );
  }
  const actual = await sha256File(full);
  if (actual !== expected) {
    throw new BundleError(
      "CHECKSUM_MISMATCH",
      file,
      field,
      `sha256 mismatch: the manifest lists ${expected}, the file has ${actual} (corrupt, truncated or a different version)`,
    );
  }
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** An HTML document: optional BOM/whitespace, then `<!doctype html`, `<html`, `<head` or `<body`. */
export function looksLikeHtml(head: Uint8Array): boolean {
  const text = Buffer.from(head)
    .toString("latin1")
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, "")
    .trimStart()
    .toLowerCase();
  return /^(<!doctype html|<html|<head|<body|<!--[\s\S]*?-->\s*<(!doctype html|html))/.test(text);
}
