import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { parse } from "csv-parse";

export type DatasetErrorCode =
  /** A file or folder the source needs is not there. */
  | "SOURCE_NOT_FOUND"
  /** The source is there but cannot be read as its layout says (header, encoding, empty). */
  | "SOURCE_INVALID"
  /** A bad argument (an empty dataset name). */
  | "INVALID_ARGUMENT"
  /** The name is taken by a dataset ingested from another source. */
  | "NAME_CONFLICT"
  /** No adapter of this name. */
  | "UNKNOWN_ADAPTER"
  /** No dataset of this name (in the database, or among the public ones to pull). */
  | "UNKNOWN_DATASET"
  /** A download did not complete (HTTP status, network, cut short): run again to resume. */
  | "DOWNLOAD_FAILED"
  /** A downloaded archive's sha256 is not the expected one (it was removed). */
  | "CHECKSUM_MISMATCH"
  /** A downloaded archive cannot be unpacked. */
  | "UNPACK_FAILED"
  /** The ingest ran and took no study: every item was skipped, or the source had none. */
  | "EMPTY_INGEST";

/** A problem with a whole source (a missing file, a header without a needed column): fatal. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  constructor(
    readonly code: DatasetErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a UTF-8 buffer (BOM dropped), or undefined when it is not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return undefined;
  }
}

/** A byte stream of a file, gunzipped when it ends in .gz. */
export function openBytes(file: string): Readable {
  const raw = createReadStream(file);
  if (!file.endsWith(".gz")) return raw;
  const gunzip = createGunzip();
  raw.on("error", (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Where a relative path leads: inside the root, or why not. */
export type Located =
  | { ok: true; path: string }
  /** `escapes`: "..", an absolute path elsewhere or an empty path; `link-outside`: a symbolic link
   * (the file or a folder on its way) whose target lies outside the root. */
  | { ok: false; why: "escapes" | "link-outside" };

/**
 * `relative` resolved inside `root`, or why it is not: it escapes the root as written
 * ("../../etc/passwd", an absolute path elsewhere), or it is written inside the root but a symbolic
 * link on the way leads outside.
 */
export async function locateInside(root: string, relative: string): Promise<Located> {
  if (relative.includes("\0")) return { ok: false, why: "escapes" };
  const absoluteRoot = path.resolve(root);
  const full = path.resolve(absoluteRoot, relative);
  const inside = (p: string, r: string) => {
    const rel = path.relative(r, p);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  };
  if (!inside(full, absoluteRoot)) return { ok: false, why: "escapes" };
  try {
    const [realFull, realRoot] = await Promise.all([realpath(full), realpath(absoluteRoot)]);
    if (!inside(realFull, realRoot)) return { ok: false, why: "link-outside" };
  } catch {
    // a missing file is reported by the caller as missing, not as outside
  }
  return { ok: true, path: full };
}

/** `relative` resolved inside `root`, or undefined when it leads outside (see `locateInside`). */
export async function resolveInside(root: string, relative: string): Promise<string | undefined> {
  const located = await locateInside(root, relative);
  return located.ok ? located.path : undefined;
}

export type CsvItem =
  | { ok: true; line: number; row: Record<string, string> }
  | { ok: false; line: number; reason: "malformed-record" | "non-utf8" | "missing-column"; detail: string };

export interface CsvOptions {
  /** Columns the file must have; a header without one of them is a DatasetError. */
  required?: string[];
  delimiter?: string;
}

/**
 * Streams a CSV (gzipped when the name ends in .gz) as objects keyed by the header. Malformed
 * records, non-UTF-8 fields and short rows come back as items with a reason; parsing goes on.
 */
export async function* readCsv(file: string, options: CsvOptions = {}): AsyncGenerator<CsvItem> {
  const errors: CsvItem[] = [];
  const parser = openBytes(file).pipe(
    parse({
      encoding: null,
      delimiter: options.delimiter ?? ",",
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
      on_skip: (error) => {
        errors.push({
          ok: false,
          line: Number(error?.lines ?? 0),
          reason: "malformed-record",
          detail: error ? error.message.replace(/: got .*? at line/, " at line").slice(0, 160) : "unparsable",
        });
        return undefined;
      },
    }),
  );
  let header: string[] | undefined;
  const base = path.basename(file);
  try {
    for await (const item of parser as AsyncIterable<{ record: Buffer[]; info: { lines: number } }>) {
      yield* errors.splice(0);
      const line = item.info.lines;
      const fields: string[] = [];
      let bad = false;
      for (const field of item.record) {
        const text = decodeUtf8(field);
        if (text === undefined) {
          bad = true;
          break;
        }
        fields.push(text);
      }
      if (header === undefined) {
        if (bad) throw new DatasetError("SOURCE_INVALID", `${base}: the header line is not valid UTF-8`);
        header = fields.map((f) => f.trim());
        const missing = (options.required ?? []).filter((c) => !header!.includes(c));
        if (missing.length > 0) {
          throw new DatasetError(
            "SOURCE_INVALID",
            `${base}: missing column(s) ${missing.join(", ")} (has ${header.join(", ")})`,
          );
        }
        continue;
      }
      if (bad) {
        yield { ok: false, line, reason: "non-utf8", detail: `${base}:${line} is not valid UTF-8` };
        continue;
      }
      if (fields.length < header.length) {
        const absent = header.slice(fields.length);
        if ((options.required ?? []).some((c) => absent.includes(c))) {
          yield {
            ok: false,
            line,
            reason: "missing-column",
            detail: `${base}:${line} has ${fields.length} of ${header.length} columns`,
          };
          continue;
        }
      }
      const row: Record<string, string> = {};
      header.forEach((name, i) => {
        row[name] = fields[i] ?? "";
      });
      yield { ok: true, line, row };
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new DatasetError("SOURCE_NOT_FOUND", `${base}: file not found`);
    // a truncated gzip or an unrecoverable parse error ends the file, reported as one item
    yield* errors.splice(0);
    yield { ok: false, line: 0, reason: "malformed-record", detail: `${base}: ${message.slice(0, 160)}` };
    return;
  }
  yield* errors.splice(0);
  if (header === undefined) throw new DatasetError("SOURCE_INVALID", `${base}: empty file`);
}

export type LineItem =
  | { ok: true; line: number; text: string }
  | { ok: false; line: number; reason: "non-utf8" };

/** Streams the lines of a text file (gzipped when .gz) with their 1-based numbers; bad UTF-8 per line. */
export async function* readLines(file: string): AsyncGenerator<LineItem> {
  let pending: Buffer[] = [];
  let line = 0;
  const emit = (bytes: Buffer): LineItem => {
    line++;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const text = decodeUtf8(bytes.subarray(0, end));
    return text === undefined ? { ok: false, line, reason: "non-utf8" } : { ok: true, line, text };
  };
  try {
    for await (const chunk of openBytes(file) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
        pending.push(chunk.subarray(start, i));
        yield emit(Buffer.concat(pending));
        pending = [];
        start = i + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new DatasetError("SOURCE_NOT_FOUND", `${path.basename(file)}: file not found`);
    }
    throw new DatasetError(
      "SOURCE_INVALID",
      `${path.basename(file)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (pending.length > 0) yield emit(Buffer.concat(pending));
}
