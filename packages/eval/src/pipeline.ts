/** A bounded first-in first-out channel between one producer and one consumer. */
export class BoundedChannel<T> {
  private readonly items: T[] = [];
  private closed = false;
  private failure: unknown = undefined;
  private waitingPut: (() => void)[] = [];
  private waitingTake: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  /** True once closed (by either side): a producer should stop. */
  get isClosed(): boolean {
    return this.closed;
  }

  async put(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed)
      await new Promise<void>((r) => this.waitingPut.push(r));
    if (this.closed) return;
    this.items.push(item);
    this.waitingTake.shift()?.();
  }

  /** The next item, or undefined once the channel is closed and drained. Rethrows a producer failure. */
  async take(): Promise<T | undefined> {
    while (this.items.length === 0) {
      if (this.failure !== undefined) throw this.failure;
      if (this.closed) return undefined;
      await new Promise<void>((r) => this.waitingTake.push(r));
    }
    const item = this.items.shift();
    this.waitingPut.shift()?.();
    return item;
  }

  close(failure?: unknown): void {
    this.closed = true;
    if (failure !== undefined) this.failure = failure;
    for (const w of [...this.waitingPut, ...this.waitingTake]) w();
    this.waitingPut = [];
    this.waitingTake = [];
  }
}

/** The product's one bounded map (@cxr/config), kept under this module for eval's callers. */
export { mapLimit } from "@cxr/config";
