import { makeImage } from "../image/types.ts";
import type { EncodeResult } from "./errors.ts";
import { allFinite, l2Norm } from "./math.ts";
import type { ModelEncoder } from "./model-encoder.ts";

export const SELF_TEST_TEXT = "No acute cardiopulmonary process. Heart size is normal.";

export interface SelfTestCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SelfTestReport {
  ok: boolean;
  model: string;
  providers: { image: string; text: string };
  checks: SelfTestCheck[];
}

/** A 320x256 8-bit grey image: a diagonal gradient with a bright disc, deterministic. */
export function syntheticImage() {
  const width = 320;
  const height = 256;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - 200) ** 2 + (y - 110) ** 2 < 40 ** 2 ? 90 : 0;
      data[y * width + x] = Math.min(255, Math.round((x + y) * 0.35) + disc);
    }
  }
  return makeImage("L", width, height, data, { format: "raw", name: "self-test" });
}

/**
 * Encodes a synthetic image and a fixed text and checks what every later number relies on:
 * one result each, `dimension` values, all finite, unit L2 norm when the manifest normalises, and
 * the same text embedding alone and in a batch (padding must not leak into the result).
 */
export async function selfTest(encoder: ModelEncoder): Promise<SelfTestReport> {
  const checks: SelfTestCheck[] = [];
  const { dimension } = encoder;
  const normalize = encoder.manifest.normalize;
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const examine = (side: "image" | "text", result: EncodeResult | undefined) => {
    if (!result?.ok) {
      check(`${side}: encodes`, false, result ? result.error.message : "no result");
      return undefined;
    }
    const e = result.embedding;
    check(`${side}: encodes`, true, "ok");
    check(`${side}: shape`, e.length === dimension, `${e.length} values, expected ${dimension}`);
    check(`${side}: finite`, allFinite(e), allFinite(e) ? "all finite" : "NaN or Infinity present");
    if (normalize) {
      const norm = l2Norm(e);
      check(`${side}: unit norm`, Math.abs(norm - 1) < 1e-4, `norm ${norm.toFixed(6)}`);
    }
    return e;
  };

  const [image] = await encoder.encodeImages([{ image: syntheticImage(), name: "self-test image" }]);
  examine("image", image);
  const [text] = await encoder.encodeTexts([SELF_TEST_TEXT]);
  const single = examine("text", text);
  const batched = await encoder.encodeTexts([
    SELF_TEST_TEXT,
    `${SELF_TEST_TEXT} ${SELF_TEST_TEXT} Lungs are clear.`,
  ]);
  const first = batched[0];
  if (single && first?.ok) {
    let diff = 0;
    for (let i = 0; i < single.length; i++) diff = Math.max(diff, Math.abs(single[i]! - first.embedding[i]!));
    check("text: single = batched", diff <= 1e-5, `max abs difference ${diff.toExponential(2)}`);
  }
  return {
    ok: checks.every((c) => c.ok),
    model: encoder.info.id,
    providers: encoder.info.providers,
    checks,
  };
}
