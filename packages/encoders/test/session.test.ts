import { describe, expect, it } from "vitest";
import {
  createSession,
  onnxRuntime,
  planProviders,
  providerErrorReason,
  SessionCreateError,
  type SessionRuntime,
  sessionOptionsFor,
} from "../src/index.ts";
import { tinyImageModel } from "../src/testing/index.ts";

/** A runtime where `available` providers exist and those in `failing` throw on session creation. */
function fakeRuntime(available: string[], failing: Record<string, string> = {}) {
  const created: unknown[] = [];
  const runtime: SessionRuntime = {
    available: () => available.map((name) => ({ name, usable: true })),
    async create(model, options) {
      const provider = options.executionProviders?.[0];
      const name = typeof provider === "string" ? provider : (provider as { name: string }).name;
      created.push(options);
      if (name in failing) throw new Error(`${failing[name]}\nsecond line of native detail`);
      return onnxRuntime.create(model, { ...options, executionProviders: ["cpu"] });
    },
  };
  return { runtime, created };
}

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    logger: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) },
  };
}

describe("execution provider planning", () => {
  it("intersects the preference order with what is available and always ends with cpu", () => {
    const { runtime } = fakeRuntime(["cpu", "webgpu"]);
    const plan = planProviders(["cuda", "webgpu"], runtime);
    expect(plan.order).toEqual(["webgpu", "cpu"]);
    expect(plan.skipped).toEqual([{ provider: "cuda", error: "not offered by this onnxruntime-node build" }]);
    expect(planProviders(["cpu", "webgpu"], runtime).order).toEqual(["cpu", "webgpu"]);
  });

  it("skips a provider whose libraries are not installed, with the reason", () => {
    const runtime: SessionRuntime = {
      available: () => [
        { name: "cpu", usable: true },
        { name: "cuda", usable: false, reason: "not installed" },
      ],
      create: onnxRuntime.create,
    };
    expect(planProviders(["cuda", "cpu"], runtime)).toEqual({
      order: ["cpu"],
      skipped: [{ provider: "cuda", error: "not installed" }],
    });
  });

  it("sets threads per provider", () => {
    expect(sessionOptionsFor("cpu", { cpuThreads: 2 })).toMatchObject({
      executionProviders: ["cpu"],
      intraOpNumThreads: 2,
    });
    expect(sessionOptionsFor("cpu", { cpuThreads: 0 })).not.toHaveProperty("intraOpNumThreads");
    // idle intra-op threads sleep unless asked to busy-wait (they would take the cores that
    // preprocessing and the server need)
    const spinning = (o: ReturnType<typeof sessionOptionsFor>) =>
      (o.extra as { session: { intra_op: { allow_spinning: string } } }).session.intra_op.allow_spinning;
    expect(spinning(sessionOptionsFor("cpu", { cpuThreads: 2 }))).toBe("0");
    expect(spinning(sessionOptionsFor("cpu", { cpuThreads: 2, spinWait: true }))).toBe("1");
    expect(sessionOptionsFor("cuda", { deviceId: 1 })).toMatchObject({
      executionProviders: [{ name: "cuda", deviceId: 1 }],
      intraOpNumThreads: 1,
    });
  });

  it("keeps the useful part of ONNX Runtime's error messages", () => {
    const webgpu =
      "/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n";
    expect(providerErrorReason(new Error(webgpu))).toBe(
      "Failed to get a WebGPU adapter: No supported adapters",
    );
    const cuda =
      "/x/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_shared.so";
    expect(providerErrorReason(new Error(cuda))).toBe(
      "Failed to load library libonnxruntime_providers_shared.so",
    );
    expect(providerErrorReason("plain")).toBe("plain");
  });

  it("the real runtime offers cpu", () => {
    expect(onnxRuntime.available().find((b) => b.name === "cpu")?.usable).toBe(true);
  });
});

describe("createSession", () => {
  const model = tinyImageModel();

  it("falls back to the next provider with a logged reason and reports the one chosen", async () => {
    const { runtime } = fakeRuntime(["cuda", "webgpu", "cpu"], {
      cuda: "CUDA driver not found",
      webgpu: "no adapter",
    });
    const { lines, logger } = recorder();
    const created = await createSession(model, "tiny/image.onnx", { runtime, logger, cpuThreads: 1 });
    expect(created.provider).toBe("cpu");
    expect(created.attempts).toEqual([
      { provider: "cuda", error: "CUDA driver not found" },
      { provider: "webgpu", error: "no adapter" },
      { provider: "cpu" },
    ]);
    expect(lines).toEqual([
      "warn tiny/image.onnx: cuda could not create the session (CUDA driver not found); falling back",
      "warn tiny/image.onnx: webgpu could not create the session (no adapter); falling back",
      "info tiny/image.onnx: execution provider cpu, 1 threads",
    ]);
    expect(created.session.inputNames).toEqual(["pixel_values"]);
    await created.session.release();
  });

  it("uses the first provider that works, in the configured order", async () => {
    const { runtime, created } = fakeRuntime(["cuda", "webgpu", "cpu"]);
    const session = await createSession(model, "m", { runtime, providers: ["webgpu", "cuda"] });
    expect(session.provider).toBe("webgpu");
    expect(created).toHaveLength(1);
    await session.session.release();
  });

  it("throws a typed error listing every provider's reason when none works", async () => {
    const { runtime } = fakeRuntime(["cpu"], { cpu: "broken" });
    await expect(createSession(model, "m", { runtime, providers: ["cuda"] })).rejects.toThrow(
      SessionCreateError,
    );
    await expect(createSession(model, "m", { runtime, providers: ["cuda"] })).rejects.toThrow(
      "m: no execution provider could create a session (cuda: not offered by this onnxruntime-node build; cpu: broken)",
    );
  });

  it("on this machine's onnxruntime-node, preferring webgpu ends on a provider that runs the model", async () => {
    const { lines, logger } = recorder();
    const created = await createSession(model, "tiny", { providers: ["webgpu", "cpu"], logger });
    expect(["webgpu", "cpu"]).toContain(created.provider);
    if (created.provider === "cpu") {
      // webgpu came first and was not used: ruled out up front (no Vulkan loader), or tried and its
      // failure logged (no adapter on a machine without a GPU)
      expect(created.attempts[0]).toMatchObject({ provider: "webgpu", error: expect.any(String) });
      if (!created.attempts[0]!.error!.includes("libvulkan")) {
        expect(lines[0]).toMatch(/^warn tiny: webgpu could not create the session/);
      }
    }
    expect(lines.at(-1)).toBe(`info tiny: execution provider ${created.provider}`);
    await created.session.release();
  });
});
