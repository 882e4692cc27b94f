/**
 * Image preprocessing parity against the reference data folder's vectors/preprocess: every (transform, image)
 * pair is decoded from the fixture file with our decoder, run through the model's steps
 * (MODEL_PREPROCESS), and compared with the reference float32 tensor in normalised units.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { decodeImage } from "../image/decode.ts";
import { REFERENCE_TRANSFORMS } from "../preprocess/models.ts";
import { runPreprocess } from "../preprocess/run.ts";

/** Goals from issue 3: per (model, image), max abs error < 0.02 and mean abs error < 0.002. */
export const PREPROCESS_GOALS = { maxAbs: 0.02, meanAbs: 0.002 } as const;

/** The four transforms the goal covers; `cxr_repair_antialias` is reported but not part of the goal. */
export const PARITY_TRANSFORMS = ["clip", "cxr_repair", "medclip", "cxr_clip"] as const;
export type ParityTransform = keyof typeof REFERENCE_TRANSFORMS;

export interface PreprocessParityRow {
  transform: ParityTransform;
  image: string;
  shape: number[];
  maxAbs: number;
  meanAbs: number;
  /** Values that differ at all (bit-level), out of `count`. */
  differing: number;
  count: number;
  pass: boolean;
  /** False for extra variants reported for information only. */
  counted: boolean;
  error?: string;
}

export interface PreprocessParityReport {
  referenceDir: string;
  goals: typeof PREPROCESS_GOALS;
  rows: PreprocessParityRow[];
  pass: boolean;
}

interface ImagesJson {
  images: { name: string; file: string }[];
}

/** Compare two float32 arrays: max and mean absolute difference and the count of unequal values. */
export function compareTensors(
  actual: Float32Array,
  expected: Float32Array,
): {
  maxAbs: number;
  meanAbs: number;
  differing: number;
} {
  if (actual.length !== expected.length) {
    return {
      maxAbs: Number.POSITIVE_INFINITY,
      meanAbs: Number.POSITIVE_INFINITY,
      differing: expected.length,
    };
  }
  let maxAbs = 0;
  let sum = 0;
  let differing = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (d !== 0 || Number.isNaN(d)) differing++;
    if (!(d <= maxAbs)) maxAbs = d;
    sum += d;
  }
  return { maxAbs, meanAbs: expected.length ? sum / expected.length : 0, differing };
}

function readF32(file: string): Float32Array {
  const buf = readFileSync(file);
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

/**
 * Run the parity check. `referenceDir` is the `vectors/preprocess` folder (or a folder that contains
 * `vectors/preprocess`, the reference data folder, $CXR_REFERENCE_DIR in the tests). Set `extras` to also report cxr_repair_antialias.
 */
export async function preprocessParity(
  referenceDir: string,
  opts: { extras?: boolean } = {},
): Promise<PreprocessParityReport> {
  let dir = referenceDir;
  if (!existsSync(path.join(dir, "images.json"))) {
    const nested = path.join(referenceDir, "vectors", "preprocess");
    if (existsSync(path.join(nested, "images.json"))) dir = nested;
    else throw new Error(`no images.json under ${referenceDir} (expected the vectors/preprocess folder)`);
  }
  const images = (JSON.parse(readFileSync(path.join(dir, "images.json"), "utf8")) as ImagesJson).images;
  const transforms: ParityTransform[] = opts.extras
    ? [...PARITY_TRANSFORMS, "cxr_repair_antialias"]
    : [...PARITY_TRANSFORMS];
  const rows: PreprocessParityRow[] = [];
  for (const img of images) {
    let decoded: Awaited<ReturnType<typeof decodeImage>> | undefined;
    let decodeError: string | undefined;
    try {
      decoded = await decodeImage(new Uint8Array(readFileSync(path.join(dir, img.file))), { name: img.file });
    } catch (e) {
      decodeError = e instanceof Error ? e.message : String(e);
    }
    for (const transform of transforms) {
      const counted = (PARITY_TRANSFORMS as readonly string[]).includes(transform);
      const base = path.join(dir, `${img.name}__${transform}`);
      const sidecar = JSON.parse(readFileSync(`${base}.json`, "utf8")) as { shape: number[] };
      const expected = readF32(`${base}.f32`);
      const row: PreprocessParityRow = {
        transform,
        image: img.name,
        shape: sidecar.shape,
        maxAbs: Number.POSITIVE_INFINITY,
        meanAbs: Number.POSITIVE_INFINITY,
        differing: expected.length,
        count: expected.length,
        pass: false,
        counted,
      };
      try {
        if (!decoded) throw new Error(decodeError ?? "decode failed");
        const out = runPreprocess(decoded, [...REFERENCE_TRANSFORMS[transform]]);
        if (out.shape.join("x") !== sidecar.shape.join("x")) {
          throw new Error(`shape ${out.shape.join("x")} != reference ${sidecar.shape.join("x")}`);
        }
        Object.assign(row, compareTensors(out.data, expected));
        row.pass = row.maxAbs < PREPROCESS_GOALS.maxAbs && row.meanAbs < PREPROCESS_GOALS.meanAbs;
      } catch (e) {
        row.error = e instanceof Error ? e.message : String(e);
      }
      rows.push(row);
    }
  }
  return {
    referenceDir: dir,
    goals: PREPROCESS_GOALS,
    rows,
    pass: rows.filter((r) => r.counted).every((r) => r.pass),
  };
}

/** A plain-text table of a parity report (one line per transform x image). */
export function formatPreprocessParity(report: PreprocessParityReport): string {
  const lines = [
    `preprocess parity vs ${report.referenceDir} (goal: max abs < ${report.goals.maxAbs}, mean abs < ${report.goals.meanAbs})`,
    "transform             image                      max_abs     mean_abs    differing         result",
  ];
  for (const r of report.rows) {
    const result = r.error ? `ERROR ${r.error}` : r.pass ? "pass" : "FAIL";
    lines.push(
      `${r.transform.padEnd(21)} ${r.image.padEnd(26)} ${r.maxAbs.toExponential(3).padEnd(11)} ${r.meanAbs
        .toExponential(3)
        .padEnd(
          11,
        )} ${`${r.differing}/${r.count}`.padEnd(17)} ${result}${r.counted ? "" : " (extra, not a goal)"}`,
    );
  }
  lines.push(report.pass ? "all goals met" : "GOALS MISSED");
  return lines.join("\n");
}
