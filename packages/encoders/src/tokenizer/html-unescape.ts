import { decodeHTML } from "entities";

/**
 * Python's `html.unescape` (CPython 3.11 `html/__init__.py`), which CLIP's `basic_clean` applies
 * twice. The reference regex and numeric branch are restated from CPython; named references are
 * resolved by the `entities` package, which implements the same HTML5 table and the same
 * "longest legacy prefix" rule (`&ampx` -> `&x`, `&notit;` -> `¬it;`).
 */
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

// CPython html._invalid_charrefs: 0x00, 0x0d and the Windows-1252 block 0x80..0x9f.
const INVALID_CHARREFS: Record<number, string> = {
  0: "\ufffd",
  13: "\r",
  128: "\u20ac",
  129: "\x81",
  130: "\u201a",
  131: "\u0192",
  132: "\u201e",
  133: "\u2026",
  134: "\u2020",
  135: "\u2021",
  136: "\u02c6",
  137: "\u2030",
  138: "\u0160",
  139: "\u2039",
  140: "\u0152",
  141: "\x8d",
  142: "\u017d",
  143: "\x8f",
  144: "\x90",
  145: "\u2018",
  146: "\u2019",
  147: "\u201c",
  148: "\u201d",
  149: "\u2022",
  150: "\u2013",
  151: "\u2014",
  152: "\u02dc",
  153: "\u2122",
  154: "\u0161",
  155: "\u203a",
  156: "\u0153",
  157: "\x9d",
  158: "\u017e",
  159: "\u0178",
};

// CPython html._invalid_codepoints: replaced by the empty string.
function isInvalidCodepoint(cp: number): boolean {
  return (
    (cp >= 0x1 && cp <= 0x8) ||
    (cp >= 0xe && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    cp === 0xb ||
    (cp & 0xfffe) === 0xfffe
  );
}

function replaceCharref(whole: string, ref: string): string {
  if (ref.startsWith("#")) {
    const hex = ref[1] === "x" || ref[1] === "X";
    const digits = ref
      .slice(hex ? 2 : 1)
      .replace(/;$/, "")
      .replace(/^0+(?=.)/, "");
    // Python ints are unbounded; anything past 0x10FFFF is replaced, so saturating is enough.
    const num = digits.length > 8 ? Number.POSITIVE_INFINITY : Number.parseInt(digits, hex ? 16 : 10);
    const invalid = INVALID_CHARREFS[num];
    if (invalid !== undefined) return invalid;
    if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return "\ufffd";
    if (isInvalidCodepoint(num)) return "";
    return String.fromCodePoint(num);
  }
  return decodeHTML(whole);
}

export function pythonHtmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARREF, replaceCharref);
}
