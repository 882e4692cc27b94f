import { gunzipSync } from "node:zlib";

/**
 * Converts OpenAI CLIP's `bpe_simple_vocab_16e6.txt.gz` into a Hugging Face tokenizer.json that
 * reproduces `clip/simple_tokenizer.py` (openai/CLIP d05afc4) except ftfy, which has no JS port:
 * - vocab: the 256 byte symbols in bytes_to_unicode order, the same with `</w>`, one entry per
 *   merge (the first 49152-256-2 = 48,894 merges), then `<|startoftext|>` (49406) and
 *   `<|endoftext|>` (49407);
 * - normalizer: whitespace runs (Python str.isspace) -> one space, strip, lower-case.
 *   html.unescape twice is not expressible in tokenizer.json: the manifest declares it as text
 *   prep (`prep: ["html-unescape", "html-unescape"]`), run before this pipeline;
 * - pre-tokenizer: CLIP's regex (matches are the words, the rest is dropped), then byte-level
 *   mapping without its own regex;
 * - model: BPE with the `</w>` end-of-word suffix;
 * - post-processor: `<|startoftext|>` ... `<|endoftext|>`.
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

/**
 * Builds the tokenizer.json object from the text of the merges file (already gunzipped).
 * `mergeCount` is CLIP's (48,894) unless a test converts a small synthetic file.
 */
export function clipBpeToTokenizerJson(mergesText: string, mergeCount = CLIP_MERGE_COUNT): ClipTokenizerJson {
  const lines = mergesText.split("\n");
  if (!lines[0]?.includes("#version")) {
    throw new Error('not a CLIP BPE merges file: the first line should hold "#version: 0.2"');
  }
  const merges = lines.slice(1, mergeCount + 1);
  if (merges.length !== mergeCount) {
    throw new Error(`expected at least ${mergeCount} merges, found ${merges.length}`);
  }
  const symbols = bytesToUnicode().map(([, ch]) => ch);
  const vocabList: string[] = [...symbols, ...symbols.map((s) => `${s}</w>`)];
  for (const merge of merges) {
    const parts = merge.split(" ");
    if (parts.length !== 2) throw new Error(`bad merge line: ${JSON.stringify(merge)}`);
    vocabList.push(parts.join(""));
  }
  vocabList.push(CLIP_SOT, CLIP_EOT);
  const vocab: Record<string, number> = {};
  vocabList.forEach((token, id) => {
    vocab[token] = id;
  });
  if (
    mergeCount === CLIP_MERGE_COUNT &&
    (vocab[CLIP_SOT] !== CLIP_SOT_ID || vocab[CLIP_EOT] !== CLIP_EOT_ID)
  ) {
    throw new Error("special token ids differ from CLIP's 49406/49407: wrong merges file?");
  }
  const sot = vocab[CLIP_SOT]!;
  const eot = vocab[CLIP_EOT]!;
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(sot, CLIP_SOT), special(eot, CLIP_EOT)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Replace", pattern: { Regex: `[${PY_SPACE_CHARS}]+` }, content: " " },
        { type: "Strip", strip_left: true, strip_right: true },
        { type: "Lowercase" },
      ],
    },
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
      merges,
    },
  };
}

/** Reads `bpe_simple_vocab_16e6.txt.gz` bytes and converts them. */
export function clipBpeGzToTokenizerJson(gz: Uint8Array): ClipTokenizerJson {
  return clipBpeToTokenizerJson(gunzipSync(gz).toString("utf8"));
}
