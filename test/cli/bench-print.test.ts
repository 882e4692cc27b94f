import { type BenchImage, type BenchModel, type BenchStudy, runBenchmark } from "@cxr/eval";
import { describe, expect, it } from "vitest";
import { describeResults } from "../../apps/cli/src/commands/bench.ts";

/**
 * What `cxr bench` prints per direction: the chance level from the real positive sets (texts that
 * repeat across studies have several positive images) and the tie counts and ranges.
 */

// 12 studies, 4 distinct texts: text i is the report of studies i, i+4, i+8; 1 or 2 images each.
const TEXTS = ["alpha beta gamma one", "alpha beta gamma two", "delta epsilon", "zeta eta theta"];
const studies: BenchStudy[] = [];
const images: BenchImage[] = [];
for (let s = 0; s < 12; s++) {
  const studyId = `st${String(s).padStart(2, "0")}`;
  studies.push({ studyId, impression: TEXTS[s % 4]!, findings: null });
  for (let i = 0; i < 1 + (s % 2); i++) {
    const id = `${studyId}/im${i}`;
    images.push({
      id,
      studyId,
      imageKey: id,
      view: "frontal",
      load: async () => ({ width: 1, height: 1, channels: 1, data: Uint8Array.of(s % 4) }),
    });
  }
}
// Embeds the first three words only: the first two texts tie exactly.
const vector = (key: string) =>
  Float32Array.from({ length: 4 }, (_, k) => (key.charCodeAt(k % key.length) % 7) + k);
const model: BenchModel = {
  id: "trunc",
  fingerprint: "fp",
  executionProvider: "cpu",
  async encodeImages(pixels) {
    return pixels.map((p) => vector(TEXTS[p.data[0]!]!.split(" ").slice(0, 3).join(" ")));
  },
  async encodeTexts(texts) {
    return texts.map((t) => vector(t.split(" ").slice(0, 3).join(" ")));
  },
};

function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

describe("cxr bench output", () => {
  it("prints chance Recall@5 from the positive sets in both directions, and the tied queries", async () => {
    const file = await runBenchmark({
      protocol: { levels: [0], bootstrap: { samples: 20 } },
      dataset: { id: "d", fingerprint: "f".repeat(64) },
      studies,
      images,
      models: [model],
    });
    const text = describeResults(file.results, file.summaries, ["trunc"]);
    const chanceOf = (direction: string) =>
      text.match(
        new RegExp(
          `${direction.replace(">", "\\>")}: \\d+ queries, \\d+ candidates \\(chance Recall@5 ([0-9.]+)`,
        ),
      )![1];
    // text->image: each text has the images of its three studies (4 or 5 of 18) as positives.
    const n = images.length;
    const positives = TEXTS.map(
      (t) => images.filter((im) => studies.find((s) => s.studyId === im.studyId)!.impression === t).length,
    );
    expect(positives.some((p) => p > 1)).toBe(true);
    const exact =
      positives.reduce((a, p) => a + 1 - Number((binom(n - p, 5) * 10n ** 12n) / binom(n, 5)) / 1e12, 0) /
      TEXTS.length;
    expect(chanceOf("text->image")).toBe(exact.toFixed(3));
    expect(chanceOf("text->image")).not.toBe((5 / n).toFixed(3));
    // image->text: identical texts are one candidate, so one positive per image among 4 texts.
    expect(chanceOf("image->text")).toBe(Math.min(1, 5 / TEXTS.length).toFixed(3));
    // Ties: images of the first two texts tie between those two candidates (6 + 6 of... counted independently).
    const tiedImages = images.filter((im) => {
      const t = studies.find((s) => s.studyId === im.studyId)!.impression!;
      return t === TEXTS[0] || t === TEXTS[1];
    }).length;
    const i2t = file.results.find((r) => r.direction === "image->text")!;
    expect(i2t.ties!.queries).toBe(tiedImages);
    expect(text).toContain(`${tiedImages}/${n}`);
    expect(text).toMatch(/tied: queries whose positive has exactly the score of another candidate/);
  });
});
