import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmptyIngestError, ingestInto } from "../src/ingest.ts";
import type { AdapterEvent, DatasetSource, StudyRecord } from "../src/types.ts";
import { image, tempDir } from "./fixtures.ts";
import { MemoryIngestRepository } from "./support/memory-ingest-repository.ts";

/**
 * The ingest recipe on an in-memory repository (no database): what a user relies on from an
 * ingest — idempotent re-runs, in-place updates counted by kind, skips with reasons, an empty
 * ingest refused, a name kept for one source, a stop that leaves the dataset resumable. The same
 * recipe on SQLite and PostgreSQL is tested in ingest.integration.test.ts.
 */

const root = tempDir("cxr-ingest-recipe-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  for (let i = 0; i < 6; i++) await image(path.join(root, `img${i}.png`), 40 * i);
});

function study(i: number, overrides: Partial<StudyRecord> = {}): StudyRecord {
  return {
    externalId: `s${i}`,
    split: i < 4 ? "train" : "test",
    patientId: `p${i}`,
    images: [{ externalId: `img${i}`, path: path.join(root, `img${i}.png`), view: "PA" }],
    report: { fullText: `report ${i}`, findings: `findings ${i}`, impression: `impression ${i}` },
    ...overrides,
  };
}

function source(studies: StudyRecord[], sourceRoot = root): DatasetSource {
  return {
    adapter: "memory",
    root: sourceRoot,
    estimateTotal: async () => studies.length,
    async *events(): AsyncIterable<AdapterEvent> {
      for (const s of studies) yield { type: "study", study: s };
    },
  };
}

const six = () => Array.from({ length: 6 }, (_, i) => study(i));

describe("the ingest recipe (in-memory repository)", () => {
  it("adds every study, then a second run changes nothing and keeps the fingerprint", async () => {
    const repo = new MemoryIngestRepository();
    const progress: number[] = [];
    const first = await ingestInto(repo, source(six()), {
      name: "demo",
      onProgress: (p) => progress.push(p.processed),
    });
    expect(first).toMatchObject({
      status: "ready",
      added: 6,
      existing: 0,
      updated: 0,
      studies: 6,
      images: 6,
    });
    expect(first.fingerprint).toMatch(/^v2:[0-9a-f]{64}$/);
    expect(first.splits.map((s) => [s.name, s.studies])).toEqual([
      ["test", 2],
      ["train", 4],
    ]);
    expect(progress.at(-1)).toBe(6);
    const second = await ingestInto(repo, source(six()), { name: "demo" });
    expect(second).toMatchObject({ status: "ready", added: 0, existing: 6, updated: 0 });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(repo.studies.size).toBe(6);
  });

  it("updates a changed study in place and counts what changed", async () => {
    const repo = new MemoryIngestRepository();
    const first = await ingestInto(repo, source(six()), { name: "demo" });
    const ids = [...repo.studies.keys()];
    const changed = six();
    changed[2] = study(2, {
      report: { fullText: "other", findings: "other findings", impression: "impression 2" },
    });
    changed[3] = study(3, { split: "test" });
    const second = await ingestInto(repo, source(changed), { name: "demo" });
    expect(second).toMatchObject({ added: 0, updated: 2, existing: 4 });
    expect(second.changes).toMatchObject({ report: 1, sections: 1, split: 1, images: 0, views: 0 });
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect([...repo.studies.keys()]).toEqual(ids);
  });

  it("skips a study whose images are all unusable, keeps text-only studies, and refuses an ingest that took nothing", async () => {
    const repo = new MemoryIngestRepository();
    const studies = [
      study(0),
      study(1, { images: [{ externalId: "gone", path: path.join(root, "gone.png"), view: null }] }),
      study(2, { images: [] }),
    ];
    const summary = await ingestInto(repo, source(studies), { name: "mixed" });
    expect(summary).toMatchObject({ added: 2, studies: 2, studiesWithoutImages: 1 });
    expect(summary.skipped).toMatchObject({
      study: 1,
      image: 1,
      byReason: { "missing-file": 1, "no-images": 1 },
    });

    const empty = new MemoryIngestRepository();
    const failed = await ingestInto(empty, source([studies[1]!]), { name: "empty" }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(EmptyIngestError);
    expect([...empty.datasets.values()][0]).toMatchObject({ status: "failed", fingerprint: null });
  });

  it("keeps a name for one source, and a stopped ingest stays resumable", async () => {
    const repo = new MemoryIngestRepository();
    const controller = new AbortController();
    const stopped = await ingestInto(repo, source(six()), {
      name: "demo",
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.processed === 2) controller.abort();
      },
    });
    expect(stopped).toMatchObject({ status: "ingesting", added: 2, fingerprint: null });
    const resumed = await ingestInto(repo, source(six()), { name: "demo" });
    expect(resumed).toMatchObject({ status: "ready", added: 4, existing: 2, studies: 6 });

    const conflict = await ingestInto(repo, source(six(), path.join(root, "elsewhere")), {
      name: "demo",
    }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: "NAME_CONFLICT" });
  });
});
