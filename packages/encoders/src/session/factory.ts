import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as ort from "onnxruntime-node";

/**
 * The one place that creates ONNX Runtime sessions. Providers come in preference order from the
 * configuration (cuda, webgpu, cpu by default), are intersected with what onnxruntime-node offers on
 * this machine (`listSupportedBackends()`, plus a check that a non-bundled provider's library is
 * installed), get provider-specific options (intra-op threads for CPU; one thread and a device id
 * for GPUs), and are tried in order: a provider that fails to create the session is logged with its
 * reason and the next one is tried. CPU is always the last resort. The chosen provider is reported.
 */

export const EXECUTION_PROVIDERS = ["cuda", "webgpu", "cpu"] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface SessionLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface SessionFactoryOptions {
  /** Preference order; intersected with what is available; cpu is appended when missing. */
  providers?: readonly ExecutionProvider[];
  /** Intra-op threads for CPU sessions; 0 or unset lets ONNX Runtime decide (one per core). */
  cpuThreads?: number;
  /**
   * Whether idle intra-op threads busy-wait for the next operator (ONNX Runtime's default) instead of
   * sleeping. Off by default: the spinning threads take the cores that decoding, preprocessing, the
   * other modality's session and the server need (bench/encode and bench/api measure it: `--spin`).
   */
  spinWait?: boolean;
  /** GPU to use with cuda/webgpu. */
  deviceId?: number;
  logger?: SessionLogger;
  /** Replaces ONNX Runtime (tests): what is available and how a session is created. */
  runtime?: SessionRuntime;
}

export interface SessionRuntime {
  available(): Array<{ name: string; usable: boolean; reason?: string }>;
  create(
    model: string | Uint8Array,
    options: ort.InferenceSession.SessionOptions,
  ): Promise<ort.InferenceSession>;
}

export interface ProviderAttempt {
  provider: ExecutionProvider;
  /** Why the provider was skipped or failed; absent for the one chosen. */
  error?: string;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The provider the session runs on. */
  provider: ExecutionProvider;
  /** Every provider considered, in order, with the reason it was not used. */
  attempts: ProviderAttempt[];
}

export class SessionCreateError extends Error {
  override readonly name = "SessionCreateError";
  constructor(
    readonly label: string,
    readonly attempts: ProviderAttempt[],
  ) {
    super(
      `${label}: no execution provider could create a session (${attempts
        .map((a) => `${a.provider}: ${a.error ?? "?"}`)
        .join("; ")})`,
    );
  }
}

const silent: SessionLogger = { info() {}, warn() {} };
export const stderrLogger: SessionLogger = {
  info: (m) => console.error(m),
  warn: (m) => console.error(m),
};

/** Libraries a non-bundled provider needs next to onnxruntime-node's binding. */
const PROVIDER_LIBRARIES: Partial<Record<ExecutionProvider, string>> = {
  cuda: "libonnxruntime_providers_cuda.so",
};

function bindingDir(): string | undefined {
  try {
    const main = createRequire(import.meta.url).resolve("onnxruntime-node");
    return path.join(path.dirname(main), "..", "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return undefined;
  }
}

const LIBRARY_DIRS = [
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/usr/lib",
  "/usr/local/lib",
];

function vulkanLoaderInstalled(): boolean {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...LIBRARY_DIRS];
  return dirs.some((d) => existsSync(path.join(d, "libvulkan.so.1")));
}

export const onnxRuntime: SessionRuntime = {
  available() {
    const dir = bindingDir();
    return ort.listSupportedBackends().map(({ name, bundled }) => {
      // onnxruntime-node's WebGPU (Dawn) runs on Vulkan on Linux: without the loader it can only
      // fail, after printing a native warning on every attempt, so it is ruled out up front.
      if (name === "webgpu" && process.platform === "linux" && !vulkanLoaderInstalled()) {
        return {
          name,
          usable: false,
          reason: "libvulkan.so.1 is not installed (WebGPU needs Vulkan on Linux)",
        };
      }
      if (bundled) return { name, usable: true };
      const lib = PROVIDER_LIBRARIES[name as ExecutionProvider];
      if (
        process.platform === "linux" &&
        lib !== undefined &&
        dir !== undefined &&
        !existsSync(path.join(dir, lib))
      ) {
        return {
          name,
          usable: false,
          reason: `not installed (${lib} is absent: onnxruntime-node's postinstall download was skipped)`,
        };
      }
      return { name, usable: true };
    });
  },
  create: (model, options) =>
    typeof model === "string"
      ? ort.InferenceSession.create(model, options)
      : ort.InferenceSession.create(model, options),
};

/** The providers to try, in order, with the reason each dropped one was dropped. */
export function planProviders(
  preferred: readonly ExecutionProvider[],
  runtime: SessionRuntime = onnxRuntime,
): { order: ExecutionProvider[]; skipped: ProviderAttempt[] } {
  const wanted = [...new Set(preferred)];
  if (!wanted.includes("cpu")) wanted.push("cpu");
  const available = new Map(runtime.available().map((b) => [b.name, b]));
  const order: ExecutionProvider[] = [];
  const skipped: ProviderAttempt[] = [];
  for (const provider of wanted) {
    const backend = available.get(provider);
    if (backend === undefined)
      skipped.push({ provider, error: "not offered by this onnxruntime-node build" });
    else if (!backend.usable) skipped.push({ provider, error: backend.reason ?? "not usable" });
    else order.push(provider);
  }
  return { order, skipped };
}

/** Provider-specific session options. */
export function sessionOptionsFor(
  provider: ExecutionProvider,
  options: Pick<SessionFactoryOptions, "cpuThreads" | "deviceId" | "spinWait">,
): ort.InferenceSession.SessionOptions {
  const common: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    interOpNumThreads: 1,
    // session config entry session.intra_op.allow_spinning (onnxruntime_session_options_config_keys.h)
    extra: { session: { intra_op: { allow_spinning: options.spinWait === true ? "1" : "0" } } },
  };
  switch (provider) {
    case "cpu": {
      const threads = options.cpuThreads ?? 0;
      return {
        ...common,
        executionProviders: ["cpu"],
        ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
      };
    }
    case "cuda":
      // The GPU does the work: one CPU thread feeds it.
      return {
        ...common,
        intraOpNumThreads: 1,
        executionProviders: [{ name: "cuda", deviceId: options.deviceId ?? 0 }],
      };
    case "webgpu":
      return { ...common, intraOpNumThreads: 1, executionProviders: ["webgpu"] };
  }
}

/**
 * Creates a session on the first provider that works. `label` names the model in log lines and
 * errors (e.g. `clip-vit-b32/image.onnx`).
 */
export async function createSession(
  model: string | Uint8Array,
  label: string,
  options: SessionFactoryOptions = {},
): Promise<CreatedSession> {
  const runtime = options.runtime ?? onnxRuntime;
  const logger = options.logger ?? silent;
  const { order, skipped } = planProviders(options.providers ?? EXECUTION_PROVIDERS, runtime);
  const attempts: ProviderAttempt[] = [...skipped];
  for (const provider of order) {
    try {
      const session = await runtime.create(model, sessionOptionsFor(provider, options));
      attempts.push({ provider });
      const threads =
        provider === "cpu" && (options.cpuThreads ?? 0) > 0 ? `, ${options.cpuThreads} threads` : "";
      logger.info(`${label}: execution provider ${provider}${threads}`);
      return { session, provider, attempts };
    } catch (error) {
      const reason = providerErrorReason(error);
      attempts.push({ provider, error: reason });
      logger.warn(`${label}: ${provider} could not create the session (${reason}); falling back`);
    }
  }
  throw new SessionCreateError(label, attempts);
}

/** The useful part of an ONNX Runtime error: its first line, without source paths and C++ signatures. */
export function providerErrorReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line =
    text
      .split("\n")
      .map((s) => s.trim())
      .find((s) => s !== "") ?? "unknown error";
  const afterCheck = /\bwas false\.\s*(.+)$/.exec(line);
  const afterCode = /\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*(.+)$/.exec(line);
  return (afterCheck?.[1] ?? afterCode?.[1] ?? line).slice(0, 300);
}
