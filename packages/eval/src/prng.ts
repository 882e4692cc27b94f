import { sha256Bytes } from "./hash.ts";

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit), seeded from a sha256 digest.
 *
 * Seeding: the first 16 bytes of sha256(UTF-8 of `label`) are read as four little-endian uint32 words
 * a, b, c, d (bytes 0-3, 4-7, 8-11, 12-15); d is sfc32's counter. Then 12 outputs are discarded.
 * Each step:  t = (a + b + d) >>> 0;  d = (d + 1) >>> 0;  a = b ^ (b >>> 9);  b = (c + (c << 3)) >>> 0;
 *             c = ((c << 21) | (c >>> 11)) >>> 0;  c = (c + t) >>> 0;  output t.
 * Only 32-bit integer arithmetic: the stream is the same on every machine and engine.
 */
export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Seeds from the first 16 bytes of sha256(label). */
  static fromLabel(label: string): Sfc32 {
    const h = sha256Bytes(label);
    const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
    return new Sfc32(
      view.getUint32(0, true),
      view.getUint32(4, true),
      view.getUint32(8, true),
      view.getUint32(12, true),
    );
  }

  nextUint32(): number {
    const t = (this.a + this.b + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Fills `out` with the next out.length outputs (the same stream as repeated nextUint32, faster). */
  fill(out: Uint32Array): Uint32Array {
    let { a, b, c, d } = this;
    for (let i = 0; i < out.length; i++) {
      const t = (a + b + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = ((c << 21) | (c >>> 11)) >>> 0;
      c = (c + t) >>> 0;
      out[i] = t;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return out;
  }

  /** Integer in [0, n): floor(u * n / 2^32) for the next uint32 u; exact for n <= 2^21. */
  nextBelow(n: number): number {
    return Math.floor((this.nextUint32() * n) / 4294967296);
  }
}

/**
 * Fisher–Yates shuffle of [0, 1, ..., n-1]: for i = n-1 down to 1, j = rng.nextBelow(i + 1), swap
 * positions i and j. Returns the permutation.
 */
export function permutation(n: number, rng: Sfc32): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i >= 1; i--) {
    const j = rng.nextBelow(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
