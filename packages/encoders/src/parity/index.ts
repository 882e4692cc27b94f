import { existsSync } from "node:fs";
import path from "node:path";
import { formatPreprocessParity, type PreprocessParityReport, preprocessParity } from "./preprocess.ts";
import { TOKENIZER_REFERENCE, type TokenizerParityReport, tokenizerParity } from "./tokenizers.ts";

/**
 * `cxr parity`: both parity checks of issue 3 against the shared reference folder
 * (the reference data folder: `tokenizers/`, `vectors/tokenizers/`, `vectors/preprocess/`).
 * Goals: tokenizers 60/60 identical for both; preprocessing max abs < 0.02 and mean abs < 0.002 for
 * every (model, image) pair. `ok` is false when any goal is missed.
 */

export interface ParityReport {
  referenceDir: string;
  ok: boolean;
  tokenizers: TokenizerParityReport;
  preprocess: PreprocessParityReport;
}

/** The reference folder lacks what a check needs. */
export class ParityReferenceError extends Error {
  override readonly name = "ParityReferenceError";
}

export async function runParity(
  referenceDir: string,
  options: { extras?: boolean } = {},
): Promise<ParityReport> {
  const dir = path.resolve(referenceDir);
  const needed = [...Object.values(TOKENIZER_REFERENCE), "vectors/preprocess/images.json"];
  const missing = needed.filter((p) => !existsSync(path.join(dir, p)));
  if (missing.length > 0) {
    throw new ParityReferenceError(
      `${dir} is not the reference folder (expected the reference data folder): missing ${missing.join(", ")}`,
    );
  }
  const tokenizers = await tokenizerParity(dir);
  const preprocess = await preprocessParity(path.join(dir, "vectors", "preprocess"), options);
  return { referenceDir: dir, ok: tokenizers.ok && preprocess.pass, tokenizers, preprocess };
}

export function formatTokenizerParity(report: TokenizerParityReport): string {
  const lines = ["tokenizer parity (goal: every text identical)", "tokenizer          matches   checks"];
  for (const row of report.rows) {
    lines.push(
      `${row.tokenizer.padEnd(18)} ${`${row.matches}/${row.total}`.padEnd(9)} ${row.checks.join("; ")}  ${row.ok ? "pass" : "FAIL"}`,
    );
    for (const m of row.mismatches.slice(0, 10))
      lines.push(`  text ${m.id} (${m.source}) ${m.check}: ${m.detail}`);
    if (row.mismatches.length > 10) lines.push(`  ... ${row.mismatches.length - 10} more`);
  }
  return lines.join("\n");
}

export function formatParity(report: ParityReport): string {
  return [
    formatTokenizerParity(report.tokenizers),
    "",
    formatPreprocessParity(report.preprocess),
    "",
    report.ok ? "parity: every goal met" : "parity: GOALS MISSED",
  ].join("\n");
}

export type { PreprocessParityReport } from "./preprocess.ts";
export type { TokenizerParityReport } from "./tokenizers.ts";
