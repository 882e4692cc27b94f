/**
 * bench/cache (issue 17 item 6): is a corruption-cache hit cheaper than rendering the image afresh?
 *
 *   pnpm exec tsx bench/cache/run.ts [--size 2048] [--images 6] [--rounds 3]
 *
 * For synthetic radiograph-like 8-bit grey JPEGs (smooth anatomy-like gradients plus film noise, as
 * `cxr bench` meets them) and 16-bit grey PNGs, per image and corruption level, one run times:
 * - render: what a run without the cache does: read the source file, decode it with the encoders'
 *   decoder (as the benchmark does) and render the corruption (occlusion p = 0.3 and gaussian blur 5);
 * - hit: what a cache hit does: read the cached PNG and decode it (`CorruptionCache.get`);
 * and the bytes on disk of the source and its cached PNG. Prints medians and the ratio hit / render
 * (above 1: the cache costs more time than it saves). Compare within one run; the load changes both.
 */

import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { decodeImage } from "../../packages/encoders/src/index.ts";
import { CorruptionCache, parseProtocol, renderCorruption, Sfc32 } from "../../packages/eval/src/index.ts";
import { toPixels } from "../../packages/services/src/bench/pixels.ts";

// sharp as @cxr/eval resolves it (the root package does not depend on it); only what is used here.
interface SharpChain {
  toColourspace(space: string): SharpChain;
  jpeg(options: { quality: number }): SharpChain;
  png(): SharpChain;
  toBuffer(): Promise<Buffer>;
}
const sharp = createRequire(path.resolve(import.meta.dirname, "../../packages/eval/package.json"))(
  "sharp",
) as (input: Buffer, options: { raw: { width: number; height: number; channels: 1 } }) => SharpChain;

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "2048" },
    images: { type: "string", default: "6" },
    rounds: { type: "string", default: "3" },
  },
});
const size = Number(values.size);
const count = Number(values.images);
const rounds = Number(values.rounds);
const dir = mkdtempSync(path.join(tmpdir(), "cxr-bench-cache-"));

function radiograph(seed: number, bits: 8 | 16): Uint8Array | Uint16Array {
  const rng = Sfc32.fromLabel(`cache-bench:${seed}`);
  const max = bits === 16 ? 65535 : 255;
  const out = bits === 16 ? new Uint16Array(size * size) : new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size - 0.5;
      const v = y / size - 0.5;
      // Two lung fields, a mediastinum, ribs and noise.
      const lungs = Math.exp(-((Math.abs(u) - 0.2) ** 2) / 0.02 - (v * v) / 0.08);
      const ribs = 0.08 * Math.sin(y / (size / 40) + Math.abs(u) * 6);
      const noise = (rng.nextBelow(1001) / 1000 - 0.5) * 0.06;
      const t = Math.min(1, Math.max(0, 0.85 - 0.6 * lungs + ribs + noise));
      out[y * size + x] = Math.round(t * max);
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const results: string[] = [];
for (const kind of ["jpeg8", "png16"] as const) {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const bits = kind === "jpeg8" ? 8 : 16;
    const raw = radiograph(i, bits);
    const s = sharp(Buffer.from(raw.buffer), { raw: { width: size, height: size, channels: 1 } });
    const file = path.join(dir, `src-${kind}-${i}.${kind === "jpeg8" ? "jpg" : "png"}`);
    writeFileSync(
      file,
      kind === "jpeg8"
        ? await s.toColourspace("b-w").jpeg({ quality: 95 }).toBuffer()
        : await s.toColourspace("grey16").png().toBuffer(),
    );
    files.push(file);
  }
  for (const [label, protocol, level] of [
    ["occlusion p=0.3", parseProtocol({}), 0.3],
    ["gaussian_blur 5", parseProtocol({ corruption: { family: "gaussian_blur" } }), 5],
  ] as const) {
    const cache = new CorruptionCache(path.join(dir, `cache-${kind}`));
    const render: number[] = [];
    const hit: number[] = [];
    let srcBytes = 0;
    let pngBytes = 0;
    for (let r = 0; r < rounds; r++) {
      for (const [i, file] of files.entries()) {
        const key = {
          imageSha256: `${i}`.padStart(64, "0"),
          imageKey: file,
          family: label,
          level,
          protocolKey: "k",
        };
        let t = performance.now();
        const src = toPixels(await decodeImage(await readFile(file), { name: file }), file);
        const img = await renderCorruption(src, protocol.corruption, level, { seed: 0, imageKey: file });
        render.push(performance.now() - t);
        if (r === 0) {
          const written = await cache.put(key, img);
          srcBytes += statSync(file).size;
          pngBytes += statSync(written).size;
        }
        t = performance.now();
        const back = await cache.get(key);
        hit.push(performance.now() - t);
        if (!back || back.data.length !== img.data.length) throw new Error("cache round trip failed");
      }
    }
    const ratio = median(hit) / median(render);
    results.push(
      `${kind} ${size}x${size} ${label}: render (read + decode + corrupt) ${median(render).toFixed(0)} ms, cache hit (read + PNG decode) ${median(hit).toFixed(0)} ms, hit/render = ${ratio.toFixed(2)}; cached PNG ${(pngBytes / srcBytes).toFixed(1)}x the source bytes`,
    );
    console.log(results.at(-1));
  }
}
console.log(`load average ${loadavg()[0]!.toFixed(1)}`);
rmSync(dir, { recursive: true, force: true });
