import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BundleError,
  loadBundle,
  ManifestError,
  MODEL_PREPROCESS,
  MODELS_DIR,
  readManifest,
  validateManifest,
} from "../src/index.ts";
import { setJsonPath, writeTinyBundle } from "../src/testing/index.ts";

const sha = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "cxr-bundle-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown>): Promise<BundleError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return error as BundleError;
  }
  throw new Error("expected a BundleError");
}

function manifestIssues(data: unknown): string[] {
  try {
    validateManifest(data);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as Error).message.split("\n");
  }
  throw new Error("expected a ManifestError");
}

describe("the committed model manifests (templates without weights)", () => {
  const ids = ["clip-vit-b32", "cxr-repair", "medclip-swin", "cxr-clip-swin", "cxr-clip-r50"];

  it("include the five models, each valid as a template, with card.md and LICENSE and no weights", async () => {
    expect(await readdir(MODELS_DIR)).toEqual(expect.arrayContaining(ids));
    for (const id of ids) {
      const m = await readManifest(path.join(MODELS_DIR, id), { template: true });
      expect(m.id).toBe(id);
      expect(m.dimension).toBe(512);
      expect(m.normalize).toBe(true);
      const files = await readdir(path.join(MODELS_DIR, id));
      expect(files).toEqual(expect.arrayContaining(["card.md", "LICENSE", "manifest.json"]));
      expect(files.some((f) => f.endsWith(".onnx"))).toBe(false);
    }
  });

  it("every other bundle folder there is complete: it loads with all its checksums", async () => {
    for (const id of await readdir(MODELS_DIR)) {
      if (ids.includes(id)) continue;
      const bundle = await loadBundle(path.join(MODELS_DIR, id));
      expect(bundle.manifest.id).toBe(id);
    }
  });

  it("are refused for real use while their checksums are null", async () => {
    const error = await errorOf(loadBundle(path.join(MODELS_DIR, "clip-vit-b32")));
    expect(error.message).toContain("manifest.json: files.image.onnx: expected a sha256");
  });

  it("use exactly the preprocessing constants of src/preprocess/models.ts", async () => {
    const expected = {
      "clip-vit-b32": MODEL_PREPROCESS.clip,
      "cxr-repair": MODEL_PREPROCESS.cxrRepair,
      "medclip-swin": MODEL_PREPROCESS.medclip,
      "cxr-clip-swin": MODEL_PREPROCESS.cxrClipSwin,
      "cxr-clip-r50": MODEL_PREPROCESS.cxrClipResnet,
    };
    for (const [id, steps] of Object.entries(expected)) {
      const m = await readManifest(path.join(MODELS_DIR, id), { template: true });
      expect(m.image.preprocess, id).toEqual(steps);
    }
  });

  it("tokenize as models.md says", async () => {
    const tok = async (id: string) =>
      (await readManifest(path.join(MODELS_DIR, id), { template: true })).text;
    const clip = await tok("clip-vit-b32");
    expect(clip.tokenizer).toMatchObject({
      maxLength: 77,
      truncation: "end-token",
      padding: "max_length",
      padId: 0,
    });
    expect(clip.tokenizer.prep).toEqual(["html-unescape", "html-unescape"]);
    expect((await tok("cxr-repair")).tokenizer).toEqual(clip.tokenizer);
    expect((await tok("medclip-swin")).tokenizer).toMatchObject({
      maxLength: 77,
      truncation: "standard",
      padding: "max_length",
    });
    for (const id of ["cxr-clip-swin", "cxr-clip-r50"]) {
      const t = await tok(id);
      expect(t.tokenizer).toMatchObject({ maxLength: 256, truncation: "standard", padding: "longest" });
      expect(t.inputs).toEqual({
        inputIds: "input_ids",
        attentionMask: "attention_mask",
        tokenTypeIds: "token_type_ids",
      });
    }
  });
});

describe("manifest validation: one clear error per bad field", () => {
  let valid: Record<string, unknown>;
  beforeAll(async () => {
    valid = (await writeTinyBundle(path.join(tmp, "valid"))).manifest;
  });
  /** A copy of the valid manifest with fields set (undefined deletes), by dotted path. */
  const edited = (edits: Record<string, unknown>, ...more: Array<[string[], unknown]>) => {
    const copy = structuredClone(valid);
    for (const [field, value] of Object.entries(edits)) setJsonPath(copy, field, value);
    for (const [keys, value] of more) setJsonPath(copy, keys, value);
    return copy;
  };

  it("accepts the tiny bundle's manifest", () => {
    expect(validateManifest(valid).id).toBe("tiny");
  });

  it("names the field and what was expected", () => {
    expect(manifestIssues(edited({ "text.tokenizer.maxLength": 0 }))).toEqual([
      "manifest.json: text.tokenizer.maxLength: expected a positive integer",
    ]);
    expect(manifestIssues(edited({ "text.tokenizer.maxLength": "77" }))).toEqual([
      "manifest.json: text.tokenizer.maxLength: expected a positive integer",
    ]);
    expect(manifestIssues(edited({ dimension: undefined }))).toEqual([
      "manifest.json: dimension: missing (expected a positive integer)",
    ]);
  });

  it("reports every bad field, once each, including unknown fields and step errors", () => {
    const lines = manifestIssues(
      edited(
        {
          format: "cxr-bundle/2",
          "text.tokenizer.truncation": "left",
          "image.preprocess.0.size": -3,
          colour: "blue",
        },
        [["files", "image.onnx"], "abc"],
      ),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        'manifest.json: format: expected "cxr-bundle/1"',
        'manifest.json: text.tokenizer.truncation: expected "end-token" or "standard"',
        expect.stringMatching(/^manifest\.json: image\.preprocess\[0\]\.size: /),
        "manifest.json: colour: unknown field",
        "manifest.json: files.image.onnx: expected a sha256 (64 lower-case hex digits)",
      ]),
    );
    expect(lines).toHaveLength(5);
  });

  it("checks cross-field consistency", () => {
    expect(manifestIssues(edited({}, [["files", "tokenizer.json"], undefined]))).toEqual([
      'manifest.json: files: no checksum entry for "tokenizer.json" (named by text.tokenizer.file)',
    ]);
    expect(manifestIssues(edited({ "image.input.shape": ["batch", 3, 8, 8] }))).toEqual([
      "manifest.json: image.input.shape[1]: expected 1 channels, as image.preprocess[1] (toTensor) produces",
    ]);
    expect(
      manifestIssues(edited({ "image.preprocess.0.by": "exact", "image.preprocess.0.size": 9 })),
    ).toEqual([
      "manifest.json: image.input.shape: expected height and width 9, the size image.preprocess[0] (resize) produces",
    ]);
    expect(manifestIssues(edited({ "image.onnx": "../image.onnx" }))[0]).toMatch(
      /^manifest\.json: image\.onnx: expected a file name inside the bundle folder/,
    );
  });

  it("accepts null checksums only as a template", () => {
    const template = edited({}, [["files", "image.onnx"], null]);
    expect(validateManifest(template, { template: true }).files["image.onnx"]).toBeNull();
    expect(manifestIssues(template)).toEqual([
      "manifest.json: files.image.onnx: expected a sha256 (64 lower-case hex digits)",
    ]);
  });
});

describe("loadBundle", () => {
  it("loads a valid bundle and computes the fingerprint from the ONNX checksums and the manifest", async () => {
    const dir = path.join(tmp, "ok");
    await writeTinyBundle(dir);
    const bundle = await loadBundle(dir);
    const manifestBytes = await readFile(path.join(dir, "manifest.json"));
    const imageSha = sha(await readFile(path.join(dir, "image.onnx")));
    const textSha = sha(await readFile(path.join(dir, "text.onnx")));
    expect(bundle.manifest.files["image.onnx"]).toBe(imageSha);
    expect(bundle.manifestSha256).toBe(sha(manifestBytes));
    expect(bundle.fingerprint).toBe(
      sha(`image.onnx:${imageSha}\ntext.onnx:${textSha}\n${sha(manifestBytes)}\n`),
    );
    expect(bundle.path("text.onnx")).toBe(path.join(dir, "text.onnx"));
  });

  it("changes the fingerprint when the manifest changes", async () => {
    const a = await loadBundle((await writeTinyBundle(path.join(tmp, "fa"))).dir);
    const b = await loadBundle(
      (
        await writeTinyBundle(path.join(tmp, "fb"), {
          editManifest: (m) => setJsonPath(m, "version", "0.0.2"),
        })
      ).dir,
    );
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it("names a missing file", async () => {
    const dir = path.join(tmp, "missing");
    await writeTinyBundle(dir);
    await rm(path.join(dir, "text.onnx"));
    const error = await errorOf(loadBundle(dir));
    expect(error).toMatchObject({ code: "FILE_MISSING", file: "text.onnx", field: "files.text.onnx" });
    expect(error.message).toMatch(/^text\.onnx: files\.text\.onnx: missing from the bundle/);
  });

  it("names a file whose checksum differs", async () => {
    const dir = path.join(tmp, "checksum");
    await writeTinyBundle(dir);
    const file = path.join(dir, "tokenizer.json");
    await writeFile(file, `${await readFile(file, "utf8")} `);
    const error = await errorOf(loadBundle(dir));
    expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH", file: "tokenizer.json" });
    expect(error.message).toContain("sha256 mismatch");
  });

  it("says so when an HTML page was saved in place of the ONNX weights", async () => {
    const dir = path.join(tmp, "html");
    const html =
      "\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Log in to download</body></html>\n";
    await writeTinyBundle(dir, {
      editManifest: (m) => {
        setJsonPath(m, ["files", "image.onnx"], sha(html));
      },
    });
    await writeFile(path.join(dir, "image.onnx"), html);
    const error = await errorOf(loadBundle(dir));
    expect(error).toMatchObject({ code: "NOT_ONNX", file: "image.onnx" });
    expect(error.message).toContain("is an HTML page, not ONNX weights");
  });

  it("refuses an empty file, a missing manifest and a manifest that is not JSON", async () => {
    const dir = path.join(tmp, "empty");
    await writeTinyBundle(dir);
    await writeFile(path.join(dir, "LICENSE"), "");
    expect(await errorOf(loadBundle(dir))).toMatchObject({ code: "FILE_EMPTY", file: "LICENSE" });
    await rm(path.join(dir, "manifest.json"));
    expect(await errorOf(loadBundle(dir))).toMatchObject({ code: "MANIFEST_MISSING", file: "manifest.json" });
    await writeFile(path.join(dir, "manifest.json"), "{ not json");
    const error = await errorOf(loadBundle(dir));
    expect(error).toMatchObject({ code: "MANIFEST_INVALID" });
    expect(error.message).toMatch(/^manifest\.json: not valid JSON/);
  });
});
