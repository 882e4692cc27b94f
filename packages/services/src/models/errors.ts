import { firstLine } from "@cxr/config";
import { BundleError } from "@cxr/encoders";
import { type ErrorKind, ServiceError } from "../errors/service-error.ts";
import { SelfTestError } from "./runtime.ts";
import type { ModelSource } from "./sources.ts";

/**
 * What went wrong with a model use case, for callers that branch on it. The kind follows from the
 * code (faces map kinds, not codes: ../errors/service-error.ts).
 */
export type ModelErrorCode =
  /** No model with this id is registered. */
  | "NOT_FOUND"
  /** A model with this id is already registered (remove it first). */
  | "ALREADY_EXISTS"
  /** The bundle cannot be used: manifest, a file, a checksum, the graphs or the self-test. */
  | "INVALID_BUNDLE"
  /** A registered model no longer passes its checks (files changed, self-test fails). */
  | "VERIFY_FAILED"
  /** `pull` was given an id it knows nothing about. */
  | "UNKNOWN_MODEL"
  /** A known model whose weights cannot be downloaded ready-made: see `instructions`. */
  | "NOT_PULLABLE"
  /** The download did not complete: HTTP status, timeout, network, wrong content or checksum. */
  | "DOWNLOAD_FAILED"
  /** CXR_MODELS_DIR cannot be created or written (permissions, read-only file system, full disk). */
  | "MODELS_DIR_UNWRITABLE";

const KIND: Record<ModelErrorCode, ErrorKind> = {
  NOT_FOUND: "not-found",
  ALREADY_EXISTS: "conflict",
  INVALID_BUNDLE: "invalid",
  UNKNOWN_MODEL: "not-found",
  NOT_PULLABLE: "invalid",
  VERIFY_FAILED: "failed",
  DOWNLOAD_FAILED: "failed",
  MODELS_DIR_UNWRITABLE: "unavailable",
};

export class ModelError extends ServiceError {
  override readonly name = "ModelError";
  declare readonly code: ModelErrorCode;
  /** The model id concerned, when known. */
  readonly modelId: string | undefined;
  /** The file concerned: a bundle file (`image.onnx`, `manifest.json`) or a download URL path. */
  readonly file: string | undefined;
  /** The manifest field concerned (`files.image.onnx`, `dimension`, `text.inputs.inputIds`). */
  readonly field: string | undefined;
  /** The underlying BundleError's code when the bundle is at fault. */
  readonly bundleCode: string | undefined;

  constructor(
    code: ModelErrorCode,
    message: string,
    options: { modelId?: string; file?: string; field?: string; bundleCode?: string; cause?: unknown } = {},
  ) {
    super(KIND[code], code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.modelId = options.modelId;
    this.file = options.file;
    this.field = options.field;
    this.bundleCode = options.bundleCode;
  }

  /** Wraps a BundleError (or an unexpected failure while checking a bundle) with the file and field. */
  static fromBundle(
    code: "INVALID_BUNDLE" | "VERIFY_FAILED",
    error: unknown,
    context: { modelId?: string; dir: string },
  ): ModelError {
    if (error instanceof ModelError) return error;
    if (error instanceof BundleError || error instanceof SelfTestError) {
      return new ModelError(code, `${context.dir}/${summary(error.message)}`, {
        modelId: context.modelId,
        file: error.file,
        field: error.field,
        bundleCode: error instanceof BundleError ? error.code : "SELF_TEST_FAILED",
        cause: error,
      });
    }
    return new ModelError(code, `${context.dir}: ${firstLine(error)}`, {
      modelId: context.modelId,
      cause: error,
    });
  }
}

/** A known model that is not downloadable ready-made: where to get it and how to export it. */
export class NotPullableError extends ModelError {
  constructor(readonly instructions: ModelSource) {
    super(
      "NOT_PULLABLE",
      `${instructions.id}: no ready ONNX export to download; obtain the checkpoint and export it (see instructions)`,
      { modelId: instructions.id },
    );
  }
}

export function isModelError(error: unknown): error is ModelError {
  return error instanceof ModelError;
}

/** One line: the first issue, and how many more a multi-issue manifest error holds. */
function summary(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const more = lines.length - 1;
  return more > 0 ? `${lines[0]} (and ${more} more issue${more === 1 ? "" : "s"})` : (lines[0] ?? text);
}
