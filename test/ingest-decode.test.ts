import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { synthesize } from "@cxr/datasets";
import { greyDicom, writeTinyBundle } from "@cxr/encoders/testing";
import { checkRecordFile } from "@cxr/eval";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { image } from "../packages/datasets/test/fixtures.ts";
import { cxr } from "./support/cli.ts";

/**
 * Ingest → index → bench as a user runs them, on a manifest that holds a truncated JPEG and a 12-bit
 * MONOCHROME1 DICOM next to a small synthetic set: the JPEG is skipped at ingest with the decoder's
 * reason, the DICOM is ingested, indexed and benchmarked. Then one impression is edited: re-ingest
 * updates that study, and the next `cxr index` says the dataset changed and encodes everything again.
 * Last, an ingest whose every study is skipped exits 1 with its summary.
 */

const work = mkdtempSync(path.join(tmpdir(), "cxr-ingest-decode-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dataDir = path.join(work, "data");
const env = { CXR_DATA_DIR: dataDir, CXR_EXECUTION_PROVIDERS: "cpu", CXR_CPU_THREADS: "1" };
const set = path.join(work, "set");
const manifestFile = path.join(set, "manifest.jsonl");

function json<T>(result: { status: number | null; stdout: string; stderr: string }): T {
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

interface IngestJson {
  status: string;
  added: number;
  updated: number;
  changes: Record<string, number>;
  images: number;
  fingerprint: string;
  skippedItems: { level: string; item: string; reason: string; detail: string }[];
}
interface IndexJson {
  results: {
    modality: string;
    status: string;
    processed: number;
    failed: number;
    total: number;
    rebuildReason: string | null;
  }[];
}

let ingested: IngestJson;

beforeAll(async () => {
  await synthesize({ out: set, studies: 24, seed: "ingest-decode" });
  // a 12-bit MONOCHROME1 radiograph: a bright (low-valued) disc on a dark field
  const size = 128;
  const pixels = Array.from({ length: size * size }, (_, i) => {
    const x = (i % size) - size / 2;
    const y = Math.floor(i / size) - size / 2;
    return x * x + y * y < 900 ? 400 : 3600;
  });
  mkdirSync(path.join(set, "extra"), { recursive: true });
  writeFileSync(
    path.join(set, "extra", "cr.dcm"),
    greyDicom({ rows: size, columns: size, pixels, photometric: "MONOCHROME1" }),
  );
  await image(path.join(work, "whole.jpg"), 90, "jpeg", 96);
  const jpeg = readFileSync(path.join(work, "whole.jpg"));
  writeFileSync(path.join(set, "extra", "cut.jpg"), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  appendFileSync(
    manifestFile,
    [
      {
        study_id: "dicom-cr",
        image: "extra/cr.dcm",
        view: "PA",
        split: "train",
        impression: "Rounded opacity.",
      },
      {
        study_id: "cut-jpeg",
        image: "extra/cut.jpg",
        view: "PA",
        split: "train",
        impression: "No acute findings.",
      },
    ]
      .map((row) => `${JSON.stringify(row)}\n`)
      .join(""),
  );
  const tiny = path.join(work, "tiny");
  await writeTinyBundle(tiny, { id: "tiny" });
  json(cxr(["models", "add", tiny, "--json"], env));
}, 300_000);

describe("ingest decodes as the encoders do", () => {
  it("skips the truncated JPEG with its reason and ingests the 12-bit MONOCHROME1 DICOM", () => {
    ingested = json<IngestJson>(cxr(["ingest", "manifest", set, "--name", "mixed", "--json"], env));
    expect(ingested.status).toBe("ready");
    expect(ingested.added).toBe(25);
    const cut = ingested.skippedItems.filter((s) => s.item.startsWith("cut-jpeg"));
    expect(cut.map((s) => [s.level, s.item, s.reason])).toEqual([
      ["image", "cut-jpeg/extra/cut.jpg", "undecodable-image"],
      ["study", "cut-jpeg", "no-images"],
    ]);
    expect(cut[0]!.detail).toMatch(/^cut\.jpg: TRUNCATED: jpeg data ends early/);
    expect(ingested.skippedItems.some((s) => s.item.startsWith("dicom-cr"))).toBe(false);

    const human = cxr(["datasets", "show", "mixed"], env);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toContain("cut-jpeg/extra/cut.jpg: undecodable-image (cut.jpg: TRUNCATED:");
  });

  it("indexes the DICOM with every other image, and benchmarks it", () => {
    const indexed = json<IndexJson>(cxr(["index", "--model", "tiny", "--dataset", "mixed", "--json"], env));
    const images = indexed.results.find((r) => r.modality === "images")!;
    expect(images).toMatchObject({ status: "completed", failed: 0, processed: ingested.images });

    const bench = json<{ files: { json: string } }>(
      cxr(
        [
          "bench",
          "--models",
          "tiny",
          "--dataset",
          "mixed",
          "--split",
          "train",
          "--levels",
          "0,0.5",
          "--seed",
          "3",
          "--bootstrap",
          "20",
          "--json",
        ],
        env,
      ),
    );
    const { file, problems } = checkRecordFile(JSON.parse(readFileSync(bench.files.json, "utf8")));
    expect(problems).toEqual([]);
    expect(file.run.queries["image->text"].map((q) => q.id)).toContain("dicom-cr/extra/cr.dcm");
    expect(file.run.queries["image->text"].map((q) => q.id).some((id) => id.startsWith("cut-jpeg"))).toBe(
      false,
    );
    expect(file.results.every((r) => r.queries > 0)).toBe(true);
  });

  it("an edited impression is updated on re-ingest, and the next index encodes everything again, saying why", () => {
    const lines = readFileSync(manifestFile, "utf8").split("\n");
    const at = lines.findIndex((l) => l.includes('"dicom-cr"'));
    lines[at] = JSON.stringify({
      study_id: "dicom-cr",
      image: "extra/cr.dcm",
      view: "PA",
      split: "train",
      impression: "Rounded opacity in the right upper zone.",
    });
    writeFileSync(manifestFile, lines.join("\n"));

    const again = cxr(["ingest", "manifest", set, "--name", "mixed"], env);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain("added 0, updated 1, unchanged 24;");
    expect(again.stdout).toMatch(/updated: report 1, sections 1 \(indexes of this dataset are rebuilt/);

    const reindexed = json<IndexJson>(cxr(["index", "--model", "tiny", "--dataset", "mixed", "--json"], env));
    for (const r of reindexed.results) {
      expect(r.status).toBe("completed");
      expect(r.processed + r.failed).toBe(r.total);
      expect(r.rebuildReason).toMatch(/^the dataset changed since the last index/);
    }
    const human = cxr(
      ["index", "--model", "tiny", "--dataset", "mixed", "--reindex", "--modality", "reports"],
      env,
    );
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toContain("new version: --reindex asked for a new version");
  });

  it("an ingest whose every study is skipped exits 1 with its summary, and the dataset is not ready", () => {
    const broken = path.join(work, "broken");
    mkdirSync(broken);
    writeFileSync(path.join(broken, "cut.jpg"), readFileSync(path.join(set, "extra", "cut.jpg")));
    writeFileSync(
      path.join(broken, "manifest.jsonl"),
      `${JSON.stringify({ study_id: "only", image: "cut.jpg", impression: "x" })}\n`,
    );
    const result = cxr(["ingest", "manifest", broken, "--name", "broken"], env);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("broken (manifest, ");
    expect(result.stdout).toContain(": failed");
    expect(result.stdout).toContain("only/cut.jpg: undecodable-image (cut.jpg: TRUNCATED:");
    // the progress line, then one line for the failure
    expect(result.stderr.trim().split("\n").at(-1)).toBe(
      'cxr: ingest of "broken" took nothing: all 1 studies were skipped (reasons in the summary); the dataset is not ready',
    );
    const index = cxr(["index", "--model", "tiny", "--dataset", "broken"], env);
    expect(index.status).toBe(2);
    expect(index.stderr).toMatch(/is in a failed ingest/);
  });
});
