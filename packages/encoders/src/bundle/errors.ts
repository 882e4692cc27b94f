/** What went wrong with a bundle, for callers that branch on it. */
export type BundleErrorCode =
  | "MANIFEST_MISSING"
  | "MANIFEST_INVALID"
  | "FILE_MISSING"
  | "FILE_EMPTY"
  | "CHECKSUM_MISMATCH"
  | "NOT_ONNX"
  | "GRAPH_MISMATCH"
  | "TOKENIZER_INVALID";

export interface ManifestIssue {
  /** Dotted path in manifest.json, e.g. `text.tokenizer.maxLength` or `image.preprocess[2].size`. */
  field: string;
  message: string;
}

/**
 * A model bundle that cannot be used, naming the file and, when it is the manifest's fault, the
 * field: `manifest.json: text.tokenizer.maxLength: expected a positive integer`.
 */
export class BundleError extends Error {
  override readonly name: string = "BundleError";
  constructor(
    readonly code: BundleErrorCode,
    /** The file in the bundle, relative to its folder (`manifest.json`, `image.onnx`, ...). */
    readonly file: string,
    /** The manifest field concerned, when there is one. */
    readonly field: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown; message?: string },
  ) {
    super(options?.message ?? [file, field, reason].filter((s) => s !== undefined).join(": "), options);
  }
}

/** A manifest that fails validation: one issue per bad field, each on its own line of the message. */
export class ManifestError extends BundleError {
  override readonly name = "ManifestError";
  constructor(
    readonly issues: ManifestIssue[],
    file = "manifest.json",
  ) {
    const first = issues[0] ?? { field: "", message: "invalid manifest" };
    super("MANIFEST_INVALID", file, first.field || undefined, first.message, {
      message: issues.map((i) => `${file}: ${i.field ? `${i.field}: ` : ""}${i.message}`).join("\n"),
    });
  }
}

export function isBundleError(error: unknown): error is BundleError {
  return error instanceof BundleError;
}
