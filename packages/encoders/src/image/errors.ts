/** Why an input could not be turned into pixels. */
export type ImageDecodeErrorCode =
  | "CORRUPT"
  | "TRUNCATED"
  | "UNSUPPORTED_FORMAT"
  | "EMPTY"
  | "TOO_LARGE"
  | "DICOM_NO_PIXELS"
  | "DICOM_UNSUPPORTED_SYNTAX";

/** A typed, per-input decode failure: it names the input and the reason, and never crashes a batch. */
export class ImageDecodeError extends Error {
  override readonly name = "ImageDecodeError";
  readonly code: ImageDecodeErrorCode;
  /** The input's name (file name, id), or "<input>" when none was given. */
  readonly input: string;

  constructor(
    code: ImageDecodeErrorCode,
    input: string | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    const label = input ?? "<input>";
    super(`${label}: ${code}: ${reason}`, options);
    this.code = code;
    this.input = label;
  }
}

export function isImageDecodeError(error: unknown): error is ImageDecodeError {
  return error instanceof ImageDecodeError;
}
