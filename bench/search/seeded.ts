import { Sfc32 } from "../../packages/eval/src/prng.ts";

/** Uniform [0, 1) from the project's seeded generator (@cxr/eval's sfc32), so runs are repeatable. */
export function seeded(seed: number): () => number {
  const rng = Sfc32.fromLabel(`bench-search:${seed}`);
  return () => rng.nextUint32() / 4294967296;
}
