import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manifest } from "../src/adapters/manifest.ts";
import {
  type Anatomy,
  drawRadiograph,
  lungPoint,
  Rng,
  type SynthFindings,
  sampleAnatomy,
  synthesize,
  synthStudy,
} from "../src/synth/index.ts";
import { collect, tempDir } from "./fixtures.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["manifest.jsonl", ...readdirSync(path.join(dir, "images")).map((n) => `images/${n}`)]) {
    out[name] = createHash("sha256")
      .update(readFileSync(path.join(dir, name)))
      .digest("hex");
  }
  return out;
}

describe("synthesize", () => {
  it("is deterministic by seed and writes a manifest the manifest adapter reads", async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    dirs.push(a, b, c);
    const progress: number[] = [];
    const summary = await synthesize({
      out: a,
      studies: 20,
      seed: 7,
      onProgress: (done) => progress.push(done),
    });
    await synthesize({ out: b, studies: 20, seed: 7 });
    await synthesize({ out: c, studies: 20, seed: 8 });
    expect(summary.studies).toBe(20);
    expect(progress.at(-1)).toBe(20);
    expect(Object.values(summary.splits).reduce((x, y) => x + y, 0)).toBe(20);
    expect(digestTree(a)).toEqual(digestTree(b));
    expect(digestTree(a)["manifest.jsonl"]).not.toBe(digestTree(c)["manifest.jsonl"]);
    expect(Object.keys(digestTree(a))).toHaveLength(21);

    const lines = readFileSync(path.join(a, "manifest.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const { studies, skips } = await collect(manifest(a).events());
    expect(skips).toEqual([]);
    expect(studies).toHaveLength(20);
    studies.forEach((s, i) => {
      expect(s.externalId).toBe(lines[i].study_id);
      expect(s.split).toBe(lines[i].split);
      expect(s.labels).toEqual(lines[i].labels);
      expect(s.report).toEqual({
        fullText: lines[i].report,
        findings: lines[i].findings,
        impression: lines[i].impression,
      });
      expect(s.images).toEqual([
        {
          externalId: `images/${s.externalId}.png`,
          path: path.join(a, "images", `${s.externalId}.png`),
          view: "PA",
        },
      ]);
    });
    // a study does not depend on how many are generated
    expect(synthStudy(7, 3).study).toEqual(lines[3]);
  });
});

// ---- the findings are visible where a reader looks for them ----

const SIZE = 256;
const normal: SynthFindings = {
  cardiomegaly: false,
  effusion: null,
  pneumothorax: null,
  consolidation: null,
  nodule: null,
  devices: [],
};

function draw(findings: Partial<SynthFindings>, anatomy: Anatomy): Uint8Array {
  return drawRadiograph({ ...normal, ...findings }, anatomy, new Rng("pixels"), SIZE);
}

/** Mean intensity in a box given in [0,1] image coordinates. */
function mean(px: Uint8Array, u0: number, u1: number, v0: number, v1: number): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(v0 * SIZE); y < v1 * SIZE; y++) {
    for (let x = Math.floor(u0 * SIZE); x < u1 * SIZE; x++) {
      sum += px[y * SIZE + x]!;
      n++;
    }
  }
  return sum / n;
}

describe.each(["a", "b", "c"])("drawRadiograph (anatomy %s)", (seed) => {
  const anatomy = sampleAnatomy(new Rng(`anatomy-${seed}`));
  const base = draw({}, anatomy);
  const { cx } = anatomy;
  // the patient's right is the image's left
  // the lateral costophrenic angles, above the diaphragm
  const s = anatomy.scale;
  const rightBase = [
    cx - 0.37 * s,
    cx - 0.3 * s,
    anatomy.baseRight - 0.075,
    anatomy.baseRight - 0.05,
  ] as const;
  const leftBase = [cx + 0.3 * s, cx + 0.37 * s, anatomy.baseLeft - 0.075, anatomy.baseLeft - 0.05] as const;

  it("draws a right effusion as a bright base on the image's left only", () => {
    const px = draw({ effusion: { side: "right", size: "moderate" } }, anatomy);
    expect(mean(px, ...rightBase) - mean(base, ...rightBase)).toBeGreaterThan(40);
    expect(Math.abs(mean(px, ...leftBase) - mean(base, ...leftBase))).toBeLessThan(3);
    const left = draw({ effusion: { side: "left", size: "small" } }, anatomy);
    expect(mean(left, ...leftBase) - mean(base, ...leftBase)).toBeGreaterThan(30);
    expect(Math.abs(mean(left, ...rightBase) - mean(base, ...rightBase))).toBeLessThan(3);
  });

  it("draws cardiomegaly as a wider heart", () => {
    const px = draw({ cardiomegaly: true }, anatomy);
    const box = [cx + 0.21, cx + 0.26, anatomy.heartCy - 0.03, anatomy.heartCy + 0.03] as const;
    expect(mean(px, ...box) - mean(base, ...box)).toBeGreaterThan(60);
  });

  it("draws a pneumothorax as a dark band at that side's apex", () => {
    const px = draw({ pneumothorax: { side: "left", size: "large" } }, anatomy);
    const p = lungPoint(anatomy, "left", 0.97, 0.2);
    const box = [p.u - 0.02, p.u, p.v - 0.02, p.v + 0.02] as const;
    expect(mean(base, ...box) - mean(px, ...box)).toBeGreaterThan(15);
    const mirror = [2 * cx - p.u, 2 * cx - p.u + 0.02, p.v - 0.02, p.v + 0.02] as const;
    expect(Math.abs(mean(px, ...mirror) - mean(base, ...mirror))).toBeLessThan(3);
  });

  it("draws consolidation in the named lobe and a nodule at its place", () => {
    const rul = lungPoint(anatomy, "right", 0.55, 0.22);
    const px = draw({ consolidation: { lobe: "right upper lobe" } }, anatomy);
    const box = [rul.u - 0.03, rul.u + 0.03, rul.v - 0.03, rul.v + 0.03] as const;
    expect(mean(px, ...box) - mean(base, ...box)).toBeGreaterThan(30);
    const mirror = [2 * cx - rul.u - 0.03, 2 * cx - rul.u + 0.03, rul.v - 0.03, rul.v + 0.03] as const;
    expect(Math.abs(mean(px, ...mirror) - mean(base, ...mirror))).toBeLessThan(3);

    const withNodule = draw({ nodule: { side: "left", zone: "mid", sizeMm: 25 } }, anatomy);
    const mid = lungPoint(anatomy, "left", 0.5, 0.5);
    const around = [mid.u - 0.12, mid.u + 0.12, mid.v - 0.1, mid.v + 0.1] as const;
    expect(mean(withNodule, ...around) - mean(base, ...around)).toBeGreaterThan(4);
  });

  it("draws support devices as bright lines", () => {
    const px = draw({ devices: ["endotracheal tube", "pacemaker"] }, anatomy);
    expect(mean(px, cx, cx + 0.008, 0.05, 0.2)).toBeGreaterThan(190);
    expect(mean(base, cx, cx + 0.008, 0.05, 0.2)).toBeLessThan(120);
    expect(mean(px, cx + 0.27, cx + 0.31, 0.19, 0.21)).toBeGreaterThan(230);
  });
});

describe("synthetic reports", () => {
  it("name what is present with its side and negate what is absent", () => {
    for (let i = 0; i < 40; i++) {
      const { study, findings: f } = synthStudy("reports", i, { size: 32 });
      const text = study.findings.toLowerCase();
      const impression = study.impression.toLowerCase();
      if (f.effusion) {
        expect(text).toContain(f.effusion.side);
        expect(impression).toContain(`${f.effusion.side} pleural effusion`);
      } else expect(text).toMatch(/no (pleural )?effusion|no pleural effusion or pneumothorax/);
      if (f.pneumothorax) expect(impression).toContain(`${f.pneumothorax.side} pneumothorax`);
      else expect(text).toMatch(/no (evidence of )?pneumothorax|or pneumothorax/);
      if (f.consolidation) expect(text).toContain(f.consolidation.lobe);
      if (f.nodule)
        expect(impression).toContain(`${f.nodule.sizeMm} mm ${f.nodule.side} ${f.nodule.zone} lung nodule`);
      if (f.cardiomegaly) expect(impression).toMatch(/cardiomegaly|enlarged cardiac/);
      if (study.labels["No Finding"] === 1) {
        expect(impression).toMatch(/^(no acute|normal chest)/);
      }
      expect(study.report).toBe(
        `EXAMINATION: CHEST RADIOGRAPH, PA VIEW (SYNTHETIC)\n\nFINDINGS: ${study.findings}\n\nIMPRESSION: ${study.impression}\n`,
      );
    }
  });
});
