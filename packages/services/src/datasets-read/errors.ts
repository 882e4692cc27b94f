import { type ErrorKind, ServiceError } from "../errors/service-error.ts";

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

const KIND: Record<CatalogErrorCode, ErrorKind> = {
  UNKNOWN_DATASET: "not-found",
  UNKNOWN_STUDY: "not-found",
  UNKNOWN_IMAGE: "not-found",
  INVALID_ARGUMENT: "invalid",
  IMAGE_UNREADABLE: "unavailable",
};

export class CatalogError extends ServiceError {
  override readonly name = "CatalogError";
  declare readonly code: CatalogErrorCode;
  constructor(code: CatalogErrorCode, message: string, options?: { cause?: unknown }) {
    super(KIND[code], code, message, options);
  }
}

export function isCatalogError(error: unknown, code?: CatalogErrorCode): error is CatalogError {
  return error instanceof CatalogError && (code === undefined || error.code === code);
}
