import { createReadStream } from "node:fs";
import { CliError } from "./errors.ts";

/**
 * A limit on the size of the command line, checked before anything else runs.
 *
 * Why: onnxruntime-node 1.30.0 overflows its native stack in InferenceSession.create when the
 * process arguments hold about 29 KB or more in all (one long string or many short ones): the
 * process dies with SIGSEGV, exit 139 and no message (see packages/encoders/README.md for the
 * three-line reproduction). 20 KB in all still works; 16 KiB leaves a margin. Long query text goes
 * through a file or standard input instead (`cxr search --text-file FILE`, `--text-file -`).
 */

/** The most bytes (UTF-8) all arguments after the script path may hold together. */
export const MAX_ARGUMENT_BYTES = 16 * 1024;

/** The one-line refusal for `args` (process.argv without node and the script), or null when they fit. */
export function argumentLimitViolation(args: readonly string[]): string | null {
  const bytes = args.reduce((sum, arg) => sum + Buffer.byteLength(arg, "utf8"), 0);
  if (bytes <= MAX_ARGUMENT_BYTES) return null;
  return (
    `the arguments hold ${bytes} bytes, over the limit of ${MAX_ARGUMENT_BYTES} bytes (16 KiB) in all ` +
    "(ONNX Runtime crashes on longer command lines): pass long query text from a file with " +
    "--text-file FILE, or from standard input with --text-file -"
  );
}

/** Query text read from a file: more than any tokenizer keeps, yet bounded (a wrong file is refused, not slurped). */
export const MAX_QUERY_TEXT_BYTES = 1024 * 1024;

/**
 * The query text in `file`, or in standard input when `file` is "-" (UTF-8). Throws a one-line
 * error for a file that cannot be read, is larger than MAX_QUERY_TEXT_BYTES or holds only blanks.
 */
export async function readQueryText(
  file: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  const source = file === "-" ? "standard input" : file;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const stream = file === "-" ? stdin : createReadStream(file);
    for await (const chunk of stream) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      if (size > MAX_QUERY_TEXT_BYTES) {
        if ("destroy" in stream && typeof stream.destroy === "function") stream.destroy();
        throw new CliError(`${source} holds more than ${MAX_QUERY_TEXT_BYTES} bytes: not a query text`);
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${source}: ${code === "ENOENT" ? "no such file" : (code ?? "read error")}`,
    );
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new CliError(`${source} holds no query text`);
  return text;
}
