import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@cxr/config";
import { type Database, openDatabase } from "@cxr/db";
import { type TempDatabase, tempSqlite } from "@cxr/db/testing";
import { loadBundle, MODEL_PREPROCESS, ModelEncoder } from "@cxr/encoders";
import { tinyTextModel } from "@cxr/encoders/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  catalogueCard,
  classifyError,
  download,
  executeJob,
  getJob,
  type JobProgress,
  listJobs,
  listModels,
  ModelError,
  type ModelsConfig,
  NotPullableError,
  openServices,
  type PulledModel,
  type PullProgress,
  prepareJob,
  pullInstructions,
  pullModel,
  sha256Tag,
  verifyModel,
} from "../src/index.ts";
import {
  clipHubFiles,
  FIXTURE_DIMENSION,
  HUB_REPO,
  type HubFixture,
  startHubFixture,
  tinyClipTokenizerJson,
} from "../src/testing/index.ts";

const work = mkdtempSync(path.join(tmpdir(), "cxr-services-pull-"));
let n = 0;
const fresh = (name: string) => path.join(work, `${name}-${++n}`);

let hub: HubFixture;
beforeAll(async () => {
  hub = await startHubFixture();
});
afterAll(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

let temp: TempDatabase | undefined;
let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  await temp?.drop();
  db = undefined;
  temp = undefined;
  for (const set of Object.values(hub.faults)) set.clear();
  hub.requests.length = 0;
});

async function setup(): Promise<{ db: Database; config: ModelsConfig }> {
  temp = tempSqlite();
  db = await openDatabase(temp.config);
  return { db, config: { modelsDir: fresh("models"), executionProviders: ["cpu"], cpuThreads: 1 } };
}

async function failure(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("pull clip-vit-b32 from a hub-layout server", () => {
  it("downloads, builds a bundle with CLIP's settings, adds it, and it verifies and encodes", async () => {
    const { db, config } = await setup();
    const progress: PullProgress[] = [];
    const pulled = await pullModel(db, config, "clip-vit-b32", {
      baseUrl: hub.url,
      onProgress: (p) => progress.push(p),
    });
    expect(pulled.model).toMatchObject({
      id: "clip-vit-b32",
      dimension: FIXTURE_DIMENSION,
      license: "MIT",
      family: "clip",
    });
    expect(pulled.source).toBe(`${hub.url}/${HUB_REPO}`);

    // The hub announced the ONNX files' sha256 (X-Linked-Etag on the redirect) and they matched;
    // the JSON files' git-blob ETags are not sha256s and were not taken for one.
    const byFile = Object.fromEntries(pulled.downloads.map((d) => [d.file, d]));
    expect(byFile["image.onnx"]!.announcedSha256).toBe(sha(hub.files.get("onnx/vision_model.onnx")!));
    expect(byFile["text.onnx"]!.sha256).toBe(sha(hub.files.get("onnx/text_model.onnx")!));
    expect(byFile["tokenizer.json"]!.announcedSha256).toBeUndefined();

    // Progress: bytes and totals per file, ending at the total.
    const image = progress.filter((p) => p.file === "image.onnx");
    expect(image.at(-1)).toMatchObject({
      received: hub.files.get("onnx/vision_model.onnx")!.length,
      index: 1,
      count: 6,
    });
    expect(image.at(-1)!.total).toBe(image.at(-1)!.received);

    const bundle = await loadBundle(pulled.model.bundlePath);
    const m = bundle.manifest;
    expect(m.image.preprocess).toEqual(MODEL_PREPROCESS.clip);
    expect(m.image.input).toEqual({ name: "pixel_values", dtype: "float32", shape: ["batch", 3, 224, 224] });
    expect(m.text.inputs).toEqual({ inputIds: "input_ids" });
    expect(m.text.output.name).toBe("text_embeds");
    expect(m.text.tokenizer).toMatchObject({
      maxLength: 77,
      truncation: "end-token",
      padding: "max_length",
      padId: 0,
    });
    expect(Object.keys(m.files).sort()).toEqual(
      [
        "LICENSE",
        "card.md",
        "config.json",
        "image.onnx",
        "preprocessor_config.json",
        "text.onnx",
        "tokenizer.json",
        "tokenizer_config.json",
      ].sort(),
    );
    const card = await readFile(path.join(pulled.model.bundlePath, "card.md"), "utf8");
    expect(card).toContain("deployed use");
    expect(card).toContain(`${hub.url}/${HUB_REPO}`);
    // The downloads folder is gone once the registry holds its copy.
    expect(existsSync(path.join(config.modelsDir, ".downloads", "clip-vit-b32"))).toBe(false);

    await verifyModel(db, config, "clip-vit-b32");
    const encoder = await ModelEncoder.create(bundle, { providers: ["cpu"], cpuThreads: 1 });
    try {
      const [long] = await encoder.encodeTexts([`${"clear lungs ".repeat(100)}`]);
      expect(long?.ok).toBe(true); // truncated to 77 with the end token, not refused
    } finally {
      await encoder.close();
    }
  });

  it("feeds attention_mask when the downloaded text graph takes one", async () => {
    const { db, config } = await setup();
    const files = clipHubFiles();
    const { vocabSize } = tinyClipTokenizerJson();
    files.set(
      "onnx/text_model.onnx",
      tinyTextModel({ vocabSize, dimension: FIXTURE_DIMENSION, attentionMask: "attention_mask" }),
    );
    const masked = await startHubFixture(files);
    try {
      const pulled = await pullModel(db, config, "clip-vit-b32", { baseUrl: masked.url });
      const { manifest } = await loadBundle(pulled.model.bundlePath);
      expect(manifest.text.inputs).toEqual({ inputIds: "input_ids", attentionMask: "attention_mask" });
    } finally {
      await masked.close();
    }
  });

  it("resumes a transfer cut mid-way with an HTTP Range request", async () => {
    const { db, config } = await setup();
    hub.faults.cutOnce.add("onnx/vision_model.onnx");
    const pulled = await pullModel(db, config, "clip-vit-b32", { baseUrl: hub.url });
    const size = hub.files.get("onnx/vision_model.onnx")!.length;
    const cdn = hub.requests.filter((r) => r.path.startsWith("/cdn/onnx%2Fvision_model.onnx"));
    expect(cdn.length).toBe(2);
    expect(cdn[0]).toMatchObject({ range: undefined, status: 200 });
    const offset = Number(/^bytes=(\d+)-$/.exec(cdn[1]!.range ?? "")?.[1]);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(size);
    expect(cdn[1]!.status).toBe(206);
    const image = pulled.downloads.find((d) => d.file === "image.onnx")!;
    expect(image.resumedFrom).toBe(offset);
    expect(image.sha256).toBe(sha(hub.files.get("onnx/vision_model.onnx")!));
  });

  it("keeps the partial file when retries run out, and the next run resumes it", async () => {
    const { db, config } = await setup();
    hub.faults.cutOnce.add("onnx/text_model.onnx");
    const error = await failure(pullModel(db, config, "clip-vit-b32", { baseUrl: hub.url, retries: 0 }));
    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toMatch(/^text\.onnx: connection lost .* run the command again to resume/);
    const dir = path.join(config.modelsDir, ".downloads", "clip-vit-b32");
    expect(readdirSync(dir)).toContain("text.onnx.partial");
    expect(await listModels(db)).toEqual([]);

    hub.requests.length = 0;
    await pullModel(db, config, "clip-vit-b32", { baseUrl: hub.url, retries: 0 });
    const text = hub.requests.filter((r) => r.path.startsWith("/cdn/onnx%2Ftext_model.onnx"));
    expect(text).toHaveLength(1);
    expect(text[0]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    // The image graph finished in the first run and is not fetched again.
    expect(hub.requests.some((r) => r.path.includes("vision_model"))).toBe(false);
    expect((await listModels(db)).map((m) => m.id)).toEqual(["clip-vit-b32"]);
  });

  it("refuses a download whose sha256 differs from the one the hub announced", async () => {
    const { db, config } = await setup();
    hub.faults.wrongChecksum.add("onnx/vision_model.onnx");
    const error = await failure(pullModel(db, config, "clip-vit-b32", { baseUrl: hub.url }));
    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.file).toBe("image.onnx");
    expect(error.message).toContain(`sha256 mismatch: the server announced ${"0".repeat(64)}`);
    expect(existsSync(path.join(config.modelsDir, ".downloads", "clip-vit-b32", "image.onnx.partial"))).toBe(
      false,
    );
    expect(await listModels(db)).toEqual([]);
  });

  it("reports HTTP 404 with the URL", async () => {
    const { db, config } = await setup();
    hub.faults.missing.add("onnx/text_model.onnx");
    const error = await failure(pullModel(db, config, "clip-vit-b32", { baseUrl: hub.url }));
    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toContain("text.onnx: HTTP 404");
    expect(error.message).toContain(`${hub.url}/${HUB_REPO}/resolve/main/onnx/text_model.onnx`);
    expect(await listModels(db)).toEqual([]);
  });

  it("refuses an HTML page served in place of the ONNX weights", async () => {
    const { db, config } = await setup();
    hub.faults.html.add("onnx/vision_model.onnx");
    const error = await failure(pullModel(db, config, "clip-vit-b32", { baseUrl: hub.url }));
    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toContain("image.onnx: the server sent an HTML page instead of ONNX weights");
    expect(await listModels(db)).toEqual([]);
  });

  it("times out a response that sends headers and then nothing", async () => {
    const { db, config } = await setup();
    hub.faults.stall.add("tokenizer.json");
    const error = await failure(
      pullModel(db, config, "clip-vit-b32", { baseUrl: hub.url, timeoutMs: 300, retries: 1 }),
    );
    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toMatch(/^tokenizer\.json: no data for 0\.3 s/);
  });

  it("says where an unreachable endpoint is", async () => {
    const { db, config } = await setup();
    const closed = await startHubFixture(new Map());
    const url = closed.url;
    await closed.close();
    const error = await failure(pullModel(db, config, "clip-vit-b32", { baseUrl: url, timeoutMs: 2000 }));
    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toContain("cannot connect");
    expect(error.message).toContain(url);
  });
});

describe("cxr models pull as a job", () => {
  it("refuses at prepare without a row; a Ctrl-C during a download leaves it interrupted, the same start resumes it from the finished files", async () => {
    const dataDir = fresh("data");
    const services = openServices(
      loadConfig({ CXR_DATA_DIR: dataDir, CXR_EXECUTION_PROVIDERS: "cpu", CXR_CPU_THREADS: "1" }, dataDir),
    );
    try {
      for (const [modelId, code] of [
        ["gpt-7", "UNKNOWN_MODEL"],
        ["cxr-repair", "NOT_PULLABLE"],
      ] as const) {
        const refused = await prepareJob(services, "model-pull", { modelId }).catch((e) => e);
        expect(refused.code, modelId).toBe(code);
      }
      expect(
        classifyError(await prepareJob(services, "model-pull", { modelId: "gpt-7" }).catch((e) => e)).kind,
      ).toBe("not-found");
      expect((await listJobs(services)).total).toBe(0);
      expect(hub.requests).toEqual([]);

      const request = { modelId: "clip-vit-b32", baseUrl: hub.url };
      const job = await prepareJob(services, "model-pull", request);
      const controller = new AbortController();
      const stopped = await executeJob(services, job.id, {
        signal: controller.signal,
        // Ctrl-C as the second file starts: the first is complete on disk
        onEvent: (e) => {
          if ((e as PullProgress).index === 2) controller.abort(new Error("interrupted (Ctrl-C)"));
        },
      }).catch((e) => e);
      expect(stopped.message).toMatch(/^text\.onnx: interrupted/);
      expect(await getJob(services, job.id)).toMatchObject({ status: "interrupted", attempts: 1 });
      expect(await listModels(await services.database())).toEqual([]);

      hub.requests.length = 0;
      expect((await prepareJob(services, "model-pull", request)).id).toBe(job.id);
      const seen: JobProgress[] = [];
      const { job: done, result } = await executeJob<PulledModel>(services, job.id, {
        onProgress: (p) => seen.push(p),
      });
      expect(done).toMatchObject({ status: "completed", attempts: 2, error: null });
      expect(result.model.id).toBe("clip-vit-b32");
      // the image graph finished in the first attempt and is not fetched again
      expect(hub.requests.some((r) => r.path.includes("vision_model"))).toBe(false);
      expect(result.downloads.find((d) => d.file === "image.onnx")?.cached).toBe(true);
      expect(seen.every((p) => p.kind === "model-pull" && p.unit === "bytes")).toBe(true);
      expect(seen.some((p) => p.phase.startsWith("download text.onnx"))).toBe(true);
      expect(done.result).toMatchObject({
        model: { id: "clip-vit-b32" },
        selfTest: { passed: expect.any(Number) },
      });
      expect((await listModels(await services.database())).map((m) => m.id)).toEqual(["clip-vit-b32"]);

      // registered now: a new pull is refused as a conflict, and writes no row
      const again = await prepareJob(services, "model-pull", request).catch((e) => e);
      expect(classifyError(again)).toMatchObject({ kind: "conflict", code: "ALREADY_EXISTS" });
      expect((await listJobs(services)).total).toBe(1);
    } finally {
      await services.close();
    }
  });
});

describe("models pull cannot download", () => {
  it("explains where each other checkpoint is published and which export command to run", async () => {
    const { db, config } = await setup();
    for (const [id, url, family] of [
      ["cxr-repair", "https://stanfordmedicine.box.com/s/dbebk0jr5651dj8x1cu6b6kqyuuvz3ml", "cxr-repair"],
      ["medclip-swin", "https://storage.googleapis.com/pytrial/medclip-vit-pretrained.zip", "medclip"],
      [
        "cxr-clip-swin",
        "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/a25ce760064591c899f67c97ed7790de/swint_mcc.tar",
        "cxr-clip",
      ],
      [
        "cxr-clip-r50",
        "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/de4b5e4ae2047c1fb7960ddcd8d861cb/r50_mcc.tar",
        "cxr-clip",
      ],
    ] as const) {
      const error = await failure(pullModel(db, config, id, { baseUrl: hub.url }));
      expect(error).toBeInstanceOf(NotPullableError);
      const text = pullInstructions(id)!;
      expect(text).toContain(url);
      expect(text).toContain(`packages/encoders/python/cxr_export.py ${family} `);
      expect(text).toContain(`--id ${id}`);
    }
    expect(pullInstructions("clip-vit-b32")).toContain("openaipublic.azureedge.net/clip/models/");
    // Every known id has a committed model card, readable before the model is registered.
    for (const id of ["clip-vit-b32", "cxr-repair", "medclip-swin", "cxr-clip-swin", "cxr-clip-r50"]) {
      const entry = await catalogueCard(id);
      expect(entry?.card, id).toMatch(/^# /);
      expect(entry?.source?.id).toBe(id);
    }
    expect(await catalogueCard("../etc")).toBeUndefined();
    expect(hub.requests).toEqual([]);
    expect((await failure(pullModel(db, config, "gpt-7", { baseUrl: hub.url }))).code).toBe("UNKNOWN_MODEL");
  });
});

describe("download", () => {
  it("skips a file completed by an earlier run without a request", async () => {
    const dest = path.join(fresh("dl"), "config.json");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(path.dirname(dest), { recursive: true });
    const url = `${hub.url}/${HUB_REPO}/resolve/main/config.json`;
    const first = await download({ url, dest, label: "config.json", kind: "json" });
    expect(first.cached).toBe(false);
    const count = hub.requests.length;
    const second = await download({ url, dest, label: "config.json", kind: "json" });
    expect(second).toMatchObject({ cached: true, sha256: first.sha256 });
    expect(hub.requests.length).toBe(count);
  });

  it("starts over when the partial file is not a prefix the server can continue (HTTP 416)", async () => {
    const dir = fresh("dl");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    const dest = path.join(dir, "image.onnx");
    const url = `${hub.url}/${HUB_REPO}/resolve/main/onnx/vision_model.onnx`;
    const bytes = hub.files.get("onnx/vision_model.onnx")!;
    writeFileSync(`${dest}.partial`, Buffer.alloc(bytes.length + 10, 7));
    writeFileSync(`${dest}.partial.json`, JSON.stringify({ url }));
    const result = await download({ url, dest, label: "image.onnx", kind: "binary" });
    expect(result).toMatchObject({ sha256: sha(bytes), size: bytes.length, resumedFrom: 0 });
    const cdn = hub.requests.filter((r) => r.path.startsWith("/cdn/"));
    expect(cdn.map((r) => r.status)).toEqual([416, 200]);
  });

  it("reads sha256 from ETag-like headers only when they hold 64 hex digits", () => {
    const h = "ab".repeat(32);
    expect(sha256Tag(`"${h}"`)).toBe(h);
    expect(sha256Tag(`W/"${h.toUpperCase()}"`)).toBe(h);
    expect(sha256Tag(`"${"a".repeat(40)}"`)).toBeUndefined();
    expect(sha256Tag(null)).toBeUndefined();
  });
});
