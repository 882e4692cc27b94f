/**
 * A small pool of preprocessing workers (worker_threads). onnxruntime-node 1.30 runs a session on
 * the calling thread, so JavaScript preprocessing on the main thread (the Pillow-exact resize) waits
 * for inference; in a worker it runs during inference. The pool only ever holds what the encoder's
 * stream gives it (at most two batches), and it starts or it does not: a pool whose workers cannot
 * start is not used, and the encoder prepares images on the main thread.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ImagePayload, ImagePrepareSpec, PrepareOutcome } from "./prepare-image.ts";
import { fromWire, type WorkerInit, type WorkerMessage } from "./preprocess-wire.ts";

const ENTRY = new URL("./preprocess-worker-entry.mjs", import.meta.url);
/** Loading the worker compiles its modules through tsx: seconds on a loaded machine, never minutes. */
const START_TIMEOUT_MS = 60_000;

/**
 * Default worker count: one per four cores, at least one, at most four. On a 2-core machine that is
 * one worker beside ONNX Runtime's intra-op threads; the worker is busy only part of each batch.
 */
export function defaultPreprocessWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 4)));
}

interface Task {
  resolve: (outcome: PrepareOutcome) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  tasks: Map<number, Task>;
}

export class PreprocessPool {
  private nextId = 0;
  private broken: Error | undefined;
  private closed = false;

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) {
      slot.worker.on("message", (message: WorkerMessage) => {
        if (!("id" in message)) return;
        const task = slot.tasks.get(message.id);
        if (task === undefined) return;
        slot.tasks.delete(message.id);
        if (slot.tasks.size === 0) slot.worker.unref();
        task.resolve(
          message.ok ? { ok: true, value: message.data } : { ok: false, error: fromWire(message.error) },
        );
      });
      const fail = (error: Error) => this.fail(error);
      slot.worker.on("error", fail);
      slot.worker.on("exit", (code) => {
        if (!this.closed) fail(new Error(`a preprocessing worker exited with code ${code}`));
      });
      // Idle workers never keep the process alive; a worker with tasks does (see prepare).
      slot.worker.unref();
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** The workers' thread ids; Node sets a worker's to -1 once its thread has ended. */
  get threadIds(): number[] {
    return this.slots.map((slot) => slot.worker.threadId);
  }

  /** Starts `size` workers and waits until each has loaded; an Error says why they could not. */
  static async start(
    size: number,
    spec: ImagePrepareSpec,
    entry: URL = ENTRY,
  ): Promise<PreprocessPool | Error> {
    const workerData: WorkerInit = { spec };
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < size; i++) workers.push(new Worker(entry, { workerData }));
      await Promise.all(workers.map(ready));
      return new PreprocessPool(workers.map((worker) => ({ worker, tasks: new Map() })));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Whether the pool can take work (not closed, no worker failed). */
  get usable(): boolean {
    return !this.closed && this.broken === undefined;
  }

  /**
   * Prepares one image in the least busy worker. Rejects only when the pool cannot do it (closed,
   * a worker failed): the item's own failures resolve as `{ ok: false }`. Bytes are copied to the
   * worker (they stay the caller's); the tensor comes back transferred.
   */
  prepare(payload: ImagePayload, name: string): Promise<PrepareOutcome> {
    if (!this.usable) return Promise.reject(this.broken ?? new Error("the preprocessing pool is closed"));
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.tasks.size < slot.tasks.size) slot = s;
    const id = this.nextId++;
    return new Promise<PrepareOutcome>((resolve, reject) => {
      slot.tasks.set(id, { resolve, reject });
      slot.worker.ref();
      try {
        slot.worker.postMessage({ id, name, payload });
      } catch (error) {
        // Not cloneable (a caller's odd input): the main thread reports it as it would anyway.
        slot.tasks.delete(id);
        if (slot.tasks.size === 0) slot.worker.unref();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Terminates every worker; tasks still pending are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new Error("the preprocessing pool is closed"));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private fail(error: Error): void {
    if (this.broken !== undefined || this.closed) return;
    this.broken = error;
    this.rejectAll(error);
    for (const slot of this.slots) void slot.worker.terminate();
  }

  private rejectAll(error: Error): void {
    for (const slot of this.slots) {
      for (const task of slot.tasks.values()) task.reject(error);
      slot.tasks.clear();
    }
  }
}

function ready(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error("a preprocessing worker did not start in time")),
      START_TIMEOUT_MS,
    );
    const done = (error?: Error) => {
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("error", done);
      worker.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    };
    const onMessage = (message: WorkerMessage) => {
      if ("id" in message) return;
      done(message.ready ? undefined : new Error(`a preprocessing worker could not load: ${message.reason}`));
    };
    const onExit = (code: number) =>
      done(new Error(`a preprocessing worker exited with code ${code} while starting`));
    worker.on("message", onMessage);
    worker.on("error", done);
    worker.on("exit", onExit);
  });
}
