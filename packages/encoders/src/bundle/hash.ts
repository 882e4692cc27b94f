import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 of a file, streamed (ONNX weights can be hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The model fingerprint (BUNDLE.md): sha256 of the text made of one `name:sha256\n` line per ONNX
 * file, sorted by name (code-unit order), followed by `<sha256 of manifest.json>\n`.
 */
export function modelFingerprint(onnxFiles: Record<string, string>, manifestSha256: string): string {
  const lines = Object.keys(onnxFiles)
    .sort()
    .map((name) => `${name}:${onnxFiles[name]}\n`);
  return sha256Hex(`${lines.join("")}${manifestSha256}\n`);
}
