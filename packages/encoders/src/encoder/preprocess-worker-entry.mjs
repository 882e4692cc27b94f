// Entry of a preprocessing worker. The package is TypeScript run through tsx, and a worker thread
// does not inherit a loader registered in another context (vitest, a tsx API user), so this plain
// module registers tsx in its own namespace and loads the worker. Without tsx the import fails, the
// worker reports it, and ModelEncoder preprocesses on the main thread instead.
import { parentPort } from "node:worker_threads";

try {
  const { register } = await import("tsx/esm/api");
  const api = register({ namespace: "cxr-preprocess-worker" });
  await api.import("./preprocess-worker.ts", import.meta.url);
} catch (error) {
  parentPort?.postMessage({ ready: false, reason: String(error?.message ?? error).split("\n")[0] });
}
