import { open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { looksLikeHtml, sha256File } from "@cxr/encoders";
import { ServiceError } from "../errors/service-error.ts";

/**
 * The product's one downloader (model weights from the hub, dataset archives from their hosts).
 * One file over HTTP(S), resumable: bytes go to `<dest>.partial` (appended to with an HTTP Range
 * request when a previous attempt or run was cut off), and the file is renamed to `dest` only when
 * complete and, when the server told us its sha256, matching it. Hugging Face serves the sha256 of
 * LFS files in `X-Linked-Etag` (on the hub's redirect) or `ETag`; a git blob's ETag (40 hex digits)
 * is not a sha256 and is ignored. The sha256 of what was downloaded is returned either way.
 */

export interface DownloadProgress {
  /** The file's name as the caller labels it (e.g. `image.onnx`). */
  file: string;
  /** Bytes on disk so far, including those of an earlier attempt. */
  received: number;
  /** Total bytes when the server said, else undefined. */
  total: number | undefined;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Label used in progress and errors. */
  label: string;
  /** What the file must be: `binary` refuses an HTML page, `json` must parse as JSON. */
  kind: "binary" | "json";
  /** Known sha256 (overrides the one the server sends). */
  expectedSha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Time to wait for the response headers and, after that, between two chunks of the body. Default 30 s. */
  timeoutMs?: number;
  /** Attempts after a cut-off transfer, each resuming with a Range request. Default 3. */
  retries?: number;
  signal?: AbortSignal;
  /**
   * The error a failed download becomes (the use case's own, e.g. ModelError DOWNLOAD_FAILED).
   * Default: a ServiceError of kind `failed`, code DOWNLOAD_FAILED.
   */
  failure?: (message: string, options: { file: string; cause?: unknown }) => Error;
}

const defaultFailure = (message: string, options: { cause?: unknown }) =>
  new ServiceError("failed", "DOWNLOAD_FAILED", message, options);

export interface DownloadResult {
  file: string;
  url: string;
  size: number;
  sha256: string;
  /** The sha256 the server announced (X-Linked-Etag / ETag), when it did. */
  announcedSha256: string | undefined;
  /** True when the file was already complete from an earlier run (no transfer). */
  cached: boolean;
  /** Bytes resumed from an earlier cut-off attempt (0 when started from scratch). */
  resumedFrom: number;
}

interface PartialMeta {
  url: string;
  announcedSha256?: string;
}

interface DoneMeta {
  url: string;
  sha256: string;
  size: number;
  announcedSha256?: string;
}

const MAX_REDIRECTS = 10;

export async function download(options: DownloadOptions): Promise<DownloadResult> {
  const { dest, url } = options;
  const done = await readJson<DoneMeta>(`${dest}.download.json`);
  if (done?.url === url && (await sizeOf(dest)) === done.size && (await sha256File(dest)) === done.sha256) {
    options.onProgress?.({ file: options.label, received: done.size, total: done.size });
    return {
      file: options.label,
      url,
      size: done.size,
      sha256: done.sha256,
      announcedSha256: done.announcedSha256,
      cached: true,
      resumedFrom: 0,
    };
  }
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptDownload(options);
    } catch (error) {
      // A cut-off transfer is retried; the next attempt resumes from what reached the disk.
      if (!(error instanceof TransferCut)) throw error;
      if (attempt >= retries) throw error.final;
    }
  }
}

/** A transfer that stopped part-way (connection reset, idle timeout): worth resuming. */
class TransferCut extends Error {
  constructor(readonly final: Error) {
    super(final.message);
  }
}

async function attemptDownload(
  options: DownloadOptions,
): Promise<Omit<DownloadResult, "cached"> & { cached: false }> {
  const { dest, url, label } = options;
  const partial = `${dest}.partial`;
  const metaFile = `${partial}.json`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let offset = await sizeOf(partial);
  const meta = await readJson<PartialMeta>(metaFile);
  if (offset > 0 && meta?.url !== url) {
    await rm(partial, { force: true });
    offset = 0;
  }

  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, timeoutMs);
  };
  const ours = new WeakSet<Error>();
  const fail = (message: string, cause?: unknown) => {
    const error = (options.failure ?? defaultFailure)(`${label}: ${message} (${url})`, {
      file: label,
      cause,
    });
    ours.add(error);
    return error;
  };

  try {
    arm();
    const send = (from: number) =>
      request(url, from, controller.signal).catch((error: unknown) => {
        if (options.signal?.aborted) throw fail("interrupted", error);
        if (timedOut) throw new TransferCut(fail(`no response within ${timeoutMs / 1000} s`, error));
        // A connection reset before the headers is worth another attempt; a refused or unresolvable one is not.
        const transient = TRANSIENT.has(errorCode(error) ?? "");
        const failure = fail(`cannot connect: ${describeNetworkError(error)}`, error);
        throw transient ? new TransferCut(failure) : failure;
      });
    let { response, announced } = await send(offset);
    let resumed = offset;
    if (response.status === 416 && offset > 0) {
      // The partial file is not a prefix the server can continue (complete or larger): start over.
      await response.body?.cancel();
      await rm(partial, { force: true });
      offset = 0;
      resumed = 0;
      ({ response, announced } = await send(0));
    }
    if (response.status !== 200 && response.status !== 206) {
      const body = await safeText(response);
      throw fail(httpMessage(response.status, response.statusText, body));
    }
    const contentType = response.headers.get("content-type") ?? "";
    if (options.kind === "binary" && /^text\/html/i.test(contentType)) {
      await response.body?.cancel();
      throw fail(htmlMessage(label));
    }
    let total: number | undefined;
    if (response.status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
      if (!range || Number(range[1]) !== offset) {
        // A range we did not ask for: drop the partial file and fetch the whole file next attempt.
        await response.body?.cancel();
        await rm(partial, { force: true });
        throw new TransferCut(fail("the server answered a different byte range than requested"));
      }
      total = range[3] === "*" ? undefined : Number(range[3]);
    } else {
      if (offset > 0) {
        // The server ignored Range: start from the beginning.
        await rm(partial, { force: true });
        offset = 0;
        resumed = 0;
      }
      const length = response.headers.get("content-length");
      total = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
    }
    const announcedSha256 = options.expectedSha256 ?? announced ?? meta?.announcedSha256;
    if (meta?.announcedSha256 && announced && meta.announcedSha256 !== announced && offset > 0) {
      // The file changed upstream since the partial download began.
      await response.body?.cancel();
      await rm(partial, { force: true });
      throw new TransferCut(fail("the file changed on the server since the download began"));
    }
    await writeFile(metaFile, JSON.stringify({ url, announcedSha256 } satisfies PartialMeta));

    const handle = await open(partial, offset > 0 ? "a" : "w");
    let received = offset;
    let checkedHead = offset > 0;
    options.onProgress?.({ file: label, received, total });
    try {
      if (response.body === null) throw fail("the server sent no body");
      for await (const chunk of response.body) {
        arm();
        const bytes = chunk as Uint8Array;
        if (!checkedHead && options.kind === "binary") {
          checkedHead = true;
          if (looksLikeHtml(bytes.subarray(0, 1024))) {
            controller.abort();
            await handle.close();
            await rm(partial, { force: true });
            throw fail(htmlMessage(label));
          }
        }
        await handle.write(bytes);
        received += bytes.byteLength;
        options.onProgress?.({ file: label, received, total });
      }
    } catch (error) {
      if (error instanceof Error && ours.has(error)) throw error;
      if (options.signal?.aborted) throw fail("interrupted", error);
      const why = timedOut
        ? `no data for ${timeoutMs / 1000} s`
        : `connection lost (${describeNetworkError(error)})`;
      throw new TransferCut(
        fail(`${why} after ${received} of ${total ?? "?"} bytes; run the command again to resume`, error),
      );
    } finally {
      await handle.close().catch(() => {});
    }
    clearTimeout(timer);
    if (total !== undefined && received !== total) {
      throw new TransferCut(
        fail(`transfer ended after ${received} of ${total} bytes; run the command again to resume`),
      );
    }

    const sha256 = await sha256File(partial);
    if (announcedSha256 !== undefined && sha256 !== announcedSha256) {
      await rm(partial, { force: true });
      await rm(metaFile, { force: true });
      throw fail(
        `sha256 mismatch: the server announced ${announcedSha256}, the download has ${sha256} (corrupt or tampered; the partial file was deleted)`,
      );
    }
    if (options.kind === "json") {
      const text = await readFile(partial, "utf8");
      try {
        JSON.parse(text);
      } catch {
        await rm(partial, { force: true });
        await rm(metaFile, { force: true });
        throw fail(
          looksLikeHtml(Buffer.from(text.slice(0, 1024)))
            ? htmlMessage(label)
            : "is not valid JSON (a truncated or wrong file)",
        );
      }
    }
    await rename(partial, dest);
    await rm(metaFile, { force: true });
    const size = received;
    await writeFile(
      `${dest}.download.json`,
      JSON.stringify({ url, sha256, size, announcedSha256 } satisfies DoneMeta, null, 2),
    );
    return { file: label, url, size, sha256, announcedSha256, cached: false, resumedFrom: resumed };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * GET with redirects followed by hand, so the hub's own headers (X-Linked-Etag on the redirect to
 * the CDN) are seen; the first sha256-looking tag on the way is the announced checksum.
 */
async function request(
  url: string,
  offset: number,
  signal: AbortSignal,
): Promise<{ response: Response; announced: string | undefined }> {
  let current = url;
  let announced: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = {
      "accept-encoding": "identity",
      "user-agent": "cxr-retrieval",
    };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const response = await fetch(current, { headers, redirect: "manual", signal });
    announced ??= sha256Tag(response.headers.get("x-linked-etag")) ?? sha256Tag(response.headers.get("etag"));
    if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
      await response.body?.cancel();
      current = new URL(response.headers.get("location")!, current).toString();
      continue;
    }
    return { response, announced };
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects`);
}

/** `"abc…"` or `W/"abc…"` -> the 64-hex sha256 it holds, else undefined. */
export function sha256Tag(value: string | null): string | undefined {
  if (value === null) return undefined;
  const tag = value
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1")
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(tag) ? tag : undefined;
}

function httpMessage(status: number, statusText: string, body: string): string {
  const hint =
    status === 404
      ? ": not found (check the name and the endpoint or mirror: CXR_HF_ENDPOINT / --endpoint, --base-url)"
      : status === 401 || status === 403
        ? ": access refused (a gated or private repository needs a token the hub accepts)"
        : status === 429
          ? ": rate-limited; try again later"
          : status >= 500
            ? ": the server failed; try again later"
            : "";
  const excerpt = body.trim().replace(/\s+/g, " ").slice(0, 120);
  return `HTTP ${status}${statusText ? ` ${statusText}` : ""}${hint}${excerpt ? ` [${excerpt}]` : ""}`;
}

function htmlMessage(label: string): string {
  return (
    `the server sent an HTML page instead of ${label.endsWith(".onnx") ? "ONNX weights" : "the file"} ` +
    "(a login, error or captive-portal page); check the endpoint and your network"
  );
}

const TRANSIENT = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

function errorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  return cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
  return code ? `${error.message}: ${code}` : error.message;
}

async function safeText(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 2000);
  } catch {
    return "";
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}
