/**
 * A minimal DICOM Part 10 writer for tests: one greyscale frame, explicit VR little endian, 16 bits
 * allocated, as CR/DX chest radiographs are stored (12 bits stored, MONOCHROME1 or MONOCHROME2).
 */

export interface GreyDicomOptions {
  rows: number;
  columns: number;
  /** Stored values, row-major, rows * columns of them, each below 2^bitsStored. */
  pixels: ArrayLike<number>;
  /** Default 12. */
  bitsStored?: number;
  /** Default MONOCHROME2 (0 is black); MONOCHROME1 shows 0 as white. */
  photometric?: "MONOCHROME1" | "MONOCHROME2";
  /** Window centre and width, written as (0028,1050) and (0028,1051) when given. */
  window?: [center: number, width: number];
}

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const LONG_VRS = new Set(["OB", "OW", "SQ", "UN", "UT"]);

function element(group: number, elem: number, vr: string, value: Uint8Array): Uint8Array {
  const padded = value.length % 2 === 0 ? value : Uint8Array.from([...value, vr === "UI" ? 0 : 0x20]);
  const long = LONG_VRS.has(vr);
  const head = new DataView(new ArrayBuffer(long ? 12 : 8));
  head.setUint16(0, group, true);
  head.setUint16(2, elem, true);
  head.setUint8(4, vr.charCodeAt(0));
  head.setUint8(5, vr.charCodeAt(1));
  if (long) head.setUint32(8, padded.length, true);
  else head.setUint16(6, padded.length, true);
  return concat([new Uint8Array(head.buffer), padded]);
}

const text = (s: string) => new TextEncoder().encode(s);
function u16(...values: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 2));
  for (const [i, v] of values.entries()) view.setUint16(i * 2, v, true);
  return new Uint8Array(view.buffer);
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The bytes of a DICOM file holding one greyscale frame. */
export function greyDicom(options: GreyDicomOptions): Uint8Array {
  const bitsStored = options.bitsStored ?? 12;
  const count = options.rows * options.columns;
  if (options.pixels.length !== count) {
    throw new RangeError(
      `${options.rows}x${options.columns} needs ${count} pixels, got ${options.pixels.length}`,
    );
  }
  const meta = concat([
    element(2, 1, "OB", Uint8Array.from([0, 1])),
    element(2, 2, "UI", text("1.2.840.10008.5.1.4.1.1.1.1")),
    element(2, 3, "UI", text("1.2.826.0.1.3680043.2.1125.1")),
    element(2, 0x10, "UI", text(EXPLICIT_LE)),
  ]);
  const groupLength = new DataView(new ArrayBuffer(4));
  groupLength.setUint32(0, meta.length, true);
  const dataset = [
    element(0x28, 2, "US", u16(1)),
    element(0x28, 4, "CS", text(options.photometric ?? "MONOCHROME2")),
    element(0x28, 0x10, "US", u16(options.rows)),
    element(0x28, 0x11, "US", u16(options.columns)),
    element(0x28, 0x100, "US", u16(16)),
    element(0x28, 0x101, "US", u16(bitsStored)),
    element(0x28, 0x102, "US", u16(bitsStored - 1)),
    element(0x28, 0x103, "US", u16(0)),
    ...(options.window
      ? [
          element(0x28, 0x1050, "DS", text(String(options.window[0]))),
          element(0x28, 0x1051, "DS", text(String(options.window[1]))),
        ]
      : []),
    element(0x7fe0, 0x10, "OW", u16(...Array.from(options.pixels))),
  ];
  return concat([
    new Uint8Array(128),
    text("DICM"),
    element(2, 0, "UL", new Uint8Array(groupLength.buffer)),
    meta,
    ...dataset,
  ]);
}
