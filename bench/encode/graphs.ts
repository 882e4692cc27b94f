import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where bench/encode keeps its exports (models.py's --out default). */
export const BENCH_GRAPHS_DIR = path.join(here, "..", "out", "encode");

/** models.py's EXPORT_VERSION for the graphs whose export changed since their first version. */
const EXPORT_VERSION: Record<string, string> = { bert_base: "2" };

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
  const stamp = (m: string) => path.join(out, `${m}.version`);
  const stale = (m: string) =>
    EXPORT_VERSION[m] !== undefined &&
    (!existsSync(stamp(m)) || readFileSync(stamp(m), "utf8").trim() !== EXPORT_VERSION[m]);
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
