import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * The one sha256 of the product (every package may depend on @cxr/config): content addresses,
 * fingerprints, checksums of downloads and model files.
 */

/** sha256 of a string (UTF-8) or bytes, as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 of a string (UTF-8) or bytes, as raw bytes. */
export function sha256Bytes(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** sha256 of a file, streamed (model weights and dataset archives can be large), as lowercase hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
