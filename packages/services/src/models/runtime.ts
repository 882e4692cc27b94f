import {
  BundleError,
  type LoadedBundle,
  ModelEncoder,
  type SelfTestCheck,
  type SelfTestReport,
  SessionCreateError,
} from "@cxr/encoders";
import type { ModelsConfig } from "./registry.ts";

/** What loading a bundle into ONNX Runtime and running its self-test showed. */
export interface RuntimeCheck {
  providers: { image: string; text: string };
  selfTest: SelfTestReport;
}

/** The encoder's self-test ran and a check failed: names the graph file and the manifest field at fault. */
export class SelfTestError extends Error {
  override readonly name = "SelfTestError";
  constructor(
    readonly file: string,
    readonly field: string,
    readonly failed: SelfTestCheck,
    readonly report: SelfTestReport,
  ) {
    super(`${file}: ${field}: self-test failed: ${failed.name}: ${failed.detail}`);
  }
}

/**
 * Loads both sessions (graphs checked against the manifest: input names, dtypes, shapes, output
 * width = dimension) and runs the encoder's self-test. Throws BundleError naming the file and field.
 */
export async function runtimeCheck(bundle: LoadedBundle, config: ModelsConfig): Promise<RuntimeCheck> {
  let encoder: ModelEncoder;
  try {
    encoder = await ModelEncoder.create(bundle, {
      providers: config.executionProviders,
      cpuThreads: config.cpuThreads,
      batchSize: 4,
      concurrency: 1,
    });
  } catch (error) {
    throw asBundleError(error, bundle);
  }
  try {
    const report = await encoder.selfTest();
    const failed = report.checks.find((c) => !c.ok);
    if (failed) throw selfTestError(failed, report, bundle);
    return {
      providers: { image: encoder.info.providers.image, text: encoder.info.providers.text },
      selfTest: report,
    };
  } catch (error) {
    throw asBundleError(error, bundle);
  } finally {
    await encoder.close();
  }
}

/** A session that ONNX Runtime cannot create means the file is not a usable ONNX graph: name it. */
function asBundleError(error: unknown, bundle: LoadedBundle): unknown {
  if (error instanceof BundleError) return error;
  if (error instanceof SessionCreateError) {
    const { image, text } = bundle.manifest;
    const file = error.label.endsWith(`/${image.onnx}`) ? image.onnx : text.onnx;
    const field = file === image.onnx ? "image.onnx" : "text.onnx";
    const reason =
      error.attempts.find((a) => a.error !== undefined && a.provider === "cpu")?.error ?? error.message;
    return new BundleError("NOT_ONNX", file, field, `ONNX Runtime cannot load it (${reason})`, {
      cause: error,
    });
  }
  return error;
}

function selfTestError(failed: SelfTestCheck, report: SelfTestReport, bundle: LoadedBundle): SelfTestError {
  const { image, text } = bundle.manifest;
  const side = failed.name.startsWith("image") ? "image" : "text";
  const file = side === "image" ? image.onnx : text.onnx;
  const field = failed.name.endsWith("shape")
    ? "dimension"
    : failed.name.endsWith("unit norm")
      ? "normalize"
      : failed.name.includes("single = batched")
        ? "text.tokenizer.padding"
        : side;
  return new SelfTestError(file, field, failed, report);
}
