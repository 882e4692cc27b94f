import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where bench/encode keeps its exports (models.py's --out default). */
export const BENCH_GRAPHS_DIR = path.join(here, "..", "out", "encode");

/**
 * models.py's `EXPORT_VERSION = {...}` (one source: models.py stamps each export with it, and
 * redoes an export whose stamp differs; reading it here avoids starting Python when nothing changed).
 */
function exportVersions(): Record<string, string> {
  const source = readFileSync(path.join(here, "models.py"), "utf8");
  const literal = /^EXPORT_VERSION = (\{[^}\n]*\})$/m.exec(source)?.[1];
  if (literal === undefined) throw new Error("bench/encode/models.py has no EXPORT_VERSION line");
  return JSON.parse(literal) as Record<string, string>;
}

/**
 * The random-init graphs `models` (vit_b32, swin_t, bert_base) and the synthetic JPEGs in `out`,
 * exported by models.py (Debian's python3-torch, nothing downloaded) when missing or older than
 * models.py's export version. Throws with models.py's reason when it cannot run.
 */
export function ensureBenchGraphs(
  models: readonly string[],
  out: string = BENCH_GRAPHS_DIR,
  python = "/usr/bin/python3",
): void {
  const versions = exportVersions();
  const stamp = (m: string) => path.join(out, `${m}.version`);
  // as models.py reads it: an export without a stamp is version 1
  const stale = (m: string) =>
    (existsSync(stamp(m)) ? readFileSync(stamp(m), "utf8").trim() : "1") !== versions[m];
  const missing = models.some((m) => !existsSync(path.join(out, `${m}.onnx`)) || stale(m));
  if (!missing && existsSync(path.join(out, "jpeg"))) return;
  console.error(`exporting ${models.join(", ")} into ${out} (bench/encode/models.py) ...`);
  const r = spawnSync(python, [path.join(here, "models.py"), "--out", out, "--models", models.join(",")], {
    stdio: "inherit",
  });
  if (r.status !== 0) {
    throw new Error(
      `bench/encode/models.py failed (it needs ${python} with python3-torch, python3-torchvision and python3-onnx: see bench/encode/README.md)`,
    );
  }
}
