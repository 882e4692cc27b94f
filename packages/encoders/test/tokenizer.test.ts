import { describe, expect, it } from "vitest";
import {
  bytesToUnicode,
  clipBpeToTokenizerJson,
  TextInputError,
  Tokenizer,
  type TokenizerSettings,
} from "../src/index.ts";
import { TINY_VOCAB, tinyTokenizerJson } from "../src/testing/tiny-models.ts";
import { pythonHtmlUnescape } from "../src/tokenizer/html-unescape.ts";
import { applyTextPrep, pythonWhitespaceClean } from "../src/tokenizer/text-prep.ts";

const id = (token: string) => TINY_VOCAB.indexOf(token);
const CLS = id("[CLS]");
const SEP = id("[SEP]");

function tokenizer(settings: Partial<TokenizerSettings> = {}) {
  return Tokenizer.fromJson(tinyTokenizerJson(), {
    maxLength: 8,
    truncation: "standard",
    padding: "max_length",
    padId: 0,
    ...settings,
  });
}

describe("Tokenizer (tiny WordPiece through @huggingface/tokenizers)", () => {
  it("finds the special tokens the post-processor adds", () => {
    const t = tokenizer();
    expect(t.prefix).toEqual([CLS]);
    expect(t.suffix).toEqual([SEP]);
  });

  it("wraps, pads to max_length and masks", () => {
    const e = tokenizer().encode("No acute cardiopulmonary process.");
    const content = ["no", "acute", "cardio", "##pulmonary", "process", "."].map(id);
    expect(e.ids).toEqual([CLS, ...content.slice(0, 6), SEP]);
    expect(e.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const short = tokenizer().encode("Lungs are clear");
    expect(short.ids).toEqual([CLS, id("lungs"), id("are"), id("clear"), SEP, 0, 0, 0]);
    expect(short.attentionMask).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(short.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(short.truncated).toBe(false);
  });

  it("standard truncation cuts the content to maxLength-2 and keeps [CLS] ... [SEP]", () => {
    const e = tokenizer({ maxLength: 5 }).encode("heart size is normal. lungs are clear");
    expect(e.ids).toEqual([CLS, id("heart"), id("size"), id("is"), SEP]);
    expect(e.truncated).toBe(true);
    expect(e.untruncatedLength).toBe(10);
  });

  it("end-token truncation keeps the first maxLength ids and sets the last slot to the end token", () => {
    const e = tokenizer({ maxLength: 5, truncation: "end-token" }).encode(
      "heart size is normal. lungs are clear",
    );
    expect(e.ids).toEqual([CLS, id("heart"), id("size"), id("is"), SEP]);
    const exact = tokenizer({ maxLength: 6, truncation: "end-token" }).encode("heart size is normal");
    expect(exact.ids).toEqual([CLS, id("heart"), id("size"), id("is"), id("normal"), SEP]);
    expect(exact.truncated).toBe(false);
  });

  it("pads a batch to its longest row with padding longest", () => {
    const t = tokenizer({ padding: "longest", maxLength: 16 });
    const rows = [t.encode("lungs are clear"), t.encode("no")];
    expect(rows[1]!.ids).toEqual([CLS, id("no"), SEP]);
    const batch = t.pad(rows);
    expect(batch.seqLength).toBe(5);
    expect(batch.inputIds).toEqual([CLS, id("lungs"), id("are"), id("clear"), SEP, CLS, id("no"), SEP, 0, 0]);
    expect(batch.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(batch.tokenTypeIds).toEqual(new Array(10).fill(0));
  });

  it("maps unknown words to [UNK] and lower-cases", () => {
    expect(tokenizer().encode("LUNGS zebra").ids.slice(0, 4)).toEqual([CLS, id("lungs"), id("[UNK]"), SEP]);
  });

  it("refuses empty and non-string texts with a typed error, but never an over-long one", () => {
    const t = tokenizer({ maxLength: 4 });
    for (const text of ["", "   \n\t "]) {
      const error = (() => {
        try {
          t.encode(text, { index: 3 });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(TextInputError);
      expect((error as TextInputError).code).toBe("EMPTY_TEXT");
      expect((error as TextInputError).index).toBe(3);
    }
    expect(() => t.encode(42)).toThrow(/expected a string, got number/);
    expect(t.encode("lungs ".repeat(500)).ids).toHaveLength(4);
    expect(t.encode("", { allowEmpty: true }).ids).toEqual([CLS, SEP, 0, 0]);
  });

  it("runs the manifest's text prep before the tokenizer.json pipeline", () => {
    const t = tokenizer({ prep: ["html-unescape", "html-unescape"] });
    expect(t.prepare("a &amp;amp; b")).toBe("a & b");
    expect(tokenizer().prepare("a &amp;amp; b")).toBe("a &amp;amp; b");
  });
});

describe("CLIP BPE conversion (a synthetic merges file)", () => {
  const merges = ['"bpe_simple_vocab_16e6.txt#version: 0.2', "h e", "l l", "he ll", "hell o</w>"].join("\n");
  const json = clipBpeToTokenizerJson(merges, 4);
  const t = Tokenizer.fromJson(json, {
    maxLength: 10,
    truncation: "end-token",
    padding: "max_length",
    padId: 0,
    prep: ["html-unescape", "html-unescape"],
  });

  it("orders the vocab as simple_tokenizer.py: bytes, bytes + </w>, merges, then the specials", () => {
    const symbols = bytesToUnicode().map(([, ch]) => ch);
    expect(symbols.slice(0, 3)).toEqual(["!", '"', "#"]);
    expect(symbols[188]).toBe("\u0100"); // byte 0, the first non-printable byte, maps past 255
    expect(json.model.vocab["!</w>"]).toBe(256);
    expect(json.model.vocab["hello</w>"]).toBe(515);
    expect(json.model.vocab["<|startoftext|>"]).toBe(516);
    expect(json.model.vocab["<|endoftext|>"]).toBe(517);
  });

  it("lower-cases, unescapes twice, splits digits one by one, merges with </w> and wraps", () => {
    const e = t.encode("Hello  &amp;amp; HELLO! 12");
    // hello</w>=515, &</w>=256+5, !</w>=256, 1</w>=256+16, 2</w>=256+17
    expect(e.ids).toEqual([516, 515, 261, 515, 256, 272, 273, 517, 0, 0]);
    expect(e.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const long = t.encode("hello ".repeat(20));
    expect(long.ids).toEqual([516, 515, 515, 515, 515, 515, 515, 515, 515, 517]);
    expect(long.truncated).toBe(true);
  });
});

describe("Python text semantics", () => {
  it("html.unescape as CPython 3.11", () => {
    expect(pythonHtmlUnescape("&amp;amp;")).toBe("&amp;");
    expect(applyTextPrep("&amp;amp; &lt; &gt; &#33;", ["html-unescape", "html-unescape"])).toBe("& < > !");
    expect(pythonHtmlUnescape("&ampx &notit; &lt")).toBe("&x ¬it; <");
    expect(pythonHtmlUnescape("&#x80;&#150;")).toBe("\u20ac\u2013");
    expect(pythonHtmlUnescape("a&#1;b&#xD800;c&#0;")).toBe("ab\ufffdc\ufffd");
    expect(pythonHtmlUnescape("&#x000041;&#0065;&bogus;")).toBe("AA&bogus;");
  });

  it("whitespace clean uses str.isspace, not JavaScript's \\s", () => {
    expect(pythonWhitespaceClean("  a\t\n b\x1c\x1fc\u3000 ")).toBe("a b c");
    expect(pythonWhitespaceClean("a\ufeffb")).toBe("a\ufeffb");
  });
});
