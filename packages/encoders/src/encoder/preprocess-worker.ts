/**
 * A preprocessing worker (worker_threads): decodes and preprocesses images for ModelEncoder while
 * the main thread runs inference (onnxruntime-node runs a session on the calling thread). Requests
 * are handled concurrently: one item's decode runs on libuv's threads while another is resized here.
 * The tensor's buffer is transferred back, not copied.
 */
import { parentPort, workerData } from "node:worker_threads";
import { prepareImagePayload } from "./prepare-image.ts";
import type { PrepareReply, PrepareRequest, WorkerInit } from "./preprocess-wire.ts";
import { toWire } from "./preprocess-wire.ts";

const port = parentPort;
if (port === null) throw new Error("preprocess-worker.ts runs only as a worker thread");
const { spec } = workerData as WorkerInit;

port.on("message", async (request: PrepareRequest) => {
  const outcome = await prepareImagePayload(request.payload, request.name, spec);
  let reply: PrepareReply;
  if (outcome.ok) {
    let data = outcome.value;
    // Transfer needs a buffer of its own; a view into a larger one is copied first.
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
    reply = { id: request.id, ok: true, data };
    port.postMessage(reply, [data.buffer as ArrayBuffer]);
  } else {
    reply = { id: request.id, ok: false, error: toWire(outcome.error) };
    port.postMessage(reply);
  }
});
port.postMessage({ ready: true });
