/**
 * Rendering cost per image for every family on a synthetic radiograph-sized input.
 *   pnpm exec tsx packages/eval/bench/render.ts [width] [height] [bits]
 */
import { renderCorruption } from "../src/corruptions/index.ts";
import { type DecodedPixels, pixelDigest } from "../src/pixels.ts";
import { parseProtocol } from "../src/protocol.ts";

const [W = 2048, H = 2048, bits = 16] = process.argv.slice(2).map(Number);
const data = bits === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) % (bits === 16 ? 65536 : 256);
const img: DecodedPixels = { width: W, height: H, channels: 1, data };
const cases: [string, Parameters<typeof parseProtocol>[0], number][] = [
  ["occlusion black 0.5", {}, 0.5],
  ["occlusion mean 0.5", { corruption: { family: "occlusion", fill: "mean" } }, 0.5],
  ["occlusion noise 0.5", { corruption: { family: "occlusion", fill: "noise" } }, 0.5],
  ["occlusion block 0.5", { corruption: { family: "occlusion", pattern: "block" } }, 0.5],
  ["gaussian_noise 3", { corruption: { family: "gaussian_noise" } }, 3],
  ["gaussian_blur 5", { corruption: { family: "gaussian_blur" } }, 5],
  ["contrast 3", { corruption: { family: "contrast" } }, 3],
  ["jpeg 3", { corruption: { family: "jpeg" } }, 3],
  ["downsample 5", { corruption: { family: "downsample" } }, 5],
];
console.log(`${W}x${H} ${bits}-bit grey`);
for (const [name, p, level] of cases) {
  const c = parseProtocol(p).corruption;
  const t = performance.now();
  const out = await renderCorruption(img, c, level, { seed: 0, imageKey: "bench" });
  console.log(`${name}: ${(performance.now() - t).toFixed(0)} ms (${pixelDigest(out).slice(0, 12)})`);
}
