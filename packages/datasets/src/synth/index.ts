import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { Labels } from "../types.ts";
import { drawRadiograph, sampleAnatomy } from "./draw.ts";
import { type SynthFindings, sampleFindings, toLabels } from "./findings.ts";
import { Rng } from "./prng.ts";
import { writeReport } from "./report.ts";

export type { Anatomy } from "./draw.ts";
export { drawRadiograph, lungPoint, sampleAnatomy } from "./draw.ts";
export type { Device, Lobe, Side, SynthFindings, Zone } from "./findings.ts";
export { isNormal, sampleFindings, toLabels } from "./findings.ts";
export { Rng } from "./prng.ts";
export { type SynthReport, writeReport } from "./report.ts";

export const SYNTH_VERSION = "synth-cxr-1";

export interface SynthOptions {
  /** Output folder: manifest.jsonl, images/, synth.json. */
  out: string;
  studies: number;
  seed: string | number;
  /** Image side in pixels (default 256). */
  size?: number;
  /** Fractions of train and val; the rest is test. Default 0.8 / 0.1. */
  train?: number;
  val?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SynthStudy {
  study_id: string;
  patient_id: string;
  split: "train" | "val" | "test";
  images: { path: string; view: string }[];
  report: string;
  findings: string;
  impression: string;
  labels: Labels;
}

export interface SynthSummary {
  out: string;
  manifest: string;
  studies: number;
  splits: Record<string, number>;
  positives: Record<string, number>;
  elapsedMs: number;
}

/** One study, pixels included, deterministic in (seed, index). */
export function synthStudy(
  seed: string | number,
  index: number,
  options: { size?: number; train?: number; val?: number; digits?: number } = {},
): { study: SynthStudy; findings: SynthFindings; pixels: Uint8Array; size: number } {
  const rng = new Rng(`${seed}:${index}`);
  const size = options.size ?? 256;
  const train = options.train ?? 0.8;
  const val = options.val ?? 0.1;
  const draw = rng.next();
  const split = draw < train ? "train" : draw < train + val ? "val" : "test";
  const findings = sampleFindings(rng);
  const anatomy = sampleAnatomy(rng);
  const report = writeReport(findings, rng);
  const pixels = drawRadiograph(findings, anatomy, rng, size);
  const id = `synth-${String(index + 1).padStart(options.digits ?? 6, "0")}`;
  return {
    study: {
      study_id: id,
      patient_id: `P${id.slice("synth-".length)}`,
      split,
      images: [{ path: `images/${id}.png`, view: "PA" }],
      report: report.fullText,
      findings: report.findings,
      impression: report.impression,
      labels: toLabels(findings),
    },
    findings,
    pixels,
    size,
  };
}

export function encodePng(pixels: Uint8Array, size: number): Promise<Buffer> {
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

/**
 * Writes `studies` synthetic studies in the generic-manifest layout: <out>/manifest.jsonl (one
 * study a line: study_id, patient_id, split, images [{path, view}], report, findings, impression,
 * labels) and <out>/images/synth-NNNNNN.png (8-bit grayscale), plus <out>/synth.json (seed,
 * version). Same seed, same bytes.
 */
export async function synthesize(options: SynthOptions): Promise<SynthSummary> {
  const started = Date.now();
  const out = path.resolve(options.out);
  const n = options.studies;
  if (!Number.isInteger(n) || n < 1) throw new Error(`studies must be a positive whole number, got ${n}`);
  await mkdir(path.join(out, "images"), { recursive: true });
  const manifestPath = path.join(out, "manifest.jsonl");
  const partial = `${manifestPath}.partial`;
  const stream = createWriteStream(partial);
  const splits: Record<string, number> = { train: 0, val: 0, test: 0 };
  const positives: Record<string, number> = {};
  const window: Promise<string>[] = [];
  const flush = async () => {
    const line = await window.shift()!;
    if (!stream.write(line)) await once(stream, "drain");
  };
  const digits = Math.max(6, String(n).length);
  for (let i = 0; i < n; i++) {
    const { study, pixels, size } = synthStudy(options.seed, i, { ...options, digits });
    splits[study.split] = (splits[study.split] ?? 0) + 1;
    for (const [name, value] of Object.entries(study.labels)) {
      if (value === 1) positives[name] = (positives[name] ?? 0) + 1;
    }
    const file = path.join(out, study.images[0]!.path);
    window.push(
      encodePng(pixels, size)
        .then((png) => writeFile(file, png))
        .then(() => `${JSON.stringify(study)}\n`),
    );
    if (window.length >= 8) await flush();
    options.onProgress?.(i + 1, n);
  }
  while (window.length > 0) await flush();
  stream.end();
  await once(stream, "finish");
  await rename(partial, manifestPath);
  await writeFile(
    path.join(out, "synth.json"),
    `${JSON.stringify({ generator: SYNTH_VERSION, seed: String(options.seed), studies: n, size: options.size ?? 256, splits }, null, 2)}\n`,
  );
  return { out, manifest: manifestPath, studies: n, splits, positives, elapsedMs: Date.now() - started };
}
