import type { DecodedPixels } from "../src/pixels.ts";

/** A deterministic synthetic "radiograph": smooth gradients plus a ring, 8-bit or 16-bit, grey or RGB. */
export function syntheticImage(
  width: number,
  height: number,
  channels: 1 | 3 = 1,
  sixteen = false,
): DecodedPixels {
  const data = sixteen
    ? new Uint16Array(width * height * channels)
    : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - width / 2, y - height / 2) / Math.max(width, height);
      for (let c = 0; c < channels; c++) {
        // integer arithmetic only, so the input itself is identical everywhere
        const v = (x * 7 + y * 13 + c * 29 + ((x * y) % 17) * 11) % 256;
        const ring = r > 0.2 && r < 0.3 ? 60 : 0;
        const base = Math.min(255, Math.floor(v * 0.75) + ring);
        data[(y * width + x) * channels + c] = sixteen ? base * 257 + ((x + y) % 200) : base;
      }
    }
  }
  return { width, height, channels, data };
}
