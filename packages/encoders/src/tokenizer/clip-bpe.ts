import { gunzipSync } from "node:zlib";
import {
  CLIP_EOT,
  CLIP_EOT_ID,
  CLIP_MERGE_COUNT,
  CLIP_SOT,
  CLIP_SOT_ID,
  type ClipTokenizerJson,
  clipTokenizerJson,
} from "./tokenizer-json.ts";

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

export {
  bytesToUnicode,
  CLIP_EOT,
  CLIP_EOT_ID,
  CLIP_MERGE_COUNT,
  CLIP_PRETOKENIZER_REGEX,
  CLIP_SOT,
  CLIP_SOT_ID,
  type ClipTokenizerJson,
} from "./tokenizer-json.ts";

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
  for (const merge of merges) {
    if (merge.split(" ").length !== 2) throw new Error(`bad merge line: ${JSON.stringify(merge)}`);
  }
  const json = clipTokenizerJson(merges);
  if (
    mergeCount === CLIP_MERGE_COUNT &&
    (json.model.vocab[CLIP_SOT] !== CLIP_SOT_ID || json.model.vocab[CLIP_EOT] !== CLIP_EOT_ID)
  ) {
    throw new Error("special token ids differ from CLIP's 49406/49407: wrong merges file?");
  }
  return json;
}

/** Reads `bpe_simple_vocab_16e6.txt.gz` bytes and converts them. */
export function clipBpeGzToTokenizerJson(gz: Uint8Array): ClipTokenizerJson {
  return clipBpeToTokenizerJson(gunzipSync(gz).toString("utf8"));
}
