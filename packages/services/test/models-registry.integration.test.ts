import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "@cxr/db";
import { postgresAvailable, type TempDatabase, tempDatabase } from "@cxr/db/testing";
import { writeTinyBundle } from "@cxr/encoders/testing";
import { StoreError, type VectorStore } from "@cxr/store";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  addModel,
  listModels,
  ModelError,
  type ModelsConfig,
  removeModel,
  showModel,
  verifyModel,
} from "../src/index.ts";

const work = mkdtempSync(path.join(tmpdir(), "cxr-services-models-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(work, `${name}-${++n}`);

const pgUp = await postgresAvailable();

async function expectModelError(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe.each([
  { dialect: "sqlite" as const, run: true },
  { dialect: "postgresql" as const, run: pgUp },
])("model registry on $dialect", ({ dialect, run }) => {
  let temp: TempDatabase | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    await temp?.drop();
    db = undefined;
    temp = undefined;
  });

  async function setup(): Promise<{ db: Database; config: ModelsConfig }> {
    temp = await tempDatabase(dialect);
    db = await openDatabase(temp.config);
    const config: ModelsConfig = { modelsDir: fresh("models"), executionProviders: ["cpu"], cpuThreads: 1 };
    return { db, config };
  }

  it.runIf(run)("adds a bundle as a copy, lists, shows, verifies and removes it", async () => {
    const { db, config } = await setup();
    const source = fresh("tiny");
    await writeTinyBundle(source, { id: "tiny" });
    await writeFile(path.join(source, "notes.txt"), "not part of the bundle");

    const added = await addModel(db, config, source);
    expect(added.copied).toBe(true);
    expect(added.model).toMatchObject({ id: "tiny", dimension: 8, license: "CC0-1.0", family: "demo" });
    expect(added.model.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(added.model.bundlePath).toBe(path.join(config.modelsDir, "tiny"));
    expect(added.check.selfTest.ok).toBe(true);
    // Only manifest.json and the files it lists are copied; no staging folder is left behind.
    expect(readdirSync(added.model.bundlePath).sort()).toEqual(
      ["LICENSE", "card.md", "image.onnx", "manifest.json", "text.onnx", "tokenizer.json"].sort(),
    );
    expect(readdirSync(path.join(config.modelsDir, ".staging"))).toEqual([]);

    // The registry is self-contained: the source folder can go.
    await rm(source, { recursive: true });
    expect((await listModels(db)).map((m) => m.id)).toEqual(["tiny"]);

    const shown = await showModel(db, "tiny");
    expect(shown.card).toContain("# Tiny test model");
    expect(shown.summary.image.input).toBe("pixel_values");
    expect(shown.summary.text.tokenizer.maxLength).toBe(16);
    expect(shown.summary.image.preprocess[0]).toBe("resize size=8 by=exact kernel=bilinear");

    const before = (await listModels(db))[0]!.verifiedAt!;
    const verified = await verifyModel(db, config, "tiny");
    expect(verified.model.verifiedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());

    const removed = await removeModel(db, config, "tiny");
    expect(removed.deletedFiles).toBe(true);
    expect(existsSync(added.model.bundlePath)).toBe(false);
    expect(await listModels(db)).toEqual([]);
    expect((await expectModelError(showModel(db, "tiny"))).code).toBe("NOT_FOUND");
  });

  it.runIf(run)("refuses a second model with the same id", async () => {
    const { db, config } = await setup();
    const source = fresh("tiny");
    await writeTinyBundle(source, { id: "twice" });
    await addModel(db, config, source);
    const error = await expectModelError(addModel(db, config, source));
    expect(error.code).toBe("ALREADY_EXISTS");
    expect(error.message).toContain("cxr models remove twice");
  });

  it.runIf(run)(
    "two adds of one id at once: one is recorded, the other is told, the folder is intact",
    async () => {
      const { db, config } = await setup();
      const source = fresh("tiny");
      await writeTinyBundle(source, { id: "race" });
      const results = await Promise.allSettled([addModel(db, config, source), addModel(db, config, source)]);
      const ok = results.filter((r) => r.status === "fulfilled");
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toMatchObject({ code: "ALREADY_EXISTS" });
      await verifyModel(db, config, "race");
      expect(readdirSync(path.join(config.modelsDir, ".staging"))).toEqual([]);
    },
  );

  it.runIf(run)("says CXR_MODELS_DIR is not writable, and records nothing", async () => {
    const { db } = await setup();
    const file = fresh("a-file");
    writeFileSync(file, "not a folder");
    const source = fresh("tiny");
    await writeTinyBundle(source, { id: "nowhere" });
    const config: ModelsConfig = {
      modelsDir: path.join(file, "models"),
      executionProviders: ["cpu"],
      cpuThreads: 1,
    };
    const error = await expectModelError(addModel(db, config, source));
    expect(error.code).toBe("MODELS_DIR_UNWRITABLE");
    expect(error.message).toContain(`CXR_MODELS_DIR (${config.modelsDir}) is not writable`);
    expect(await listModels(db)).toEqual([]);
  });

  it.runIf(run)("uses a bundle already under CXR_MODELS_DIR/<id> in place", async () => {
    const { db, config } = await setup();
    const inPlace = path.join(config.modelsDir, "here");
    await writeTinyBundle(inPlace, { id: "here" });
    const added = await addModel(db, config, inPlace);
    expect(added.copied).toBe(false);
    expect(added.model.bundlePath).toBe(inPlace);
  });

  it.runIf(run)("verify fails, naming the file, when a registered file changes", async () => {
    const { db, config } = await setup();
    const source = fresh("tiny");
    await writeTinyBundle(source, { id: "drift" });
    const { model } = await addModel(db, config, source);
    const before = (await listModels(db))[0]!.verifiedAt;
    const tokenizer = path.join(model.bundlePath, "tokenizer.json");
    await writeFile(tokenizer, `${await readFile(tokenizer, "utf8")} `);
    const error = await expectModelError(verifyModel(db, config, "drift"));
    expect(error).toMatchObject({
      code: "VERIFY_FAILED",
      file: "tokenizer.json",
      field: "files.tokenizer.json",
    });
    expect(error.message).toContain("sha256 mismatch");
    expect((await listModels(db))[0]!.verifiedAt).toEqual(before);
  });

  it.runIf(run)(
    "verify fails when the manifest was replaced by another valid one (fingerprint)",
    async () => {
      const { db, config } = await setup();
      const source = fresh("tiny");
      await writeTinyBundle(source, { id: "swap" });
      const { model } = await addModel(db, config, source);
      // A valid bundle with another version written over the registered copy.
      await writeTinyBundle(model.bundlePath, { id: "swap", editManifest: (m) => (m.version = "9.9.9") });
      const error = await expectModelError(verifyModel(db, config, "swap"));
      expect(error.code).toBe("VERIFY_FAILED");
      expect(error.message).toContain("fingerprint");
    },
  );

  it.runIf(run)("remove keeps the model when its vectors cannot be dropped (store down)", async () => {
    const { db, config } = await setup();
    const source = fresh("tiny");
    await writeTinyBundle(source, { id: "tiny" });
    const added = await addModel(db, config, source);
    const down = new StoreError("UNAVAILABLE", "Qdrant at http://127.0.0.1:1 is unreachable");
    const store = {
      deleteAlias: async () => {
        throw down;
      },
      listCollections: async () => {
        throw down;
      },
      dropCollection: async () => {
        throw down;
      },
    } as unknown as VectorStore;
    await expect(removeModel(db, config, "tiny", { store })).rejects.toBe(down);
    // Nothing changed: the same command works once the store is back.
    expect((await listModels(db)).map((m) => m.id)).toEqual(["tiny"]);
    expect(existsSync(added.model.bundlePath)).toBe(true);
  });

  it.runIf(run)("remove leaves a folder outside CXR_MODELS_DIR alone and cascades nothing else", async () => {
    const { db, config } = await setup();
    const elsewhere = fresh("not-ours");
    await writeTinyBundle(elsewhere, { id: "outside" });
    const added = await addModel(db, config, elsewhere);
    // Point the record at the original folder, as a record written by an older version might.
    await db.prisma.model.update({ where: { id: "outside" }, data: { bundlePath: elsewhere } });
    const removed = await removeModel(db, config, "outside");
    expect(removed.deletedFiles).toBe(false);
    expect(existsSync(path.join(elsewhere, "manifest.json"))).toBe(true);
    expect(existsSync(added.model.bundlePath)).toBe(true);
  });
});

describe("bad bundles: a clear error naming the file and field, nothing recorded, no copy left", () => {
  let temp: TempDatabase | undefined;
  let db: Database | undefined;
  afterAll(async () => {
    await db?.close();
    await temp?.drop();
  });

  const config: ModelsConfig = { modelsDir: fresh("models-bad"), executionProviders: ["cpu"], cpuThreads: 1 };

  const cases: Array<{
    name: string;
    make: (dir: string) => Promise<void>;
    file: string;
    field: string | undefined;
    message: RegExp;
  }> = [
    {
      name: "a missing file",
      make: async (dir) => {
        await writeTinyBundle(dir);
        await rm(path.join(dir, "text.onnx"));
      },
      file: "text.onnx",
      field: "files.text.onnx",
      message: /text\.onnx: files\.text\.onnx: missing from the bundle/,
    },
    {
      name: "a wrong checksum",
      make: async (dir) => {
        await writeTinyBundle(dir, {
          editManifest: (m) => ((m.files as Record<string, string>)["card.md"] = "0".repeat(64)),
        });
      },
      file: "card.md",
      field: "files.card.md",
      message: /card\.md: files\.card\.md: sha256 mismatch/,
    },
    {
      name: "an HTML page saved as image.onnx",
      make: async (dir) => {
        await writeTinyBundle(dir);
        const html = "<!DOCTYPE html><html><body>Sign in to download</body></html>";
        writeFileSync(path.join(dir, "image.onnx"), html);
        const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
        manifest.files["image.onnx"] = createHash("sha256").update(html).digest("hex");
        await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
      },
      file: "image.onnx",
      field: "files.image.onnx",
      message: /image\.onnx: files\.image\.onnx: is an HTML page, not ONNX weights/,
    },
    {
      name: "bytes that are not an ONNX graph (checksum consistent)",
      make: async (dir) => {
        const junk = "not a protobuf\n".repeat(20);
        await writeTinyBundle(dir, {
          editManifest: (m) => {
            (m.files as Record<string, string>)["text.onnx"] = createHash("sha256")
              .update(junk)
              .digest("hex");
          },
        });
        writeFileSync(path.join(dir, "text.onnx"), junk);
      },
      file: "text.onnx",
      field: "text.onnx",
      message: /text\.onnx: text\.onnx: ONNX Runtime cannot load it/,
    },
    {
      name: "a manifest naming an input the graph lacks",
      make: async (dir) => {
        await writeTinyBundle(dir, { graph: { textInputIds: "ids" } });
      },
      file: "text.onnx",
      field: "text.inputs.inputIds",
      message: /text\.onnx: text\.inputs\.inputIds: the graph has no input "input_ids"/,
    },
    {
      name: "a dimension that disagrees with the graph",
      make: async (dir) => {
        await writeTinyBundle(dir, { graph: { imageDimension: 6 } });
      },
      file: "image.onnx",
      field: "dimension",
      message: /image\.onnx: dimension: the graph output "image_embeds" has width 6, the manifest says 8/,
    },
    {
      name: "padding that leaks into the text embedding (self-test)",
      make: async (dir) => {
        // Mean over all positions (MedCLIP-style) with padding to the longest text: a text's
        // embedding depends on its batch, which the self-test catches.
        await writeTinyBundle(dir, { text: { attentionMask: false, pooling: "mean", padding: "longest" } });
      },
      file: "text.onnx",
      field: "text.tokenizer.padding",
      message:
        /text\.onnx: text\.tokenizer\.padding: self-test failed: text: single = batched: max abs difference/,
    },
    {
      name: "an invalid manifest field",
      make: async (dir) => {
        await writeTinyBundle(dir, { editManifest: (m) => (m.dimension = -3) });
      },
      file: "manifest.json",
      field: "dimension",
      message: /manifest\.json: dimension: expected a positive integer/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      temp ??= await tempDatabase("sqlite");
      db ??= await openDatabase(temp.config);
      const dir = fresh("bad");
      await c.make(dir);
      const error = await expectModelError(addModel(db, config, dir));
      expect(error.code).toBe("INVALID_BUNDLE");
      expect(error.file).toBe(c.file);
      expect(error.field).toBe(c.field);
      expect(error.message).toMatch(c.message);
      expect(error.message.startsWith(dir)).toBe(true);
      expect(error.message).not.toContain(".staging");
      expect(error.message).not.toContain("\n");
      expect(await listModels(db)).toEqual([]);
      expect(existsSync(path.join(config.modelsDir, "tiny"))).toBe(false);
      const staging = path.join(config.modelsDir, ".staging");
      expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    });
  }
});
