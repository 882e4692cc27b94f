/** The product's one bounded map (@cxr/config), under the name the encoders use. */
export { mapLimit as mapLimited } from "@cxr/config";

/** Pulls up to `n` items from an iterator. */
export async function take<T>(iterator: AsyncIterator<T> | Iterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const step = await iterator.next();
    if (step.done) break;
    out.push(step.value);
  }
  return out;
}

export function iteratorOf<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in source
    ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (source as Iterable<T>)[Symbol.iterator]();
}
