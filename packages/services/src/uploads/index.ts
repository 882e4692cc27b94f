import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeImage, encodePng, isImageDecodeError } from "@cxr/encoders";
import { type ErrorKind, ServiceError } from "../errors/service-error.ts";

/**
 * Uploaded query images (the API's `POST /uploads`): checked and decoded once, stored as a
 * metadata-free PNG under an id that is the sha256 of the uploaded bytes (the same bytes twice give
 * the same id and one file), and deleted once older than the time to live. Search reads them back by
 * id, so a client never sends the same image twice.
 */

export type UploadErrorCode =
  /** 0 bytes. */
  | "EMPTY"
  /** More bytes than the byte limit, or more pixels than the pixel limit (read from the header). */
  | "TOO_LARGE"
  /** Not PNG, JPEG or DICOM (HTML saved as .png, a PDF, ...). */
  | "UNSUPPORTED_FORMAT"
  /** The header is fine but the data is cut short. */
  | "TRUNCATED"
  /** The data cannot be decoded, or a DICOM without pixels or with a compressed transfer syntax. */
  | "CORRUPT"
  /** No upload with this id (never uploaded, or expired and deleted). */
  | "UNKNOWN_UPLOAD";

// Every refusal is the request's fault except an upload that is gone (expired or never made).
const UPLOAD_KIND: Record<UploadErrorCode, ErrorKind> = {
  EMPTY: "invalid",
  TOO_LARGE: "invalid",
  UNSUPPORTED_FORMAT: "invalid",
  TRUNCATED: "invalid",
  CORRUPT: "invalid",
  UNKNOWN_UPLOAD: "not-found",
};

export class UploadError extends ServiceError {
  override readonly name = "UploadError";
  declare readonly code: UploadErrorCode;
  constructor(code: UploadErrorCode, message: string, options?: { cause?: unknown }) {
    super(UPLOAD_KIND[code], code, message, options);
  }
}

export function isUploadError(error: unknown, code?: UploadErrorCode): error is UploadError {
  return error instanceof UploadError && (code === undefined || error.code === code);
}

export interface UploadLimits {
  /** Largest upload in bytes (default 32 MiB). */
  maxBytes: number;
  /** Most pixels (default 50 megapixels: a 30,000 x 30,000 image is refused from its header). */
  maxPixels: number;
  /** How long an upload is kept, in milliseconds (default one hour). */
  ttlMs: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxBytes: 32 * 1024 * 1024,
  maxPixels: 50_000_000,
  ttlMs: 60 * 60 * 1000,
};

export interface UploadedImage {
  /** sha256 of the uploaded bytes, hex. */
  id: string;
  width: number;
  height: number;
  /** png, jpeg or dicom: the format that was uploaded (it is stored as PNG). */
  format: string;
  expiresAt: Date;
}

const ID = /^[0-9a-f]{64}$/;

export class UploadStore {
  readonly limits: UploadLimits;
  constructor(
    /** A folder of its own (e.g. <dataDir>/uploads): files in it that are not uploads are ignored. */
    readonly dir: string,
    limits: Partial<UploadLimits> = {},
  ) {
    this.limits = { ...DEFAULT_UPLOAD_LIMITS, ...limits };
  }

  /** Checks, decodes and keeps an image; typed UploadError (and nothing written) when it cannot be used. */
  async save(bytes: Uint8Array, now = new Date()): Promise<UploadedImage> {
    if (bytes.byteLength === 0) throw new UploadError("EMPTY", "the upload is empty (0 bytes)");
    if (bytes.byteLength > this.limits.maxBytes) {
      throw new UploadError(
        "TOO_LARGE",
        `the upload has ${bytes.byteLength} bytes, over the limit of ${this.limits.maxBytes}`,
      );
    }
    const id = createHash("sha256").update(bytes).digest("hex");
    let decoded: Awaited<ReturnType<typeof decodeImage>>;
    try {
      // decodeImage reads the size from the header and refuses a bomb before decoding any pixel
      decoded = await decodeImage(bytes, { name: "upload", maxPixels: this.limits.maxPixels });
    } catch (error) {
      if (!isImageDecodeError(error)) throw error;
      const code: UploadErrorCode =
        error.code === "DICOM_NO_PIXELS" || error.code === "DICOM_UNSUPPORTED_SYNTAX"
          ? "CORRUPT"
          : error.code;
      throw new UploadError(code, error.message.replace(/^upload: /, ""), { cause: error });
    }
    const format = decoded.source?.format ?? "unknown";
    const file = this.file(id);
    await mkdir(this.dir, { recursive: true });
    const png = await encodePng(decoded);
    // write then rename: a concurrent reader never sees half a file
    const partial = `${file}.${process.pid}.${Date.now()}.partial`;
    await writeFile(partial, png);
    await rename(partial, file);
    await utimes(file, now, now);
    return {
      id,
      width: decoded.width,
      height: decoded.height,
      format,
      expiresAt: new Date(now.getTime() + this.limits.ttlMs),
    };
  }

  /** The stored PNG of an upload; UNKNOWN_UPLOAD when it does not exist or has expired. */
  async read(id: string, now = new Date()): Promise<Buffer> {
    if (!ID.test(id)) throw new UploadError("UNKNOWN_UPLOAD", "an upload id is 64 hex digits");
    const file = this.file(id);
    try {
      const info = await stat(file);
      if (info.mtimeMs + this.limits.ttlMs <= now.getTime()) {
        await this.remove(id);
        throw new UploadError("UNKNOWN_UPLOAD", `upload "${id}" has expired`);
      }
      return await readFile(file);
    } catch (error) {
      if (error instanceof UploadError) throw error;
      throw new UploadError("UNKNOWN_UPLOAD", `no upload "${id}" (never uploaded, or expired)`);
    }
  }

  /** Deletes expired uploads; returns how many. Called periodically by the server. */
  async purgeExpired(now = new Date()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const id = name.slice(0, -".png".length);
      if (!name.endsWith(".png") || !ID.test(id)) continue;
      try {
        const info = await stat(this.file(id));
        if (info.mtimeMs + this.limits.ttlMs <= now.getTime()) {
          await this.remove(id);
          removed++;
        }
      } catch {
        // removed meanwhile
      }
    }
    return removed;
  }

  private async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.png`);
  }
}
