/**
 * Converts OpenAI CLIP's BPE merges file into a Hugging Face tokenizer.json.
 *
 *   pnpm exec tsx packages/encoders/scripts/clip-bpe-to-tokenizer-json.ts \
 *     <bpe_simple_vocab_16e6.txt.gz> <out/tokenizer.json>
 *
 * The output derives from OpenAI's file (MIT): it is written wherever asked and never committed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { clipBpeGzToTokenizerJson } from "../src/tokenizer/clip-bpe.ts";

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  console.error("usage: clip-bpe-to-tokenizer-json.ts <bpe_simple_vocab_16e6.txt.gz> <tokenizer.json>");
  process.exit(2);
}
const json = clipBpeGzToTokenizerJson(readFileSync(input));
writeFileSync(output, JSON.stringify(json));
console.log(`${output}: ${Object.keys(json.model.vocab).length} tokens, ${json.model.merges.length} merges`);
