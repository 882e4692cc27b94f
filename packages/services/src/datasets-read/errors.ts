/** Typed errors of the read side of datasets (the API's datasets, studies and images). */
export type CatalogErrorCode =
  /** No dataset with this id or name. */
  | "UNKNOWN_DATASET"
  /** No study with this id. */
  | "UNKNOWN_STUDY"
  /** No image with this id. */
  | "UNKNOWN_IMAGE"
  /** A bad page size or cursor. */
  | "INVALID_ARGUMENT"
  /** The image row exists but its file cannot be read or decoded any more. */
  | "IMAGE_UNREADABLE";

export class CatalogError extends Error {
  override readonly name = "CatalogError";
  constructor(
    readonly code: CatalogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCatalogError(error: unknown, code?: CatalogErrorCode): error is CatalogError {
  return error instanceof CatalogError && (code === undefined || error.code === code);
}
