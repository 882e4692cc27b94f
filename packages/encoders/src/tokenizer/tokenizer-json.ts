/**
 * The one place tokenizer.json files are built (production and tests): CLIP's byte-level BPE in
 * the layout `clipBpeToTokenizerJson` converts OpenAI's merges file to, and a BERT-style WordPiece.
 * Tests and benches build their tiny tokenizers here (re-exported by @cxr/encoders/testing) so that
 * a tokenizer a test reads has the production layout.
 */

export const CLIP_SOT = "<|startoftext|>";
export const CLIP_EOT = "<|endoftext|>";
export const CLIP_SOT_ID = 49406;
export const CLIP_EOT_ID = 49407;
/** The merges CLIP reads: `merges[1:49152-256-2+1]` of the file's lines. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

export const CLIP_PRETOKENIZER_REGEX =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** Python's str.isspace() characters, written out literally so every regex engine reads them alike. */
const PY_SPACE_CHARS = [
  "\t",
  "\n",
  "\x0b",
  "\x0c",
  "\r",
  "\x1c",
  "\x1d",
  "\x1e",
  "\x1f",
  " ",
  "\x85",
  "\xa0",
  "\u1680",
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
].join("");

/** GPT-2/CLIP bytes_to_unicode, in the dict's insertion order (printable bytes first). */
export function bytesToUnicode(): Array<[number, string]> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  return bs.map((b, i) => [b, String.fromCodePoint(cs[i]!)]);
}

export interface ClipTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: Array<Record<string, unknown>>;
  normalizer: Record<string, unknown>;
  pre_tokenizer: Record<string, unknown>;
  post_processor: Record<string, unknown>;
  decoder: Record<string, unknown>;
  model: {
    type: "BPE";
    vocab: Record<string, number>;
    merges: string[];
    [key: string]: unknown;
  };
}

/** One entry of `added_tokens`. */
export function specialToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** CLIP's normalizer: whitespace runs (Python str.isspace) -> one space, strip, lower-case. */
export const CLIP_NORMALIZER: Record<string, unknown> = {
  type: "Sequence",
  normalizers: [
    { type: "Replace", pattern: { Regex: `[${PY_SPACE_CHARS}]+` }, content: " " },
    { type: "Strip", strip_left: true, strip_right: true },
    { type: "Lowercase" },
  ],
};

/**
 * A CLIP-layout byte-level BPE tokenizer.json over `merges` ("a b" lines): vocab = the 256 byte
 * symbols, the same with `</w>`, one entry per merge, then SOT and EOT; CLIP's pre-tokenizer
 * regex, `</w>` end-of-word suffix, SOT ... EOT. `normalizer` defaults to CLIP's.
 */
export function clipTokenizerJson(
  merges: readonly string[],
  options: { normalizer?: Record<string, unknown> } = {},
): ClipTokenizerJson {
  const symbols = bytesToUnicode().map(([, ch]) => ch);
  const vocabList: string[] = [...symbols, ...symbols.map((s) => `${s}</w>`)];
  for (const merge of merges) vocabList.push(merge.split(" ").join(""));
  vocabList.push(CLIP_SOT, CLIP_EOT);
  const vocab: Record<string, number> = {};
  vocabList.forEach((token, id) => {
    vocab[token] = id;
  });
  const sot = vocab[CLIP_SOT]!;
  const eot = vocab[CLIP_EOT]!;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [specialToken(sot, CLIP_SOT), specialToken(eot, CLIP_EOT)],
    normalizer: options.normalizer ?? CLIP_NORMALIZER,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: CLIP_PRETOKENIZER_REGEX }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [CLIP_EOT, eot],
      cls: [CLIP_SOT, sot],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: CLIP_EOT,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
}

/**
 * A BERT-style WordPiece tokenizer.json (BertNormalizer lower-casing, BertPreTokenizer,
 * [CLS] ... [SEP]) over `vocab` (ids in order of first appearance); `specials` are its added tokens.
 */
export function wordPieceTokenizerJson(
  vocab: readonly string[],
  specials: readonly string[] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
): Record<string, unknown> {
  const ids: Record<string, number> = {};
  for (const token of vocab) if (!(token in ids)) ids[token] = Object.keys(ids).length;
  const cls = { SpecialToken: { id: "[CLS]", type_id: 0 } };
  const sep = { SpecialToken: { id: "[SEP]", type_id: 0 } };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => specialToken(ids[s]!, s)),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [cls, { Sequence: { id: "A", type_id: 0 } }, sep],
      pair: [
        cls,
        { Sequence: { id: "A", type_id: 0 } },
        sep,
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [ids["[CLS]"]], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [ids["[SEP]"]], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}
