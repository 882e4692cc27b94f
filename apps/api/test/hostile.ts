import { crc32, createDeflate } from "node:zlib";

/** Hostile and unusual image files for the upload door's end-to-end tests. */

export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const JPEG_BASELINE = "1.2.840.10008.1.2.4.50";

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/**
 * A real decompression bomb: a valid 8-bit grey PNG of width x height black pixels whose IDAT
 * inflates to (width + 1) x height bytes (900 MB for 30,000 x 30,000) from about 1 MB. Deflated
 * as a stream, so this process never holds the inflated image either.
 */
export async function zeroPng(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9, chunkSize: 1 << 20 });
  const out: Buffer[] = [];
  deflate.on("data", (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  const row = width + 1; // a filter byte (0, none) and the row's pixels
  const block = Buffer.alloc(row * Math.max(1, Math.floor((8 << 20) / row)));
  let left = row * height;
  while (left > 0) {
    const n = Math.min(left, block.length);
    if (!deflate.write(block.subarray(0, n))) await new Promise((r) => deflate.once("drain", r));
    left -= n;
  }
  deflate.end();
  await done;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit, grey, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", Buffer.concat(out)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** One explicit little-endian element. */
function element(group: number, el: number, vr: string, value: Buffer): Buffer {
  const long = ["OB", "OW", "SQ", "UN", "UT"].includes(vr);
  const padded = value.length % 2 ? Buffer.concat([value, Buffer.from([vr === "UI" ? 0 : 0x20])]) : value;
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(el, 2);
  head.write(vr, 4, "latin1");
  if (long) head.writeUInt32LE(padded.length, 8);
  else head.writeUInt16LE(padded.length, 6);
  return Buffer.concat([head, padded]);
}

const us = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};

/**
 * A DICOM Part 10 file (8-bit MONOCHROME2, 16 x 16, explicit little endian unless told), with or
 * without its pixel data; with a compressed transfer syntax the pixel bytes are left as they are,
 * as a client mislabelling them would send.
 */
export function dicom(options: { syntax?: string; pixels?: boolean; side?: number }): Buffer {
  const side = options.side ?? 16;
  const meta = Buffer.concat([
    element(2, 1, "OB", Buffer.from([0, 1])),
    element(2, 2, "UI", Buffer.from("1.2.840.10008.5.1.4.1.1.1.1")),
    element(2, 3, "UI", Buffer.from("1.2.3.4")),
    element(2, 0x10, "UI", Buffer.from(options.syntax ?? EXPLICIT_LE)),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length);
  const pixels = Buffer.alloc(side * side);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  const body = Buffer.concat([
    element(0x28, 2, "US", us(1)),
    element(0x28, 4, "CS", Buffer.from("MONOCHROME2")),
    element(0x28, 0x10, "US", us(side)),
    element(0x28, 0x11, "US", us(side)),
    element(0x28, 0x100, "US", us(8)),
    element(0x28, 0x101, "US", us(8)),
    element(0x28, 0x102, "US", us(7)),
    element(0x28, 0x103, "US", us(0)),
    ...(options.pixels === false ? [] : [element(0x7fe0, 0x10, "OB", pixels)]),
  ]);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from("DICM", "latin1"),
    element(2, 0, "UL", groupLength),
    meta,
    body,
  ]);
}
