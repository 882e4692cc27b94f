import { pythonHtmlUnescape } from "./html-unescape.ts";

/**
 * Text preparation that runs before the tokenizer.json pipeline, for what the Hugging Face format
 * cannot express. Declared in the manifest (`text.tokenizer.prep`), applied in order.
 * - `html-unescape`: Python's html.unescape (CLIP's basic_clean applies it twice).
 * - `whitespace-clean`: Python's `re.sub(r"\s+", " ", text).strip()` (str.isspace semantics).
 */
export const TEXT_PREP_STEPS = ["html-unescape", "whitespace-clean"] as const;
export type TextPrepStep = (typeof TEXT_PREP_STEPS)[number];

/**
 * The characters Python's `str.isspace()` accepts (`\s` of `re` on str patterns). JavaScript's `\s`
 * differs: it lacks U+001C..U+001F and U+0085, and adds U+FEFF.
 */
export const PYTHON_WHITESPACE_CLASS =
  "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_SPACE_RUN = new RegExp(`${PYTHON_WHITESPACE_CLASS}+`, "gu");

export function pythonWhitespaceClean(text: string): string {
  return pythonStrip(text.replace(PY_SPACE_RUN, " "));
}

export function pythonStrip(text: string): string {
  const edges = new RegExp(`^${PYTHON_WHITESPACE_CLASS}+|${PYTHON_WHITESPACE_CLASS}+$`, "gu");
  return text.replace(edges, "");
}

export function applyTextPrep(text: string, steps: readonly TextPrepStep[]): string {
  let out = text;
  for (const step of steps) {
    out = step === "html-unescape" ? pythonHtmlUnescape(out) : pythonWhitespaceClean(out);
  }
  return out;
}
