import { readFile } from "node:fs/promises";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { TextInputError, TokenizerError } from "./errors.ts";
import { applyTextPrep, pythonStrip, type TextPrepStep } from "./text-prep.ts";

export type Truncation = "end-token" | "standard";
export type Padding = "max_length" | "longest";

/** What the manifest says about tokenization (`text.tokenizer`, minus the file names). */
export interface TokenizerSettings {
  /** Including special tokens. */
  maxLength: number;
  /**
   * `end-token`: keep the first maxLength ids of [start, ...content, end] and set the last slot
   * to the end token (CLIP `truncate=True`). `standard`: Hugging Face truncation, content cut to
   * maxLength minus the special tokens, then wrapped ([CLS] ... [SEP]).
   */
  truncation: Truncation;
  /** `max_length`: every row padded to maxLength; `longest`: to the longest row of the batch. */
  padding: Padding;
  padId: number;
  /** Text preparation before the tokenizer.json pipeline (see text-prep.ts). */
  prep?: readonly TextPrepStep[];
}

/** One tokenized text, unpadded unless padding is `max_length`. */
export interface EncodedText {
  ids: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  /** True when content was cut to fit maxLength. */
  truncated: boolean;
  /** Ids before truncation, special tokens included. */
  untruncatedLength: number;
}

/** A padded batch, flat row-major [rows, seqLength]. */
export interface PaddedBatch {
  rows: number;
  seqLength: number;
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
}

export interface EncodeOptions {
  /** Tokenize empty text too ([start][end]); parity checks need it, encoders refuse empty text. */
  allowEmpty?: boolean;
  /** Position in a batch, carried into errors. */
  index?: number;
}

/**
 * Our tokenizer: a Hugging Face tokenizer.json run by @huggingface/tokenizers for the content
 * ids, plus the truncation, special tokens, padding, attention mask and token type ids the
 * manifest declares (tokenizers.js implements neither truncation nor padding).
 */
export class Tokenizer {
  readonly prefix: number[];
  readonly suffix: number[];

  private constructor(
    private readonly hf: HfTokenizer,
    readonly settings: TokenizerSettings,
  ) {
    const minimum = settings.truncation === "end-token" ? 1 : 0;
    if (!Number.isInteger(settings.maxLength) || settings.maxLength < 1) {
      throw new TokenizerError(`maxLength must be a positive integer, got ${settings.maxLength}`);
    }
    [this.prefix, this.suffix] = specialTokens(hf);
    if (this.prefix.length + this.suffix.length + minimum > settings.maxLength) {
      throw new TokenizerError(
        `maxLength ${settings.maxLength} leaves no room for content after ${this.prefix.length + this.suffix.length} special tokens`,
      );
    }
    if (settings.truncation === "end-token" && this.suffix.length === 0) {
      throw new TokenizerError('truncation "end-token" needs a tokenizer that appends an end token');
    }
  }

  /** `tokenizerJson` is the parsed tokenizer.json; `config` the optional tokenizer_config.json. */
  static fromJson(tokenizerJson: unknown, settings: TokenizerSettings, config: unknown = {}): Tokenizer {
    let hf: HfTokenizer;
    try {
      hf = new HfTokenizer(tokenizerJson as object, (config ?? {}) as object);
    } catch (cause) {
      throw new TokenizerError(`not a usable tokenizer.json: ${(cause as Error).message}`, { cause });
    }
    return new Tokenizer(hf, settings);
  }

  static async fromFile(file: string, settings: TokenizerSettings, configFile?: string): Promise<Tokenizer> {
    const json = await readJson(file);
    const config = configFile === undefined ? {} : await readJson(configFile);
    return Tokenizer.fromJson(json, settings, config);
  }

  /** The text after the manifest's prep steps: what the tokenizer.json pipeline receives. */
  prepare(text: string): string {
    return applyTextPrep(text, this.settings.prep ?? []);
  }

  /** Content ids only (no special tokens, no truncation), after prep. */
  contentIds(text: string): number[] {
    return this.hf.encode(this.prepare(text), { add_special_tokens: false }).ids;
  }

  encode(text: unknown, options: EncodeOptions = {}): EncodedText {
    const { index } = options;
    if (typeof text !== "string") {
      throw new TextInputError(
        "NOT_A_STRING",
        index,
        `${where(index)}expected a string, got ${typeOf(text)}`,
      );
    }
    const prepared = this.prepare(text);
    if (!options.allowEmpty && pythonStrip(prepared) === "") {
      throw new TextInputError("EMPTY_TEXT", index, `${where(index)}text is empty`);
    }
    const content = this.hf.encode(prepared, { add_special_tokens: false }).ids;
    if (!options.allowEmpty && content.length === 0) {
      throw new TextInputError("EMPTY_TEXT", index, `${where(index)}text has no tokens`);
    }
    const { maxLength, truncation, padding, padId } = this.settings;
    const untruncatedLength = this.prefix.length + content.length + this.suffix.length;
    let ids: number[];
    if (untruncatedLength <= maxLength) {
      ids = [...this.prefix, ...content, ...this.suffix];
    } else if (truncation === "end-token") {
      ids = [...this.prefix, ...content, ...this.suffix].slice(0, maxLength);
      ids[maxLength - 1] = this.suffix[this.suffix.length - 1]!;
    } else {
      const room = maxLength - this.prefix.length - this.suffix.length;
      ids = [...this.prefix, ...content.slice(0, room), ...this.suffix];
    }
    const length = ids.length;
    const attentionMask = new Array<number>(length).fill(1);
    if (padding === "max_length" && length < maxLength) {
      ids.push(...new Array<number>(maxLength - length).fill(padId));
      attentionMask.push(...new Array<number>(maxLength - length).fill(0));
    }
    return {
      ids,
      attentionMask,
      tokenTypeIds: new Array<number>(ids.length).fill(0),
      truncated: untruncatedLength > maxLength,
      untruncatedLength,
    };
  }

  /** Pads encoded rows to a common length (the longest row; maxLength rows are already equal). */
  pad(rows: readonly EncodedText[]): PaddedBatch {
    const seqLength = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
    const inputIds: number[] = [];
    const attentionMask: number[] = [];
    const tokenTypeIds: number[] = [];
    for (const row of rows) {
      const missing = seqLength - row.ids.length;
      inputIds.push(...row.ids, ...new Array<number>(missing).fill(this.settings.padId));
      attentionMask.push(...row.attentionMask, ...new Array<number>(missing).fill(0));
      tokenTypeIds.push(...row.tokenTypeIds, ...new Array<number>(missing).fill(0));
    }
    return { rows: rows.length, seqLength, inputIds, attentionMask, tokenTypeIds };
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }
}

/** Finds the ids the post-processor puts before and after the content of a single sequence. */
function specialTokens(hf: HfTokenizer): [number[], number[]] {
  for (const probe of ["a", "the", "x", "0", "."]) {
    const content = hf.encode(probe, { add_special_tokens: false }).ids;
    if (content.length === 0) continue;
    const full = hf.encode(probe, { add_special_tokens: true }).ids;
    for (let p = 0; p + content.length <= full.length; p++) {
      if (content.every((id, i) => full[p + i] === id)) {
        return [full.slice(0, p), full.slice(p + content.length)];
      }
    }
  }
  throw new TokenizerError(
    "cannot tell the special tokens apart: the tokenizer yields no ids for simple text",
  );
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new TokenizerError(`${file}: cannot read (${(cause as NodeJS.ErrnoException).code ?? cause})`, {
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TokenizerError(`${file}: not valid JSON (${(cause as Error).message})`, { cause });
  }
}

function where(index: number | undefined): string {
  return index === undefined ? "" : `text ${index}: `;
}

function typeOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}
