import { createHash } from "node:crypto";

/** sha256 of a string (UTF-8) or bytes, as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 of a string (UTF-8) or bytes, as raw bytes. */
export function sha256Bytes(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
