import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readManifest } from "../bundle/load.ts";
import type { TokenizerSpec } from "../bundle/schema.ts";
import { clipBpeGzToTokenizerJson } from "../tokenizer/clip-bpe.ts";
import { type EncodedText, Tokenizer, type TokenizerSettings } from "../tokenizer/tokenizer.ts";

/**
 * Tokenizer parity against the reference data folder's vectors/tokenizers (README there): our Tokenizer,
 * with the settings of the committed model manifests, on the 60 reference texts.
 * - CLIP BPE (clip-vit-b32 and cxr-repair manifests): `ids` (77, end-token truncation, zero
 *   padding; ftfy is not emulated, which is what `ids` records) and the attention mask implied by
 *   the end token's position.
 * - Bio_ClinicalBERT: `max_length_77` with the medclip-swin manifest (ids, mask, type ids) and
 *   `max_length_256` with the cxr-clip-swin manifest; where `hf_fast_agrees` is false the HF ids
 *   (`hf_fast_ids_untruncated`, then wrapped) are the goal, as the real models use HF.
 * A text matches when every check on it matches. Goal: all texts, for both tokenizers.
 */

export interface TokenizerMismatch {
  id: number;
  source: string;
  check: string;
  detail: string;
}

export interface TokenizerParityRow {
  tokenizer: "clip-bpe" | "bio-clinicalbert";
  /** The reference file, relative to the reference folder. */
  reference: string;
  /** What was compared for each text. */
  checks: string[];
  matches: number;
  total: number;
  ok: boolean;
  mismatches: TokenizerMismatch[];
}

export interface TokenizerParityReport {
  ok: boolean;
  rows: TokenizerParityRow[];
}

/** Paths inside the reference folder (the reference data folder). */
export const TOKENIZER_REFERENCE = {
  clipBpe: "tokenizers/openai_clip/bpe_simple_vocab_16e6.txt.gz",
  bertJson: "tokenizers/bio_clinicalbert/tokenizer.json",
  bertConfig: "tokenizers/bio_clinicalbert/tokenizer_config.json",
  clipVectors: "vectors/tokenizers/clip_bpe.jsonl",
  bertVectors: "vectors/tokenizers/bio_clinicalbert.jsonl",
} as const;

export const MODELS_DIR = fileURLToPath(new URL("../../models/", import.meta.url));

interface ClipLine {
  id: number;
  source: string;
  text: string;
  ids: number[];
  truncated: boolean;
}

interface BertVariant {
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
  truncated: boolean;
}

interface BertLine {
  id: number;
  source: string;
  text: string;
  max_length_77: BertVariant;
  max_length_256: BertVariant;
  hf_fast_agrees: boolean;
  hf_fast_ids_untruncated?: number[];
}

export async function tokenizerSettingsOf(
  modelId: string,
  modelsDir = MODELS_DIR,
): Promise<TokenizerSettings> {
  const manifest = await readManifest(path.join(modelsDir, modelId), { template: true });
  return settingsFromSpec(manifest.text.tokenizer);
}

export function settingsFromSpec(spec: TokenizerSpec): TokenizerSettings {
  return {
    maxLength: spec.maxLength,
    truncation: spec.truncation,
    padding: spec.padding,
    padId: spec.padId,
    prep: spec.prep,
  };
}

export async function tokenizerParity(
  referenceDir: string,
  modelsDir = MODELS_DIR,
): Promise<TokenizerParityReport> {
  const rows = [await clipParity(referenceDir, modelsDir), await bertParity(referenceDir, modelsDir)];
  return { ok: rows.every((r) => r.ok), rows };
}

async function readJsonl<T>(file: string): Promise<T[]> {
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

function compare(name: string, got: readonly number[], want: readonly number[]): string | undefined {
  if (got.length !== want.length) return `${name}: length ${got.length}, expected ${want.length}`;
  const at = got.findIndex((v, i) => v !== want[i]);
  if (at < 0) return undefined;
  return `${name}: first difference at ${at}: ${got.slice(at, at + 5).join(",")} vs ${want.slice(at, at + 5).join(",")}`;
}

function encodeOrError(tokenizer: Tokenizer, text: string): EncodedText | string {
  try {
    // Parity covers empty texts too ([start][end]); encoders refuse them.
    return tokenizer.encode(text, { allowEmpty: true });
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

/** One way to check a reference line: a label for reports, and the first difference (or undefined). */
interface LineCheck<L> {
  check: string;
  detail(line: L): string | undefined;
}

/** Runs every check on every reference line; a line matches when all of its checks pass. */
function tally<L extends { id: number; source: string; text: string }>(
  tokenizer: TokenizerParityRow["tokenizer"],
  reference: string,
  lines: L[],
  checks: LineCheck<L>[],
): TokenizerParityRow {
  const mismatches: TokenizerMismatch[] = [];
  let matches = 0;
  for (const line of lines) {
    let ok = true;
    for (const { check, detail } of checks) {
      const found = detail(line);
      if (found === undefined) continue;
      ok = false;
      mismatches.push({ id: line.id, source: line.source, check, detail: found });
    }
    if (ok) matches++;
  }
  return {
    tokenizer,
    reference,
    checks: checks.map((c) => c.check),
    matches,
    total: lines.length,
    ok: matches === lines.length && lines.length > 0,
    mismatches,
  };
}

function truncation(got: boolean, want: boolean): string | undefined {
  return got === want ? undefined : `truncated: ${got}, expected ${want}`;
}

async function clipParity(referenceDir: string, modelsDir: string): Promise<TokenizerParityRow> {
  const json = clipBpeGzToTokenizerJson(await readFile(path.join(referenceDir, TOKENIZER_REFERENCE.clipBpe)));
  const lines = await readJsonl<ClipLine>(path.join(referenceDir, TOKENIZER_REFERENCE.clipVectors));
  const checks = await Promise.all(
    ["clip-vit-b32", "cxr-repair"].map(async (modelId): Promise<LineCheck<ClipLine>> => {
      const tokenizer = Tokenizer.fromJson(json, await tokenizerSettingsOf(modelId, modelsDir));
      return {
        check: `ids+mask@77 (${modelId})`,
        detail(line) {
          const got = encodeOrError(tokenizer, line.text);
          if (typeof got === "string") return got;
          const eot = line.ids.indexOf(49407);
          const wantMask = line.ids.map((_, i) => (i <= eot ? 1 : 0));
          return (
            compare("ids", got.ids, line.ids) ??
            compare("attention_mask", got.attentionMask, wantMask) ??
            truncation(got.truncated, line.truncated)
          );
        },
      };
    }),
  );
  return tally("clip-bpe", TOKENIZER_REFERENCE.clipVectors, lines, checks);
}

async function bertParity(referenceDir: string, modelsDir: string): Promise<TokenizerParityRow> {
  const json = JSON.parse(await readFile(path.join(referenceDir, TOKENIZER_REFERENCE.bertJson), "utf8"));
  const config = JSON.parse(await readFile(path.join(referenceDir, TOKENIZER_REFERENCE.bertConfig), "utf8"));
  const lines = await readJsonl<BertLine>(path.join(referenceDir, TOKENIZER_REFERENCE.bertVectors));
  const variants = [
    { key: "max_length_77", modelId: "medclip-swin" },
    { key: "max_length_256", modelId: "cxr-clip-swin" },
  ] as const;
  const checks = await Promise.all(
    variants.map(async ({ key, modelId }): Promise<LineCheck<BertLine>> => {
      const tokenizer = Tokenizer.fromJson(json, await tokenizerSettingsOf(modelId, modelsDir), config);
      return {
        check: `${key} (${modelId})`,
        detail(line) {
          const want = line.hf_fast_agrees ? line[key] : hfVariant(line, tokenizer.settings);
          const got = encodeOrError(tokenizer, line.text);
          if (typeof got === "string") return got;
          return (
            compare("input_ids", got.ids, want.input_ids) ??
            compare("attention_mask", got.attentionMask, want.attention_mask) ??
            compare("token_type_ids", got.tokenTypeIds, want.token_type_ids) ??
            truncation(got.truncated, want.truncated)
          );
        },
      };
    }),
  );
  return tally("bio-clinicalbert", TOKENIZER_REFERENCE.bertVectors, lines, checks);
}

/**
 * The goal where Google's and HF's WordPiece differ: HF's untruncated ids ([CLS] ... [SEP]),
 * wrapped as HF does with truncation=True, max_length=N (content cut to N-2) and padded as the
 * manifest says (the reference pads max_length_77 and leaves max_length_256 unpadded).
 */
function hfVariant(line: BertLine, settings: TokenizerSettings): BertVariant {
  const full = line.hf_fast_ids_untruncated ?? [];
  const content = full.slice(1, -1);
  const room = settings.maxLength - 2;
  const ids = [full[0]!, ...content.slice(0, room), full[full.length - 1]!];
  const pad = settings.padding === "max_length" ? settings.maxLength - ids.length : 0;
  return {
    input_ids: [...ids, ...new Array<number>(pad).fill(settings.padId)],
    attention_mask: [...new Array<number>(ids.length).fill(1), ...new Array<number>(pad).fill(0)],
    token_type_ids: new Array<number>(ids.length + pad).fill(0),
    truncated: content.length > room,
  };
}
