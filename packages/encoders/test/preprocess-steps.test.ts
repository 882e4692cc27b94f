import { describe, expect, it } from "vitest";
import { type DecodedImage, makeImage } from "../src/image/index.ts";
import {
  MODEL_PREPROCESS,
  PreprocessError,
  type PreprocessStep,
  pillowConvert,
  pillowCrop,
  pillowResize,
  preprocessStepSchema,
  preprocessStepsSchema,
  resizeTarget,
  roundHalfEven,
  runPreprocess,
  shorterSideSize,
  torchInterpolate,
} from "../src/preprocess/index.ts";

const L = (w: number, h: number, f: (x: number, y: number) => number): DecodedImage => {
  const d = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = f(x, y);
  return makeImage("L", w, h, d);
};

describe("step schema (BUNDLE.md table)", () => {
  it("accepts every real model's step list", () => {
    for (const [name, steps] of Object.entries(MODEL_PREPROCESS)) {
      const parsed = preprocessStepsSchema.safeParse(steps);
      expect(parsed.success, name).toBe(true);
    }
  });

  it("rejects unknown ops, unknown fields, bad enums, empty lists and std 0, pointing at the field", () => {
    expect(preprocessStepSchema.safeParse({ op: "blur", radius: 2 }).success).toBe(false);
    expect(preprocessStepSchema.safeParse({ op: "convert", mode: "CMYK" }).success).toBe(false);
    expect(preprocessStepSchema.safeParse({ op: "convert", mode: "L", extra: 1 }).success).toBe(false);
    expect(
      preprocessStepSchema.safeParse({ op: "resize", size: 224, by: "shorter", kernel: "box" }).success,
    ).toBe(false);
    expect(
      preprocessStepSchema.safeParse({ op: "resize", size: 0, by: "exact", kernel: "bicubic" }).success,
    ).toBe(false);
    expect(preprocessStepSchema.safeParse({ op: "toTensor", scale: "divide255", channels: 2 }).success).toBe(
      false,
    );
    expect(preprocessStepsSchema.safeParse([]).success).toBe(false);
    const zeroStd = preprocessStepSchema.safeParse({ op: "normalize", mean: [0.5], std: [0] });
    expect(zeroStd.success).toBe(false);
    expect(zeroStd.error?.issues[0]?.path).toEqual(["std", 0]);
    const mismatch = preprocessStepSchema.safeParse({ op: "normalize", mean: [1, 2, 3], std: [1, 2] });
    expect(mismatch.success).toBe(false);
  });

  it("pad fill defaults to 0", () => {
    const parsed = preprocessStepSchema.parse({ op: "pad", canvas: "square", minSide: 224 });
    expect(parsed).toMatchObject({ op: "pad", fill: 0 });
  });
});

describe("sizes and offsets", () => {
  it("torchvision Resize(int): short side = size, long = int(size * long / short)", () => {
    expect(shorterSideSize(1233, 1024, 224)).toEqual([269, 224]);
    expect(shorterSideSize(300, 200, 224)).toEqual([336, 224]);
    expect(shorterSideSize(256, 320, 224)).toEqual([224, 280]);
  });

  it("CXR-RePaiR longer side: ratio first, then int() of each product", () => {
    const step = { op: "resize", size: 320, by: "longer", kernel: "lanczos" } as const;
    expect(resizeTarget(step, 1233, 1024)).toEqual([320, 265]);
    expect(resizeTarget(step, 300, 200)).toEqual([320, 213]);
    expect(resizeTarget(step, 256, 320)).toEqual([256, 320]);
  });

  it("Python round(): halves go to the even neighbour (Math.round would not)", () => {
    expect(roundHalfEven(22.5)).toBe(22);
    expect(roundHalfEven(23.5)).toBe(24);
    expect(roundHalfEven(0.5)).toBe(0);
    expect(roundHalfEven(3)).toBe(3);
    expect(roundHalfEven(2.4)).toBe(2);
  });

  it("centerCrop half-even: 269 wide -> left 22 (not 23); floor rounding gives 22 too, 271 -> 23 vs 23", () => {
    const img = L(269, 224, (x) => x);
    const crop = (rounding: "half-even" | "floor") =>
      runPreprocess(img, [
        { op: "centerCrop", size: 224, rounding },
        { op: "toTensor", scale: "none", channels: 1 },
      ]).data[0];
    expect(crop("half-even")).toBe(22);
    expect(crop("floor")).toBe(22);
    const odd = L(227, 224, (x) => x); // (227 - 224) / 2 = 1.5 -> round 2, floor 1
    const first = (rounding: "half-even" | "floor") =>
      runPreprocess(odd, [
        { op: "centerCrop", size: 224, rounding },
        { op: "toTensor", scale: "none", channels: 1 },
      ]).data[0];
    expect(first("half-even")).toBe(2);
    expect(first("floor")).toBe(1);
  });

  it("centerCrop larger than the image pads with zeros around it (torchvision)", () => {
    const img = L(2, 2, () => 9);
    const t = runPreprocess(img, [
      { op: "centerCrop", size: 4, rounding: "half-even" },
      { op: "toTensor", scale: "none", channels: 1 },
    ]);
    expect(Array.from(t.data)).toEqual([0, 0, 0, 0, 0, 9, 9, 0, 0, 9, 9, 0, 0, 0, 0, 0]);
  });

  it("pad: centred on an L square, floor offsets, side = max(minSide, w, h) or the fixed side", () => {
    const img = L(3, 1, () => 200);
    const t = runPreprocess(img, [
      { op: "pad", canvas: "square", minSide: 4, fill: 7 },
      { op: "toTensor", scale: "none", channels: 1 },
    ]);
    expect(t.shape).toEqual([1, 4, 4]);
    // x offset floor(1/2) = 0, y offset floor(3/2) = 1
    expect(Array.from(t.data)).toEqual([7, 7, 7, 7, 200, 200, 200, 7, 7, 7, 7, 7, 7, 7, 7, 7]);
  });

  it("pad converts the pasted image to L: an I image is clipped to 0..255, RGB becomes luma", () => {
    const i16 = makeImage("I", 2, 1, Int32Array.from([40000, 100]));
    const t = runPreprocess(i16, [
      { op: "pad", canvas: "square", side: 2, fill: 0 },
      { op: "toTensor", scale: "none", channels: 1 },
    ]);
    expect(Array.from(t.data)).toEqual([255, 100, 0, 0]);
  });
});

describe("Pillow arithmetic", () => {
  it("convert RGB -> L uses Pillow's fixed-point ITU-R 601 luma (red 76, green 150, blue 29)", () => {
    const rgb = makeImage("RGB", 3, 1, Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
    expect(Array.from(pillowConvert(rgb, "L").data)).toEqual([76, 150, 29]);
  });

  it("convert I -> L / RGB clips to 0..255 without rescaling", () => {
    const img = makeImage("I", 4, 1, Int32Array.from([-5, 17, 255, 65535]));
    expect(Array.from(pillowConvert(img, "L").data)).toEqual([0, 17, 255, 255]);
    expect(Array.from(pillowConvert(img, "RGB").data)).toEqual([
      0, 0, 0, 17, 17, 17, 255, 255, 255, 255, 255, 255,
    ]);
  });

  it("bilinear 2 -> 4 upscale matches Pillow's taps and 22-bit fixed-point rounding: [0, 64, 191, 255]", () => {
    const img = makeImage("L", 2, 1, Uint8Array.from([0, 255]));
    expect(Array.from(pillowResize(img, 4, 1, "bilinear").data)).toEqual([0, 64, 191, 255]);
  });

  it("bicubic on an edge overshoots and is clamped to 0..255 in 8-bit modes, but not in mode I", () => {
    const edge = [0, 0, 0, 255, 255, 255];
    const u8 = pillowResize(makeImage("L", 6, 1, Uint8Array.from(edge)), 12, 1, "bicubic");
    const i32 = pillowResize(makeImage("I", 6, 1, Int32Array.from(edge)), 12, 1, "bicubic");
    expect(Math.min(...i32.data)).toBeLessThan(0);
    expect(Math.max(...i32.data)).toBeGreaterThan(255);
    expect(Array.from(u8.data)).toEqual(Array.from(i32.data, (v) => Math.min(255, Math.max(0, v))));
  });

  it("a constant image stays constant under every kernel and scale", () => {
    const img = L(37, 23, () => 131);
    for (const k of ["bicubic", "bilinear", "lanczos", "nearest"] as const) {
      for (const [w, h] of [
        [11, 7],
        [80, 50],
        [37, 5],
      ] as const) {
        const out = pillowResize(img, w, h, k);
        expect(new Set(out.data), `${k} ${w}x${h}`).toEqual(new Set([131]));
      }
    }
  });

  it("resize to the same size is a copy (no resampling)", () => {
    const img = L(5, 4, (x, y) => x * 40 + y);
    const out = pillowResize(img, 5, 4, "lanczos");
    expect(out.data).not.toBe(img.data);
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
  });

  it("palette (P) images resize with NEAREST whatever the filter, like Pillow; convert makes them ordinary", () => {
    const p = { ...makeImage("L", 5, 1, Uint8Array.from([10, 20, 30, 40, 50])), pillowMode: "P" as const };
    const resized = pillowResize(p, 3, 1, "bicubic");
    expect(Array.from(resized.data)).toEqual([10, 30, 50]);
    expect(resized.pillowMode).toBe("P");
    const converted = pillowConvert(p, "L");
    expect(converted.pillowMode).toBeUndefined();
    expect(Array.from(pillowResize(converted, 3, 1, "bicubic").data)).not.toEqual([10, 30, 50]);
    // CLIP on a palette image: resize (NEAREST) before convert("RGB"); CXR-CLIP converts first
    const clip = runPreprocess(p, [
      { op: "resize", size: 3, by: "exact", kernel: "bicubic" },
      { op: "toTensor", scale: "none", channels: 1 },
    ]);
    expect(Array.from(clip.data.subarray(0, 3))).toEqual([10, 30, 50]);
  });

  it("a region of a resize is the resize cropped, bit for bit, in every mode and kernel", () => {
    // a seeded noise image: every tap matters, constant rows are rare
    let seed = 7;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed >> 23;
    };
    const grey = L(61, 47, () => noise());
    const rgb = makeImage(
      "RGB",
      29,
      41,
      Uint8Array.from({ length: 29 * 41 * 3 }, () => noise()),
    );
    const wide = makeImage(
      "I",
      53,
      37,
      Int32Array.from({ length: 53 * 37 }, () => noise() * 16 - 300),
    );
    for (const img of [grey, rgb, wide]) {
      for (const k of ["bicubic", "bilinear", "lanczos", "nearest"] as const) {
        for (const [w, h, region] of [
          [13, 17, { left: 0, top: 2, width: 13, height: 13 }],
          [20, 11, { left: 3, top: 0, width: 11, height: 11 }],
          [img.width, 9, { left: 5, top: 1, width: 7, height: 8 }], // one direction only
          [90, 70, { left: 10, top: 20, width: 50, height: 40 }], // upscale
        ] as const) {
          const whole = pillowResize(img, w, h, k);
          const cropped = pillowCrop(whole, region.left, region.top, region.width, region.height);
          const fused = pillowResize(img, w, h, k, region);
          expect([fused.width, fused.height, fused.mode]).toEqual([region.width, region.height, img.mode]);
          expect(Array.from(fused.data), `${img.mode} ${k} ${w}x${h}`).toEqual(Array.from(cropped.data));
        }
      }
    }
    expect(() => pillowResize(grey, 13, 17, "bicubic", { left: 1, top: 0, width: 13, height: 13 })).toThrow(
      RangeError,
    );
  });

  it("a resize then a centre crop give the same tensor as one fused step as when run apart", () => {
    const img = L(90, 110, (x, y) => (x * 7 + y * 13 + ((x * y) % 17)) % 256);
    for (const rounding of ["half-even", "floor"] as const) {
      for (const [by, size, crop] of [
        ["shorter", 24, 24],
        ["shorter", 24, 20],
        ["longer", 40, 30], // 32 x 40, cropped inside: fused
        ["longer", 40, 36], // 32 x 40: the crop is wider than the resize, padded, not fused
        ["exact", 32, 32],
      ] as const) {
        const resize: PreprocessStep = { op: "resize", size, by, kernel: "bicubic" };
        const centerCrop: PreprocessStep = { op: "centerCrop", size: crop, rounding };
        const toTensor: PreprocessStep = { op: "toTensor", scale: "divide255", channels: 3 };
        const fused = runPreprocess(img, [resize, centerCrop, toTensor]);
        // a no-op convert between them keeps the two steps apart
        const apart = runPreprocess(img, [resize, { op: "convert", mode: "L" }, centerCrop, toTensor]);
        expect(fused.shape).toEqual([3, crop, crop]);
        expect(Array.from(fused.data), `${by} ${size} crop ${crop} ${rounding}`).toEqual(
          Array.from(apart.data),
        );
      }
    }
  });

  it("nearest picks pixel centres", () => {
    const img = makeImage("L", 4, 1, Uint8Array.from([10, 20, 30, 40]));
    expect(Array.from(pillowResize(img, 2, 1, "nearest").data)).toEqual([20, 40]);
  });
});

/**
 * A deliberately plain restatement of Pillow's resample (one output value at a time, no row blocking,
 * no constant-row shortcut, no unrolling) to check the optimised kernels against.
 */
function naivePillowResize(
  img: DecodedImage,
  outW: number,
  outH: number,
  kernel: "bicubic" | "bilinear" | "lanczos",
) {
  const support = { bicubic: 2, bilinear: 1, lanczos: 3 }[kernel];
  const fn = (x: number) => {
    if (kernel === "bilinear") return Math.abs(x) < 1 ? 1 - Math.abs(x) : 0;
    if (kernel === "lanczos") {
      const sinc = (v: number) => (v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v));
      return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
    }
    const a = -0.5;
    const ax = Math.abs(x);
    if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
    if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
    return 0;
  };
  const coeffs = (inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    const fs = Math.max(scale, 1);
    return Array.from({ length: outSize }, (_, o) => {
      const center = (o + 0.5) * scale;
      const lo = Math.max(0, Math.trunc(center - support * fs + 0.5));
      const hi = Math.min(inSize, Math.trunc(center + support * fs + 0.5));
      const w = [];
      for (let i = lo; i < hi; i++) w.push(fn((i - center + 0.5) * (1 / fs)));
      const total = w.reduce((a, b) => a + b, 0);
      return { lo, w: w.map((v) => v / total) };
    });
  };
  const ch = img.mode === "RGB" ? 3 : 1;
  const fixed = (w: number) => Math.trunc(w < 0 ? w * 2 ** 22 - 0.5 : w * 2 ** 22 + 0.5);
  const pass = (data: ArrayLike<number>, w: number, h: number, horizontal: boolean, outSize: number) => {
    const cs = coeffs(horizontal ? w : h, outSize);
    const ow = horizontal ? outSize : w;
    const oh = horizontal ? h : outSize;
    const out: number[] = new Array(ow * oh * ch);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        for (let c = 0; c < ch; c++) {
          const { lo, w: ws } = cs[horizontal ? x : y]!;
          let acc = img.mode === "I" ? 0 : 2 ** 21;
          ws.forEach((wt, t) => {
            const v = horizontal ? data[(y * w + lo + t) * ch + c]! : data[((lo + t) * w + x) * ch + c]!;
            acc += img.mode === "I" ? v * wt : v * fixed(wt);
          });
          out[(y * ow + x) * ch + c] =
            img.mode === "I"
              ? Math.trunc(acc >= 0 ? acc + 0.5 : acc - 0.5)
              : Math.min(255, Math.max(0, Math.floor(acc / 2 ** 22)));
        }
      }
    }
    return out;
  };
  let data: ArrayLike<number> = img.data;
  let w = img.width;
  if (outW !== img.width) {
    data = pass(data, w, img.height, true, outW);
    w = outW;
  }
  if (outH !== img.height) data = pass(data, w, img.height, false, outH);
  return Array.from(data);
}

describe("optimised Pillow resize equals a plain restatement", () => {
  // a small deterministic generator: images with constant rows, edges and noise
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const cases: [DecodedImage["mode"], number, number, number, number][] = [
    ["L", 37, 23, 11, 7],
    ["L", 50, 41, 13, 9],
    ["L", 9, 10, 31, 17],
    ["L", 40, 13, 40, 5],
    ["RGB", 19, 14, 7, 22],
    ["I", 23, 31, 8, 12],
  ];
  for (const [mode, w, h, ow, oh] of cases) {
    it(`${mode} ${w}x${h} -> ${ow}x${oh}, all kernels`, () => {
      const ch = mode === "RGB" ? 3 : 1;
      const values = Array.from({ length: w * h * ch }, (_, i) => {
        const row = Math.floor(i / (w * ch));
        if (row % 5 === 0) return 77; // constant rows
        const v = Math.floor(rand() * (mode === "I" ? 70000 : 256));
        return v;
      });
      const img = makeImage(mode, w, h, mode === "I" ? Int32Array.from(values) : Uint8Array.from(values));
      for (const k of ["bicubic", "bilinear", "lanczos"] as const) {
        expect(Array.from(pillowResize(img, ow, oh, k).data), k).toEqual(naivePillowResize(img, ow, oh, k));
      }
    });
  }
});

describe("tensor steps", () => {
  it("toTensor scales: x/255, x*float32(1/255) and none; grey repeated to 3 channels", () => {
    const img = makeImage("L", 2, 1, Uint8Array.from([51, 255]));
    const div = runPreprocess(img, [{ op: "toTensor", scale: "divide255", channels: 3 }]);
    expect(div.shape).toEqual([3, 1, 2]);
    expect(Array.from(div.data)).toEqual([0.2, 1, 0.2, 1, 0.2, 1].map(Math.fround));
    const mul = runPreprocess(img, [{ op: "toTensor", scale: "multiplyInv255", channels: 1 }]);
    expect(mul.data[0]).toBe(Math.fround(51 * Math.fround(1 / 255)));
    const none = runPreprocess(img, [{ op: "toTensor", scale: "none", channels: 1 }]);
    expect(Array.from(none.data)).toEqual([51, 255]);
  });

  it("normalize: (x - mean) / std per channel in float32", () => {
    const img = makeImage("RGB", 1, 1, Uint8Array.from([255, 0, 51]));
    const t = runPreprocess(img, [
      { op: "toTensor", scale: "divide255", channels: 3 },
      { op: "normalize", mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.5] },
    ]);
    expect(Array.from(t.data)).toEqual([1, -2, Math.fround(Math.fround(Math.fround(0.2) - 0.5) / 0.5)]);
  });

  it("torch bicubic (A = -0.75, no antialias, no clamping): [0, 1] -> 4 wide starts at -0.10546875", () => {
    const out = torchInterpolate(Float32Array.from([0, 1]), [1, 1, 2], 1, 4, "bicubic", false);
    // x = 0: source -0.25, t = 0.75, taps clamped to [0, 0, 0, 1], last weight cubic2(1.25) = -0.10546875
    expect(out[0]).toBe(-0.10546875);
    expect(out[3]).toBe(1.10546875);
  });

  it("tensorResize by the shorter side, and identity when the size is unchanged", () => {
    const img = L(8, 6, (x, y) => x * 10 + y);
    const t = runPreprocess(img, [
      { op: "toTensor", scale: "none", channels: 1 },
      { op: "tensorResize", size: 3, kernel: "bicubic", antialias: false },
    ]);
    expect(t.shape).toEqual([1, 3, 4]);
    const same = torchInterpolate(Float32Array.from([1, 2, 3, 4]), [1, 2, 2], 2, 2, "bicubic", false);
    expect(Array.from(same)).toEqual([1, 2, 3, 4]);
  });

  it("every model's steps give the model's input shape for tall, wide, small and 16-bit images", () => {
    const shapes: Record<keyof typeof MODEL_PREPROCESS, number[]> = {
      clip: [3, 224, 224],
      cxrRepair: [3, 224, 224],
      cxrRepairAntialias: [3, 224, 224],
      medclip: [1, 224, 224],
      cxrClipSwin: [3, 224, 224],
      cxrClipResnet: [3, 224, 224],
    };
    const images = [
      L(300, 120, (x, y) => (x + y) & 255),
      L(90, 400, (x, y) => (x * y) & 255),
      L(20, 20, () => 3),
      makeImage(
        "I",
        50,
        70,
        Int32Array.from({ length: 3500 }, (_, i) => i * 19),
      ),
    ];
    for (const [name, steps] of Object.entries(MODEL_PREPROCESS) as [
      keyof typeof MODEL_PREPROCESS,
      PreprocessStep[],
    ][]) {
      for (const img of images) {
        const t = runPreprocess(img, steps);
        expect(t.shape, `${name} ${img.width}x${img.height}`).toEqual(shapes[name]);
        expect(t.data.length).toBe(shapes[name].reduce((a, b) => a * b, 1));
      }
    }
  });
});

describe("step order errors", () => {
  const img = L(4, 4, () => 1);
  it("a tensor step before toTensor, an image step after it, or no toTensor at all is a PreprocessError", () => {
    expect(() => runPreprocess(img, [{ op: "normalize", mean: [0], std: [1] }])).toThrow(PreprocessError);
    expect(() =>
      runPreprocess(img, [
        { op: "toTensor", scale: "none", channels: 1 },
        { op: "resize", size: 2, by: "exact", kernel: "bilinear" },
      ]),
    ).toThrow(/cannot follow toTensor/);
    expect(() => runPreprocess(img, [{ op: "convert", mode: "RGB" }])).toThrow(/never produce a tensor/);
    expect(() =>
      runPreprocess(img, [
        { op: "toTensor", scale: "none", channels: 1 },
        { op: "normalize", mean: [0, 0, 0], std: [1, 1, 1] },
      ]),
    ).toThrow(/3 means/);
  });
});
