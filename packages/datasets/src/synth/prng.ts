import { Sfc32 } from "@cxr/eval";

/**
 * The synthetic set's random source: the project's one sfc32 generator (@cxr/eval's, seeded with
 * the first 16 bytes of sha256(seed)), plus the draws the generator needs. Every study draws from
 * its own stream, seeded `${seed}:${index}`, so that a study is the same whatever the number of
 * studies or the order of generation.
 */
export class Rng {
  private readonly stream: Sfc32;

  constructor(seed: string) {
    this.stream = Sfc32.fromLabel(seed);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    return this.stream.nextUint32();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
