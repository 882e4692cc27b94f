import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { reference } from "../../../test/support/reference.ts";
import { decodeImage, makeImage } from "../src/image/index.ts";
import { compareTensors, PARITY_TRANSFORMS, preprocessParity } from "../src/parity/preprocess.ts";
import { REFERENCE_TRANSFORMS, runPreprocess } from "../src/preprocess/index.ts";
import type { PreprocessStep } from "../src/preprocess/steps.ts";

const dir = reference("vectors/preprocess");

const bytes = (rel: string) => new Uint8Array(readFileSync(path.join(dir!, rel)));

/** The image steps of a transform (everything before toTensor), converted to RGB/L as the intermediate. */
function imageSteps(transform: keyof typeof REFERENCE_TRANSFORMS): PreprocessStep[] {
  const steps = REFERENCE_TRANSFORMS[transform];
  return steps.slice(
    0,
    steps.findIndex((s) => s.op === "toTensor"),
  );
}

/** Run image steps and return the uint8 pixels right before toTensor (the reference intermediates). */
function intermediate(
  img: Awaited<ReturnType<typeof decodeImage>>,
  transform: keyof typeof REFERENCE_TRANSFORMS,
  asRgb: boolean,
) {
  const steps: PreprocessStep[] = [...imageSteps(transform)];
  if (asRgb) steps.push({ op: "convert", mode: "RGB" });
  // toTensor with scale "none" returns the 8-bit values as floats, planar; re-interleave for RGB
  const t = runPreprocess(img, [...steps, { op: "toTensor", scale: "none", channels: asRgb ? 3 : 1 }]);
  const [c, h, w] = t.shape as [number, number, number];
  const out = new Uint8Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[i * c + ch] = t.data[ch * h * w + i]!;
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  let count = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      count++;
      if (first < 0) first = i;
    }
  }
  return count === 0 ? "identical" : `${count} values differ, first at ${first}: ${a[first]} vs ${b[first]}`;
}

const IMAGES = ["covid_0337", "covid_0584", "synthetic_gray8_300x200", "synthetic_gray16_256x320"] as const;
const INTERMEDIATES = [
  ["clip", "clip__rgb_u8", true],
  ["cxr_clip", "cxr_clip__rgb_u8", true],
  ["cxr_repair", "cxr_repair__canvas_u8", false],
  ["medclip", "medclip__resized_u8", false],
] as const;

describe.skipIf(!dir)("decoding the reference fixtures", () => {
  it("our JPEG decode of covid_0337 equals the reference libjpeg-turbo (islow) pixels", async () => {
    const img = await decodeImage(bytes("images/covid_0337.jpg"));
    expect(img.mode).toBe("L");
    expect([img.width, img.height]).toEqual([1233, 1024]);
    expect(firstDifference(img.data as Uint8Array, bytes("decoded/covid_0337.u8"))).toBe("identical");
  });

  it("PNG decodes hash to images.json's sha256 of the decoded rows (16-bit opened as mode I)", async () => {
    const meta = JSON.parse(readFileSync(path.join(dir!, "images.json"), "utf8")) as {
      images: {
        name: string;
        file: string;
        pil_mode_on_open: string;
        decoded_pixels: Record<string, string>;
      }[];
    };
    for (const entry of meta.images.filter((e) => e.file.endsWith(".png"))) {
      const img = await decodeImage(bytes(entry.file));
      expect(img.mode, entry.name).toBe(entry.pil_mode_on_open);
      const raw =
        img.mode === "I"
          ? new Uint8Array(Uint16Array.from(img.data).buffer) // little-endian u16 rows
          : (img.data as Uint8Array);
      const expected =
        entry.decoded_pixels["sha256_of_rows"] ?? entry.decoded_pixels["sha256_of_little_endian_u16_rows"];
      expect(createHash("sha256").update(raw).digest("hex"), entry.name).toBe(expected);
    }
  });
});

describe.skipIf(!dir)("image steps reproduce the reference uint8 intermediates bit for bit", () => {
  for (const [transform, suffix, asRgb] of INTERMEDIATES) {
    it(`${transform}: ${suffix} for all four images`, async () => {
      for (const name of IMAGES) {
        const img = await decodeImage(bytes(`images/${name}.${name === "covid_0337" ? "jpg" : "png"}`));
        const got = intermediate(img, transform, asRgb);
        expect(
          firstDifference(got, bytes(`intermediate/${name}__${suffix}.u8`)),
          `${transform} ${name}`,
        ).toBe("identical");
      }
    });
  }

  it("starting from the reference decoded pixels (decoder-independent) also matches", () => {
    const img = makeImage("L", 1233, 1024, bytes("decoded/covid_0337.u8"));
    for (const [transform, suffix, asRgb] of INTERMEDIATES) {
      expect(
        firstDifference(intermediate(img, transform, asRgb), bytes(`intermediate/covid_0337__${suffix}.u8`)),
        transform,
      ).toBe("identical");
    }
  });

  it("clipping a 16-bit image before CLIP's resize would NOT match (the trap is exercised)", async () => {
    const img = await decodeImage(bytes("images/synthetic_gray16_256x320.png"));
    const clippedFirst = runPreprocess(img, [{ op: "convert", mode: "L" }, ...REFERENCE_TRANSFORMS.clip]);
    const ref = new Float32Array(bytes("synthetic_gray16_256x320__clip.f32").slice().buffer);
    expect(compareTensors(clippedFirst.data, ref).maxAbs).toBeGreaterThan(1);
  });
});

describe.skipIf(!dir)("preprocessing parity (issue 3 goals: max abs < 0.02, mean abs < 0.002)", () => {
  it("all four transforms x four images meet the goal; the Pillow-only ones are exact", async () => {
    const report = await preprocessParity(dir!, { extras: true });
    const table = report.rows.map(
      (r) => `${r.transform} ${r.image} max=${r.maxAbs.toExponential(2)} mean=${r.meanAbs.toExponential(2)}`,
    );
    console.log(table.join("\n"));
    expect(report.rows.filter((r) => r.counted)).toHaveLength(PARITY_TRANSFORMS.length * IMAGES.length);
    for (const r of report.rows) {
      expect(r.error, `${r.transform} ${r.image}`).toBeUndefined();
      expect(r.pass, `${r.transform} ${r.image}`).toBe(true);
      if (r.transform === "clip" || r.transform === "medclip" || r.transform === "cxr_clip") {
        expect(r.maxAbs, `${r.transform} ${r.image}`).toBe(0);
      } else {
        // float32 torch interpolation: a few ulp of rounding differences (about 1e-6), no more
        expect(r.maxAbs, `${r.transform} ${r.image}`).toBeLessThan(5e-6);
      }
    }
    expect(report.pass).toBe(true);
  });

  it("the antialiased tensor resize is a different result from the one CXR-RePaiR ran", async () => {
    const img = await decodeImage(bytes("images/covid_0584.png"));
    const plain = runPreprocess(img, REFERENCE_TRANSFORMS.cxr_repair);
    const aaRef = new Float32Array(bytes("covid_0584__cxr_repair_antialias.f32").slice().buffer);
    expect(compareTensors(plain.data, aaRef).maxAbs).toBeGreaterThan(0.1);
  });
});
