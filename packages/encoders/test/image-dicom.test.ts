import { describe, expect, it } from "vitest";
import { decodeImage, ImageDecodeError, isDicom } from "../src/image/index.ts";
import { MODEL_PREPROCESS, runPreprocess } from "../src/preprocess/index.ts";

// ---- a tiny DICOM Part 10 writer, enough for the decoder's paths ----

const IMPLICIT_LE = "1.2.840.10008.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const EXPLICIT_BE = "1.2.840.10008.1.2.2";
const JPEG_BASELINE = "1.2.840.10008.1.2.4.50";

type Value =
  | { kind: "str"; s: string }
  | { kind: "us"; v: number[] }
  | { kind: "ss"; v: number[] }
  | {
      kind: "ul";
      v: number[];
    }
  | { kind: "bytes"; b: Uint8Array }
  | { kind: "words"; v: number[] }
  | { kind: "seq"; items: El[][] };

interface El {
  tag: [number, number];
  vr: string;
  value: Value;
}

const str = (g: number, e: number, vr: string, s: string): El => ({
  tag: [g, e],
  vr,
  value: { kind: "str", s },
});
const us = (g: number, e: number, ...v: number[]): El => ({
  tag: [g, e],
  vr: "US",
  value: { kind: "us", v },
});
const ss = (g: number, e: number, ...v: number[]): El => ({
  tag: [g, e],
  vr: "SS",
  value: { kind: "ss", v },
});

class Out {
  private parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(...b: number[]) {
    this.parts.push(...b);
  }
  u16(v: number) {
    const b = [v & 0xff, (v >> 8) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
  }
  u32(v: number) {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function valueBytes(el: El, le: boolean): Uint8Array {
  const o = new Out(le);
  const v = el.value;
  switch (v.kind) {
    case "str": {
      let s = v.s;
      if (s.length % 2) s += el.vr === "UI" ? "\0" : " ";
      for (const ch of s) o.u8(ch.charCodeAt(0));
      break;
    }
    case "us":
    case "ss":
    case "words":
      for (const x of v.v) o.u16(x & 0xffff);
      break;
    case "ul":
      for (const x of v.v) o.u32(x);
      break;
    case "bytes":
      o.u8(...v.b);
      if (v.b.length % 2) o.u8(0);
      break;
    case "seq":
      for (const item of v.items) {
        const body = encodeElements(item, le, true);
        o.u16(0xfffe);
        o.u16(0xe000);
        o.u32(body.length);
        o.u8(...body);
      }
      break;
  }
  return o.bytes();
}

function encodeElements(els: El[], le: boolean, explicit: boolean): Uint8Array {
  const o = new Out(le);
  for (const el of els) {
    const body = valueBytes(el, le);
    o.u16(el.tag[0]);
    o.u16(el.tag[1]);
    if (explicit) {
      o.u8(el.vr.charCodeAt(0), el.vr.charCodeAt(1));
      if (["OB", "OW", "SQ", "UN", "UT"].includes(el.vr)) {
        o.u16(0);
        o.u32(body.length);
      } else {
        o.u16(body.length);
      }
    } else {
      o.u32(body.length);
    }
    o.u8(...body);
  }
  return o.bytes();
}

function dicomFile(syntax: string, dataset: El[]): Uint8Array {
  const meta = encodeElements(
    [
      { tag: [2, 1], vr: "OB", value: { kind: "bytes", b: Uint8Array.from([0, 1]) } },
      str(2, 2, "UI", "1.2.840.10008.5.1.4.1.1.1.1"),
      str(2, 3, "UI", "1.2.3.4"),
      str(2, 0x10, "UI", syntax),
    ],
    true,
    true,
  );
  const groupLength = encodeElements(
    [{ tag: [2, 0], vr: "UL", value: { kind: "ul", v: [meta.length] } }],
    true,
    true,
  );
  const sorted = [...dataset].sort((a, b) => a.tag[0] - b.tag[0] || a.tag[1] - b.tag[1]);
  const body = encodeElements(sorted, syntax !== EXPLICIT_BE, syntax !== IMPLICIT_LE);
  const out = new Uint8Array(132 + groupLength.length + meta.length + body.length);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(groupLength, 132);
  out.set(meta, 132 + groupLength.length);
  out.set(body, 132 + groupLength.length + meta.length);
  return out;
}

interface GreyOpts {
  syntax?: string;
  rows: number;
  cols: number;
  pixels: number[]; // stored values
  bits?: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  photometric?: string;
  window?: [string, string];
  voiFunction?: string;
  rescale?: [string, string]; // slope, intercept
  voiLut?: { descriptor: [number, number, number]; data: number[] };
  omitPixels?: boolean;
}

function greyDicom(o: GreyOpts): Uint8Array {
  const bits = o.bits ?? 16;
  const els: El[] = [
    us(0x28, 0x2, 1),
    str(0x28, 0x4, "CS", o.photometric ?? "MONOCHROME2"),
    us(0x28, 0x10, o.rows),
    us(0x28, 0x11, o.cols),
    us(0x28, 0x100, bits),
    us(0x28, 0x101, o.bitsStored ?? bits),
    us(0x28, 0x102, (o.bitsStored ?? bits) - 1),
    us(0x28, 0x103, o.signed ? 1 : 0),
  ];
  if (o.window) els.push(str(0x28, 0x1050, "DS", o.window[0]), str(0x28, 0x1051, "DS", o.window[1]));
  if (o.voiFunction) els.push(str(0x28, 0x1056, "CS", o.voiFunction));
  if (o.rescale) els.push(str(0x28, 0x1053, "DS", o.rescale[0]), str(0x28, 0x1052, "DS", o.rescale[1]));
  if (o.voiLut) {
    const d = o.voiLut.descriptor;
    els.push({
      tag: [0x28, 0x3010],
      vr: "SQ",
      value: {
        kind: "seq",
        items: [
          [
            o.signed ? ss(0x28, 0x3002, d[0], d[1], d[2]) : us(0x28, 0x3002, ...d),
            us(0x28, 0x3006, ...o.voiLut.data),
          ],
        ],
      },
    });
  }
  if (!o.omitPixels) {
    els.push(
      bits === 8
        ? { tag: [0x7fe0, 0x10], vr: "OB", value: { kind: "bytes", b: Uint8Array.from(o.pixels) } }
        : { tag: [0x7fe0, 0x10], vr: "OW", value: { kind: "words", v: o.pixels } },
    );
  }
  return dicomFile(o.syntax ?? EXPLICIT_LE, els);
}

async function grey(bytes: Uint8Array): Promise<number[]> {
  const img = await decodeImage(bytes, { name: "t.dcm" });
  expect(img.mode).toBe("L");
  return Array.from(img.data);
}

async function codeOf(bytes: Uint8Array, opts: { maxPixels?: number } = {}): Promise<string> {
  const e = await decodeImage(bytes, { name: "case.dcm", ...opts }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ImageDecodeError);
  expect((e as ImageDecodeError).input).toBe("case.dcm");
  return (e as ImageDecodeError).code;
}

// window centre 100.5, width 101 (DICOM LINEAR): x <= 50 -> 0, x > 150 -> 255,
// else ((x - 100) / 100 + 0.5) * 255, rounded
const WINDOW: [string, string] = ["100.5", "101"];
const STORED = [0, 50, 75, 100, 125, 151];
const WINDOWED = [0, 0, 64, 128, 191, 255];

describe("DICOM decoding (dicom-parser, uncompressed syntaxes)", () => {
  it("recognises Part 10 files by the DICM magic", () => {
    expect(isDicom(greyDicom({ rows: 1, cols: 1, pixels: [0] }))).toBe(true);
    expect(isDicom(new Uint8Array(200))).toBe(false);
  });

  it("explicit VR little endian, MONOCHROME2, window centre/width (LINEAR)", async () => {
    expect(await grey(greyDicom({ rows: 2, cols: 3, pixels: STORED, window: WINDOW }))).toEqual(WINDOWED);
  });

  it("implicit VR little endian and explicit VR big endian decode to the same pixels", async () => {
    for (const syntax of [IMPLICIT_LE, EXPLICIT_BE]) {
      expect(await grey(greyDicom({ syntax, rows: 2, cols: 3, pixels: STORED, window: WINDOW }))).toEqual(
        WINDOWED,
      );
    }
  });

  it("MONOCHROME1 is inverted after the window", async () => {
    const out = await grey(
      greyDicom({ rows: 2, cols: 3, pixels: STORED, window: WINDOW, photometric: "MONOCHROME1" }),
    );
    expect(out).toEqual(WINDOWED.map((v) => 255 - v));
  });

  it("rescale slope/intercept is applied before the window", async () => {
    // modality value = 2 * stored - 100: stored 75 -> 50 (0), 100 -> 100 (128), 126 -> 152 (255)
    const out = await grey(
      greyDicom({ rows: 1, cols: 3, pixels: [75, 100, 126], window: WINDOW, rescale: ["2", "-100"] }),
    );
    expect(out).toEqual([0, 128, 255]);
  });

  it("signed 12-bit stored values are sign-extended (CT-like, negative HU)", async () => {
    // stored in 12 bits: -1000 -> 0xC18, window [-1000 .. 1000] LINEAR_EXACT: -1000 -> 0, 0 -> 128, 1000 -> 255
    const pixels = [-1000 & 0xfff, 0, 1000];
    const out = await grey(
      greyDicom({
        rows: 1,
        cols: 3,
        pixels,
        bitsStored: 12,
        signed: true,
        window: ["0", "2000"],
        voiFunction: "LINEAR_EXACT",
      }),
    );
    expect(out).toEqual([0, 128, 255]);
  });

  it("without a window, the full range of values maps to 0..255", async () => {
    expect(await grey(greyDicom({ rows: 1, cols: 3, pixels: [1000, 1500, 2000] }))).toEqual([0, 128, 255]);
  });

  it("the VOI LUT is applied when there is no window", async () => {
    // 4 entries, first mapped value 10, 8-bit entries: values below 10 take entry 0, above 13 the last
    const out = await grey(
      greyDicom({
        rows: 1,
        cols: 5,
        pixels: [5, 10, 11, 12, 40],
        voiLut: { descriptor: [4, 10, 8], data: [0, 100, 200, 255] },
      }),
    );
    expect(out).toEqual([0, 0, 100, 200, 255]);
  });

  it("8-bit MONOCHROME2 without VOI keeps the full range", async () => {
    expect(await grey(greyDicom({ rows: 1, cols: 2, bits: 8, pixels: [0, 255] }))).toEqual([0, 255]);
  });

  it("8-bit RGB, interleaved and planar", async () => {
    const rgb = [10, 20, 30, 40, 50, 60];
    for (const planar of [0, 1]) {
      const stored = planar ? [10, 40, 20, 50, 30, 60] : rgb;
      const bytes = dicomFile(EXPLICIT_LE, [
        us(0x28, 0x2, 3),
        str(0x28, 0x4, "CS", "RGB"),
        us(0x28, 0x6, planar),
        us(0x28, 0x10, 1),
        us(0x28, 0x11, 2),
        us(0x28, 0x100, 8),
        us(0x28, 0x101, 8),
        us(0x28, 0x102, 7),
        us(0x28, 0x103, 0),
        { tag: [0x7fe0, 0x10], vr: "OB", value: { kind: "bytes", b: Uint8Array.from(stored) } },
      ]);
      const img = await decodeImage(bytes);
      expect(img.mode).toBe("RGB");
      expect(Array.from(img.data)).toEqual(rgb);
    }
  });

  it("a decoded DICOM runs through a model's preprocessing", async () => {
    const pixels = Array.from({ length: 40 * 30 }, (_, i) => (i * 17) % 4096);
    const img = await decodeImage(greyDicom({ rows: 30, cols: 40, pixels, bitsStored: 12 }));
    const t = runPreprocess(img, MODEL_PREPROCESS.medclip);
    expect(t.shape).toEqual([1, 224, 224]);
    expect(t.data.every(Number.isFinite)).toBe(true);
  });
});

describe("DICOM bad input: typed errors", () => {
  it("no Pixel Data -> DICOM_NO_PIXELS", async () => {
    expect(await codeOf(greyDicom({ rows: 2, cols: 2, pixels: [], omitPixels: true }))).toBe(
      "DICOM_NO_PIXELS",
    );
  });

  it("a JPEG-compressed transfer syntax -> DICOM_UNSUPPORTED_SYNTAX, naming it", async () => {
    const bytes = greyDicom({ syntax: JPEG_BASELINE, rows: 1, cols: 1, pixels: [0] });
    const e = await decodeImage(bytes, { name: "ct.dcm" }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ImageDecodeError);
    expect((e as ImageDecodeError).code).toBe("DICOM_UNSUPPORTED_SYNTAX");
    expect((e as ImageDecodeError).message).toContain("JPEG Baseline");
  });

  it("pixel data cut short -> TRUNCATED", async () => {
    const full = greyDicom({ rows: 8, cols: 8, pixels: Array.from({ length: 64 }, (_, i) => i) });
    expect(await codeOf(full.subarray(0, full.length - 40))).toBe("TRUNCATED");
  });

  it("rows x columns over the pixel limit -> TOO_LARGE", async () => {
    expect(
      await codeOf(greyDicom({ rows: 4, cols: 4, pixels: new Array(16).fill(0) }), { maxPixels: 15 }),
    ).toBe("TOO_LARGE");
  });

  it("garbage after the DICM magic -> CORRUPT or TRUNCATED, never a crash", async () => {
    const bytes = new Uint8Array(300);
    bytes.set([0x44, 0x49, 0x43, 0x4d], 128);
    for (let i = 132; i < bytes.length; i++) bytes[i] = (i * 73) & 0xff;
    expect(["CORRUPT", "TRUNCATED"]).toContain(await codeOf(bytes));
  });
});
