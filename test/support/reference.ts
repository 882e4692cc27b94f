import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the shared reference data lives: $CXR_REFERENCE_DIR, else ../shared/reference next to the
 * repository. It is test data under its own licences and is never copied into the project.
 */
export function referenceDir(): string {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  return path.resolve(process.env.CXR_REFERENCE_DIR ?? path.join(repoRoot, "../shared/reference"));
}

/** The reference path if `relative` exists under it; otherwise logs once why tests are skipped. */
export function reference(relative = ""): string | undefined {
  const full = path.join(referenceDir(), relative);
  if (existsSync(full)) return full;
  console.warn(
    `[reference data absent] ${full} not found: tests that need it are skipped (set CXR_REFERENCE_DIR).`,
  );
  return undefined;
}
