import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reference } from "../../../test/support/reference.ts";
import { MODELS_DIR, Tokenizer, tokenizerParity, tokenizerSettingsOf } from "../src/index.ts";

// Reference data is never committed: the CLIP tokenizer.json is converted into a temp folder here.
const ref = reference();
const vectors = reference("vectors/tokenizers");
const here = path.dirname(fileURLToPath(import.meta.url));

describe.skipIf(!ref || !vectors)("tokenizer parity against the reference data (60 texts each)", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "cxr-tok-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("the conversion script writes a CLIP tokenizer.json that reproduces clip.tokenize (ids, 77, EOT)", async () => {
    const out = path.join(tmp, "tokenizer.json");
    execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(here, "../scripts/clip-bpe-to-tokenizer-json.ts"),
        path.join(ref!, "tokenizers/openai_clip/bpe_simple_vocab_16e6.txt.gz"),
        out,
      ],
      { stdio: "pipe" },
    );
    const json = JSON.parse(await readFile(out, "utf8"));
    expect(Object.keys(json.model.vocab)).toHaveLength(49408);
    const tokenizer = Tokenizer.fromJson(json, await tokenizerSettingsOf("clip-vit-b32"));
    const lines = (await readFile(path.join(vectors!, "clip_bpe.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; text: string; ids: number[]; truncated: boolean });
    let same = 0;
    for (const line of lines) {
      const e = tokenizer.encode(line.text, { allowEmpty: true });
      if (JSON.stringify(e.ids) === JSON.stringify(line.ids)) same++;
    }
    expect(same).toBe(60);
    const long = lines.find((l) => l.truncated)!;
    const e = tokenizer.encode(long.text);
    expect(e.ids).toHaveLength(77);
    expect(e.ids[76]).toBe(49407);
    expect(e.truncated).toBe(true);
  });

  it("tokenizerParity: 60/60 for CLIP BPE and for Bio_ClinicalBERT (77 padded and 256), masks included", async () => {
    const report = await tokenizerParity(ref!);
    const figures = Object.fromEntries(report.rows.map((r) => [r.tokenizer, `${r.matches}/${r.total}`]));
    expect(figures).toEqual({ "clip-bpe": "60/60", "bio-clinicalbert": "60/60" });
    expect(report.ok).toBe(true);
  });

  it("tokenizerParity notices a manifest that tokenizes differently", async () => {
    const models = path.join(tmp, "models");
    await cp(MODELS_DIR, models, { recursive: true });
    const edit = async (id: string, change: (tok: Record<string, unknown>) => void) => {
      const file = path.join(models, id, "manifest.json");
      const m = JSON.parse(await readFile(file, "utf8"));
      change(m.text.tokenizer);
      await writeFile(file, JSON.stringify(m));
    };
    await edit("clip-vit-b32", (t) => {
      t.prep = []; // no html.unescape: the &amp;amp; text differs
    });
    await edit("medclip-swin", (t) => {
      t.padding = "longest"; // the reference pads to 77
    });
    const report = await tokenizerParity(ref!, models);
    const clip = report.rows.find((r) => r.tokenizer === "clip-bpe")!;
    const bert = report.rows.find((r) => r.tokenizer === "bio-clinicalbert")!;
    expect(report.ok).toBe(false);
    expect(clip.mismatches.map((m) => m.id)).toContain(57);
    expect(clip.matches).toBeLessThan(60);
    expect(bert.mismatches.some((m) => m.check.startsWith("max_length_77"))).toBe(true);
  });
});
