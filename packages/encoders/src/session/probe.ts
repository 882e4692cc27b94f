import * as ort from "onnxruntime-node";
import { modelBytes, node, valueInfo } from "../onnx/builder.ts";
import {
  EXECUTION_PROVIDERS,
  type ExecutionProvider,
  onnxRuntime,
  type ProviderAttempt,
  planProviders,
  providerErrorReason,
  type SessionRuntime,
  sessionOptionsFor,
} from "./factory.ts";

/**
 * Which execution providers really work here. A provider can be bundled and still fail (WebGPU
 * without a GPU adapter, CUDA without its libraries), so each candidate creates and runs a one-node
 * session. `cxr doctor` reports this; the session factory falls back the same way at run time.
 */
export interface ProviderProbe {
  /** The ONNX Runtime version doing the work. */
  version: string;
  /** Providers that created and ran a session, in preference order. */
  usable: ExecutionProvider[];
  /** What a session created with this preference would run on. */
  selected: ExecutionProvider;
  /** Every provider considered, with the reason it is not usable. */
  attempts: ProviderAttempt[];
}

let probeModel: Uint8Array | undefined;

function reluModel(): Uint8Array {
  probeModel ??= modelBytes({
    name: "probe",
    nodes: [node("Relu", ["x"], ["y"])],
    initializers: [],
    inputs: [valueInfo("x", "float32", [1, 4])],
    outputs: [valueInfo("y", "float32", [1, 4])],
  });
  return probeModel;
}

export async function probeExecutionProviders(
  preference: readonly ExecutionProvider[] = EXECUTION_PROVIDERS,
  runtime: SessionRuntime = onnxRuntime,
): Promise<ProviderProbe> {
  const { order, skipped } = planProviders(preference, runtime);
  const attempts: ProviderAttempt[] = [...skipped];
  const usable: ExecutionProvider[] = [];
  for (const provider of order) {
    try {
      const session = await runtime.create(reluModel(), sessionOptionsFor(provider, { cpuThreads: 1 }));
      const out = await session.run({
        x: new ort.Tensor("float32", new Float32Array([-1, 2, -3, 4]), [1, 4]),
      });
      const y = out.y?.data as Float32Array | undefined;
      await session.release();
      if (y?.[1] !== 2 || y[0] !== 0) throw new Error("ran but computed a wrong result");
      usable.push(provider);
      attempts.push({ provider });
    } catch (error) {
      attempts.push({ provider, error: providerErrorReason(error) });
    }
  }
  return { version: ort.env.versions.common, usable, selected: usable[0] ?? "cpu", attempts };
}
