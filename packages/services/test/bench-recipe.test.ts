import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ModelModel as Model } from "@cxr/db";
import type { DecodedImage, ModelEncoder } from "@cxr/encoders";
import type { ResultRecord } from "@cxr/eval";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { BenchError } from "../src/bench/errors.ts";
import { listRunsIn, loadRunFrom, recomputeRun } from "../src/bench/read.ts";
import { type BenchOptions, type BenchProgress, runBench } from "../src/bench/run.ts";
import { fixtureImage } from "../src/testing/index-fixture.ts";
import { MemoryBenchRepository } from "./support/memory-bench-repository.ts";

/**
 * The benchmark recipe (`runBench`) on an in-memory repository (no database), with a stand-in
 * encoder and the real scoring kernel: what a user relies on from `cxr bench` — a run created with
 * its queries, both directions of every (model, level) cell stored and the files written; a run
 * stopped after a cell continued by the next one without recomputing the stored cell, ending with
 * the numbers of an uninterrupted run; typed refusals that write nothing. The same recipe on SQLite
 * and PostgreSQL with real ONNX sessions is tested in bench.integration.test.ts.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (name: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `cxr-bench-recipe-${name}-`));
  dirs.push(dir);
  return dir;
};

const DIMENSION = 4;
const model = {
  id: "tiny",
  dimension: DIMENSION,
  fingerprint: "f".repeat(64),
  addedAt: new Date(Date.UTC(2025, 0, 1)),
} as Model;

/** How many images and texts the stand-in encoder was asked to encode. */
let encoded = { images: 0, texts: 0 };

/** A stand-in for the model's encoders: a vector from an image's pixel statistics, from a text's characters. */
const encoder = {
  info: { providers: { image: "cpu", text: "cpu" } },
  async encodeImages(items: { image: DecodedImage; name: string }[]) {
    encoded.images += items.length;
    return items.map(({ image }) => {
      const data = image.data as Uint8Array;
      let sum = 0;
      let edges = 0;
      for (let i = 0; i < data.length; i++) {
        sum += data[i]!;
        if (i > 0) edges += Math.abs(data[i]! - data[i - 1]!);
      }
      const mean = sum / data.length / 255;
      return {
        ok: true as const,
        embedding: Float32Array.from([1, mean, edges / data.length / 255, data[0]! / 255]),
      };
    });
  },
  async encodeTexts(texts: string[]) {
    encoded.texts += texts.length;
    return texts.map((text) => {
      const codes = [...text].map((c) => c.charCodeAt(0));
      return {
        ok: true as const,
        embedding: Float32Array.from([
          1,
          codes.length / 40,
          (codes[0] ?? 0) / 128,
          (codes.at(-1) ?? 0) / 128,
        ]),
      };
    });
  },
  async close() {},
} as unknown as ModelEncoder;

const PHRASES = ["no acute disease", "small effusion", "cardiomegaly", "clear lungs", "old fracture"];

let repo: MemoryBenchRepository;
let base: BenchOptions;

/**
 * A dataset with a "test" split of 8 studies, one PA image and an impression each (only a free-text
 * report with `freeText`).
 */
function seed(dataDir: string, { status = "ready", freeText = false } = {}): MemoryBenchRepository {
  const memory = new MemoryBenchRepository();
  memory.models.push(model);
  memory.datasets.push({ id: "d1", name: "set", status });
  const images = path.join(dataDir, "source");
  mkdirSync(images, { recursive: true });
  const studies = Array.from({ length: 8 }, (_, i) => {
    const bytes = fixtureImage(i, 0, 16);
    const file = path.join(images, `s${i}.png`);
    writeFileSync(file, bytes);
    return {
      externalId: `s${i}`,
      patientId: `p${i}`,
      report: {
        findings: null,
        impression: freeText ? null : `${PHRASES[i % 5]} ${i}`,
        fullText: `${PHRASES[i % 5]} ${i}`,
      },
      images: [
        {
          externalId: `s${i}.png`,
          path: file,
          sha256: createHash("sha256").update(bytes).digest("hex"),
          view: "PA",
        },
      ],
    };
  });
  memory.splits.push({ id: "sp1", datasetId: "d1", name: "test", fingerprint: "v2:abc", studies });
  return memory;
}

beforeEach(() => {
  const dataDir = tempDir("data");
  repo = seed(dataDir);
  encoded = { images: 0, texts: 0 };
  base = {
    db: undefined as never,
    repository: repo,
    openEncoder: async () => encoder,
    config: { dataDir, executionProviders: ["cpu"], cpuThreads: 1, encodeBatchSize: 4 },
    models: [model.id],
    dataset: "set",
    levels: [0, 0.5],
    seed: 3,
    grid: 4,
    bootstrapSamples: 20,
    cache: false,
  };
});

const numbers = (records: ResultRecord[]) =>
  records.map((r) => ({
    cell: `${r.modelId} ${r.level} ${r.direction}`,
    metrics: r.metrics,
    ranks: r.ranks,
  }));

describe("the benchmark recipe (in-memory repository)", () => {
  it("creates a run with its queries, stores both directions of every cell, writes the files", async () => {
    const events: string[] = [];
    const result = await runBench({ ...base, onProgress: (e: BenchProgress) => events.push(e.phase) });
    expect(result).toMatchObject({ resumed: false, resumedCells: 0, undecodable: [] });
    expect(repo.runs).toMatchObject([{ id: result.runId, status: "completed", outputDir: result.outDir }]);
    expect(repo.runs[0]!.queries.length).toBeGreaterThan(0);
    expect(repo.results.map((r) => `${r.level} ${r.direction}`).sort()).toEqual([
      "0 image->text",
      "0 text->image",
      "0.5 image->text",
      "0.5 text->image",
    ]);
    expect(result.record.results).toHaveLength(4);
    for (const file of Object.values(result.files)) expect(existsSync(file)).toBe(true);
    expect(events[0]).toBe("start");
    expect(events.at(-1)).toBe("write");
  });

  it("a stop after a cell leaves the run unfinished; the next run continues it without recomputing that cell", async () => {
    const whole = await runBench({ ...base, outDir: tempDir("whole") });
    const wholeImages = encoded.images;
    expect(wholeImages).toBeGreaterThan(0);

    // The same benchmark on a fresh repository, stopped once its first cell is stored.
    const dataDir = tempDir("data");
    repo = seed(dataDir);
    const options = { ...base, repository: repo, config: { ...base.config, dataDir } };
    const controller = new AbortController();
    const stopped = await runBench({
      ...options,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === "level-done") controller.abort(new Error("stop"));
      },
    }).catch((e: unknown) => e);
    expect(stopped).toMatchObject({ message: "stop" });
    expect(repo.runs).toMatchObject([{ status: "failed" }]);
    expect(repo.results).toHaveLength(2);
    const stored = repo.results.map((r) => r.id);

    encoded = { images: 0, texts: 0 };
    const resumed = await runBench(options);
    expect(resumed).toMatchObject({ runId: repo.runs[0]!.id, resumed: true, resumedCells: 1 });
    expect(repo.runs).toHaveLength(1);
    expect(repo.runs[0]!.status).toBe("completed");
    // The stored cell was read back, not recomputed: its rows are the same, and half the images were encoded.
    expect(repo.results.filter((r) => stored.includes(r.id))).toHaveLength(2);
    expect(repo.results).toHaveLength(4);
    expect(encoded.images).toBe(wholeImages / 2);
    expect(numbers(resumed.record.results)).toEqual(numbers(whole.record.results));
  });

  it("a stored run reads back as the records written, recomputes from its ranks, and a tampered number is caught", async () => {
    const result = await runBench(base);
    expect(await listRunsIn(repo)).toMatchObject([
      { runId: result.runId, status: "completed", dataset: "set", results: 4, expectedResults: 4 },
    ]);
    const loaded = await loadRunFrom(repo, result.runId);
    expect(numbers(loaded.results)).toEqual(numbers(result.record.results));
    expect(await recomputeRun(repo, result.runId)).toMatchObject({ ok: true, checked: 4, mismatches: [] });

    repo.results[0]!.mrr += 0.25;
    const tampered = await recomputeRun(repo, result.runId);
    expect(tampered.ok).toBe(false);
    expect(tampered.mismatches).toMatchObject([{ what: "mrr column" }]);
    await expect(loadRunFrom(repo, "nope")).rejects.toMatchObject({ code: "UNKNOWN_RUN" });
  });

  it("refuses what it cannot run with a typed error and writes nothing", async () => {
    const code = (options: Partial<BenchOptions>) =>
      runBench({ ...base, ...options }).then(
        () => undefined,
        (e: unknown) => (e instanceof BenchError ? e.code : e),
      );
    expect(await code({ models: ["nope"] })).toBe("UNKNOWN_MODEL");
    expect(await code({ models: [] })).toBe("INVALID_ARGUMENT");
    expect(await code({ dataset: "nope" })).toBe("UNKNOWN_DATASET");
    expect(await code({ split: "val" })).toBe("UNKNOWN_SPLIT");
    expect(await code({ repository: seed(tempDir("data"), { status: "ingesting" }) })).toBe(
      "DATASET_NOT_READY",
    );
    const freeText = seed(tempDir("data"), { freeText: true });
    expect(await code({ repository: freeText })).toBe("NO_QUERIES");
    expect(freeText.runs).toEqual([]);
    expect(repo.runs).toEqual([]);
    expect(repo.results).toEqual([]);
  });
});
