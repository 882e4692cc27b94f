import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage, ImageDecodeError, type ImageDecodeErrorCode } from "../src/image/index.ts";
import { MODEL_PREPROCESS, preprocessBytes } from "../src/preprocess/index.ts";

/** A minimal PNG writer, so that every colour type and bit depth can be built exactly at run time. */
function encodePng(opts: {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 8 | 16;
  samples: number[]; // row-major samples, channels interleaved
  palette?: [number, number, number][];
}): Uint8Array {
  const { width, height, colorType, bitDepth, samples } = opts;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  const bytesPerSample = bitDepth / 8;
  const rowBytes = width * channels * bytesPerSample;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = 0; // filter: none
    for (let i = 0; i < width * channels; i++) {
      const v = samples[y * width * channels + i] ?? 0;
      const at = y * (rowBytes + 1) + 1 + i * bytesPerSample;
      if (bitDepth === 16) raw.writeUInt16BE(v, at);
      else raw[at] = v;
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (opts.palette) parts.push(chunk("PLTE", Buffer.from(opts.palette.flat())));
  parts.push(chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0)));
  return new Uint8Array(Buffer.concat(parts));
}

const W = 7;
const H = 5;
const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

async function expectCode(promise: Promise<unknown>, code: ImageDecodeErrorCode, name: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageDecodeError);
  const e = error as ImageDecodeError;
  expect(e.code).toBe(code);
  expect(e.input).toBe(name);
  expect(e.message).toContain(name);
}

describe("decodeImage: PNG colour types and depths (Pillow 9.4 modes)", () => {
  it("8-bit grey -> L with the exact samples", async () => {
    const samples = ramp(W * H, (i) => (i * 37) % 256);
    const img = await decodeImage(encodePng({ width: W, height: H, colorType: 0, bitDepth: 8, samples }));
    expect(img.mode).toBe("L");
    expect([img.width, img.height]).toEqual([W, H]);
    expect(Array.from(img.data)).toEqual(samples);
  });

  it("16-bit grey -> I with the stored values, not rescaled to 8 bits", async () => {
    const samples = ramp(W * H, (i) => (i * 1871) % 65536);
    const img = await decodeImage(encodePng({ width: W, height: H, colorType: 0, bitDepth: 16, samples }));
    expect(img.mode).toBe("I");
    expect(img.data).toBeInstanceOf(Int32Array);
    expect(Array.from(img.data)).toEqual(samples);
    expect(img.source?.bitDepth).toBe(16);
  });

  it("16-bit grey with alpha -> I, alpha dropped", async () => {
    const grey = ramp(W * H, (i) => 300 + i * 1000);
    const samples = grey.flatMap((g) => [g, 65535]);
    const img = await decodeImage(encodePng({ width: W, height: H, colorType: 4, bitDepth: 16, samples }));
    expect(img.mode).toBe("I");
    expect(Array.from(img.data)).toEqual(grey);
    expect(img.source?.droppedAlpha).toBe(true);
  });

  it("8-bit RGB -> RGB interleaved", async () => {
    const samples = ramp(W * H * 3, (i) => (i * 11) % 256);
    const img = await decodeImage(encodePng({ width: W, height: H, colorType: 2, bitDepth: 8, samples }));
    expect(img.mode).toBe("RGB");
    expect(Array.from(img.data)).toEqual(samples);
  });

  it("RGB whose channels are all equal -> L (identical results at a third of the cost), unless disabled", async () => {
    const grey = ramp(W * H, (i) => (i * 5) % 256);
    const bytes = encodePng({
      width: W,
      height: H,
      colorType: 2,
      bitDepth: 8,
      samples: grey.flatMap((g) => [g, g, g]),
    });
    const img = await decodeImage(bytes);
    expect(img.mode).toBe("L");
    expect(Array.from(img.data)).toEqual(grey);
    const kept = await decodeImage(bytes, { collapseGrey: false });
    expect(kept.mode).toBe("RGB");
  });

  it("16-bit RGB -> RGB keeping the high byte (Pillow's RGB;16B unpacker)", async () => {
    const samples = ramp(W * H * 3, (i) => (i * 2011) % 65536);
    const img = await decodeImage(encodePng({ width: W, height: H, colorType: 2, bitDepth: 16, samples }));
    expect(img.mode).toBe("RGB");
    expect(Array.from(img.data)).toEqual(samples.map((v) => v >> 8));
  });

  it("RGBA -> RGB with alpha dropped (like Pillow convert)", async () => {
    const rgb = ramp(W * H * 3, (i) => (i * 7) % 256);
    const samples: number[] = [];
    for (let p = 0; p < W * H; p++)
      samples.push(rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!, p % 2 ? 0 : 255);
    const img = await decodeImage(encodePng({ width: W, height: H, colorType: 6, bitDepth: 8, samples }));
    expect(img.mode).toBe("RGB");
    expect(Array.from(img.data)).toEqual(rgb);
    expect(img.source?.droppedAlpha).toBe(true);
  });

  it("palette -> colours looked up in the palette", async () => {
    const palette: [number, number, number][] = [
      [255, 0, 0],
      [0, 255, 0],
      [10, 20, 30],
    ];
    const idx = ramp(W * H, (i) => i % 3);
    const img = await decodeImage(
      encodePng({ width: W, height: H, colorType: 3, bitDepth: 8, samples: idx, palette }),
    );
    expect(img.mode).toBe("RGB");
    expect(Array.from(img.data)).toEqual(idx.flatMap((i) => palette[i]!));
    // Pillow would hold it as P (and resize it with NEAREST)
    expect(img.pillowMode).toBe("P");
  });

  it("plain grey and RGB PNGs carry no Pillow palette marker", async () => {
    const img = await decodeImage(
      encodePng({ width: W, height: H, colorType: 0, bitDepth: 8, samples: ramp(W * H, (i) => i) }),
    );
    expect(img.pillowMode).toBeUndefined();
  });
});

describe("decodeImage: JPEG", () => {
  const grey = Buffer.from(ramp(64 * 48, (i) => ((i % 64) * 4) & 0xff));

  it("greyscale JPEG -> L of the right size", async () => {
    const jpg = await sharp(grey, { raw: { width: 64, height: 48, channels: 1 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const img = await decodeImage(jpg);
    expect(img.mode).toBe("L");
    expect([img.width, img.height]).toEqual([64, 48]);
    // lossy, but a smooth horizontal ramp survives within a few levels
    expect(Math.abs(img.data[10]! - 40)).toBeLessThanOrEqual(4);
  });

  it("applies the EXIF orientation (6 = rotate 90 clockwise): 64x48 is returned as 48x64", async () => {
    const marked = Buffer.alloc(64 * 48, 0);
    marked[0] = 255; // top-left pixel
    const jpg = await sharp(marked, { raw: { width: 64, height: 48, channels: 1 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(jpg);
    expect([img.width, img.height]).toEqual([48, 64]);
    expect(img.source?.orientation).toBe(6);
    // rotating 90 degrees clockwise moves the top-left corner to the top-right
    expect(img.data[47]!).toBeGreaterThan(100);
    expect(img.data[0]!).toBeLessThan(100);
    const raw = await decodeImage(jpg, { autoOrient: false });
    expect([raw.width, raw.height]).toEqual([64, 48]);
  });
});

describe("decodeImage: bad input gives a typed error naming the input", () => {
  const good = encodePng({ width: W, height: H, colorType: 0, bitDepth: 8, samples: ramp(W * H, (i) => i) });

  it("zero bytes -> EMPTY", async () => {
    await expectCode(decodeImage(new Uint8Array(0), { name: "empty.png" }), "EMPTY", "empty.png");
  });

  it("text -> UNSUPPORTED_FORMAT", async () => {
    await expectCode(
      decodeImage(new TextEncoder().encode("FINDINGS: no acute disease. ".repeat(8)), { name: "report.txt" }),
      "UNSUPPORTED_FORMAT",
      "report.txt",
    );
  });

  it("SVG (a vector format sharp could render) -> UNSUPPORTED_FORMAT", async () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await expectCode(decodeImage(svg, { name: "x.svg" }), "UNSUPPORTED_FORMAT", "x.svg");
  });

  it("a PNG cut in half -> TRUNCATED; header only -> TRUNCATED", async () => {
    const big = encodePng({
      width: 64,
      height: 64,
      colorType: 0,
      bitDepth: 8,
      samples: ramp(4096, (i) => (i * 97) % 251),
    });
    await expectCode(
      decodeImage(big.subarray(0, big.length >> 1), { name: "half.png" }),
      "TRUNCATED",
      "half.png",
    );
    await expectCode(decodeImage(good.subarray(0, 30), { name: "head.png" }), "TRUNCATED", "head.png");
  });

  it("a JPEG cut short -> TRUNCATED", async () => {
    const jpg = await sharp(Buffer.from(ramp(64 * 64, (i) => (i * 13) % 256)), {
      raw: { width: 64, height: 64, channels: 1 },
    })
      .jpeg()
      .toBuffer();
    await expectCode(
      decodeImage(jpg.subarray(0, Math.floor(jpg.length * 0.6)), { name: "cut.jpg" }),
      "TRUNCATED",
      "cut.jpg",
    );
  });

  it("a complete PNG with scrambled data -> CORRUPT", async () => {
    const bad = Uint8Array.from(good);
    for (let i = 40; i < bad.length - 12; i++) bad[i] = bad[i]! ^ 0x5a;
    await expectCode(decodeImage(bad, { name: "scrambled.png" }), "CORRUPT", "scrambled.png");
  });

  it("more pixels than maxPixels -> TOO_LARGE", async () => {
    await expectCode(
      decodeImage(good, { maxPixels: W * H - 1, name: "small-limit.png" }),
      "TOO_LARGE",
      "small-limit.png",
    );
    await expect(decodeImage(good, { maxPixels: W * H })).resolves.toMatchObject({ width: W, height: H });
    await expect(decodeImage(good, { maxPixels: Number.POSITIVE_INFINITY })).resolves.toMatchObject({
      width: W,
    });
    await expect(decodeImage(good, { maxPixels: 0 })).rejects.toThrow(RangeError);
  });

  it("a 50,000-pixel-wide PNG bomb is refused from its header, before any decoding", async () => {
    // header claims 50000 x 3000 (150 megapixels); the data is a few bytes
    const bomb = encodePng({ width: 1, height: 1, colorType: 0, bitDepth: 8, samples: [0] });
    const view = new DataView(bomb.buffer, bomb.byteOffset, bomb.byteLength);
    view.setUint32(16, 50_000);
    view.setUint32(20, 3_000);
    view.setUint32(29, crc32(bomb.subarray(12, 29)));
    await expectCode(decodeImage(bomb, { name: "bomb.png" }), "TOO_LARGE", "bomb.png");
  });

  it("one bad input does not fail the others in a batch", async () => {
    const results = await Promise.allSettled([
      decodeImage(good, { name: "a.png" }),
      decodeImage(new Uint8Array(0), { name: "b.png" }),
      decodeImage(good, { name: "c.png" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });
});

describe("preprocessBytes: bytes to the model input tensor", () => {
  it("decodes and runs the steps; bad bytes reject with the typed error", async () => {
    const samples = ramp(300 * 200, (i) => (i * 7) % 256);
    const png = encodePng({ width: 300, height: 200, colorType: 0, bitDepth: 8, samples });
    const t = await preprocessBytes(png, MODEL_PREPROCESS.cxrClipSwin, { name: "ok.png" });
    expect(t.shape).toEqual([3, 224, 224]);
    // three identical planes (grey input), values in the normalised range [-1, 1]
    expect(Array.from(t.data.subarray(0, 50176))).toEqual(Array.from(t.data.subarray(50176, 100352)));
    expect(t.data.reduce((m, v) => Math.min(m, v), 0)).toBeGreaterThanOrEqual(-1);
    expect(t.data.reduce((m, v) => Math.max(m, v), 0)).toBeLessThanOrEqual(1);
    await expectCode(
      preprocessBytes(png.subarray(0, 100), MODEL_PREPROCESS.clip, { name: "bad.png" }),
      "TRUNCATED",
      "bad.png",
    );
  });
});
