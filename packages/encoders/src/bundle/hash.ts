import { sha256Hex } from "@cxr/config";

export { sha256File, sha256Hex } from "@cxr/config";

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
