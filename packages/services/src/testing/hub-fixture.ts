import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { clipTokenizerJson } from "@cxr/encoders";
import { tinyImageModel, tinyTextModel } from "@cxr/encoders/testing";

/**
 * Test support: a local HTTP server in the Hugging Face hub layout, serving a tiny but real
 * `Xenova/clip-vit-base-patch32` (tiny ONNX graphs with CLIP's input/output names and input shape,
 * a byte-level BPE tokenizer.json in CLIP's layout, the JSON configs). Like the hub, LFS files
 * (the ONNX graphs) answer `resolve/main/...` with a 302 to a CDN path carrying
 * `X-Linked-Etag: "<sha256>"`; the CDN path honours Range. Other files answer 200 with a git-blob
 * ETag (40 hex, not a sha256). Faults are switched per remote path for the tests.
 */

export const HUB_REPO = "Xenova/clip-vit-base-patch32";
export const FIXTURE_DIMENSION = 8;

const MERGES = ["l u", "n g", "lu ng", "c l", "cl e", "e a", "ea r</w>", "h e", "he a"];
const SOT = "<|startoftext|>";
const EOT = "<|endoftext|>";

/** A tiny CLIP-layout tokenizer.json: byte-level BPE with `</w>`, CLIP's split regex, SOT/EOT. */
export function tinyClipTokenizerJson(): { json: Record<string, unknown>; vocabSize: number } {
  const json = clipTokenizerJson(MERGES, {
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Lowercase" },
      ],
    },
  });
  return {
    json: json as unknown as Record<string, unknown>,
    vocabSize: Object.keys(json.model.vocab).length,
  };
}

/** The repository's files by remote path, as the hub would serve them. */
export function clipHubFiles(): Map<string, Uint8Array> {
  const { json: tokenizer, vocabSize } = tinyClipTokenizerJson();
  const text = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
  return new Map<string, Uint8Array>([
    [
      "onnx/vision_model.onnx",
      tinyImageModel({ channels: 3, height: 224, width: 224, dimension: FIXTURE_DIMENSION }),
    ],
    ["onnx/text_model.onnx", tinyTextModel({ vocabSize, dimension: FIXTURE_DIMENSION, pooling: "mean" })],
    ["tokenizer.json", text(tokenizer)],
    [
      "tokenizer_config.json",
      text({
        model_max_length: 77,
        bos_token: SOT,
        eos_token: EOT,
        pad_token: EOT,
        unk_token: EOT,
        tokenizer_class: "CLIPTokenizer",
      }),
    ],
    [
      "preprocessor_config.json",
      text({
        crop_size: 224,
        do_center_crop: true,
        do_normalize: true,
        do_resize: true,
        feature_extractor_type: "CLIPFeatureExtractor",
        image_mean: [0.48145466, 0.4578275, 0.40821073],
        image_std: [0.26862954, 0.26130258, 0.27577711],
        resample: 3,
        size: 224,
      }),
    ],
    [
      "config.json",
      text({
        model_type: "clip",
        projection_dim: FIXTURE_DIMENSION,
        text_config: { max_position_embeddings: 77 },
        vision_config: { image_size: 224, patch_size: 32 },
      }),
    ],
  ]);
}

export interface HubRequest {
  method: string;
  path: string;
  range: string | undefined;
  status: number;
}

export interface HubFaults {
  /** Remote paths whose first body response is cut mid-way (socket destroyed after half the bytes). */
  cutOnce: Set<string>;
  /** Remote paths whose announced sha256 (X-Linked-Etag) is wrong. */
  wrongChecksum: Set<string>;
  /** Remote paths served as an HTML page with status 200. */
  html: Set<string>;
  /** Remote paths answering 404. */
  missing: Set<string>;
  /** Remote paths whose response never sends a body (headers then silence). */
  stall: Set<string>;
}

export interface HubFixture {
  /** Base URL, e.g. http://127.0.0.1:41234 (what CXR_HF_ENDPOINT takes). */
  url: string;
  files: Map<string, Uint8Array>;
  faults: HubFaults;
  requests: HubRequest[];
  close(): Promise<void>;
}

const HTML_PAGE =
  "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in to continue</h1></body></html>\n";

export async function startHubFixture(files: Map<string, Uint8Array> = clipHubFiles()): Promise<HubFixture> {
  const faults: HubFaults = {
    cutOnce: new Set(),
    wrongChecksum: new Set(),
    html: new Set(),
    missing: new Set(),
    stall: new Set(),
  };
  const requests: HubRequest[] = [];
  const cut = new Set<string>();
  const sha = new Map([...files].map(([p, b]) => [p, createHash("sha256").update(b).digest("hex")]));
  const prefix = `/${HUB_REPO}/resolve/main/`;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fixture");
    const log = (status: number) =>
      requests.push({ method: req.method ?? "GET", path: url.pathname, range: req.headers.range, status });
    let remote: string | undefined;
    let viaCdn = false;
    if (url.pathname.startsWith(prefix)) remote = decodeURIComponent(url.pathname.slice(prefix.length));
    else if (url.pathname.startsWith("/cdn/")) {
      remote = decodeURIComponent(url.pathname.slice("/cdn/".length));
      viaCdn = true;
    }
    if (remote === undefined || faults.missing.has(remote) || !files.has(remote)) {
      log(404);
      res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    if (faults.html.has(remote)) {
      log(200);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(HTML_PAGE);
      return;
    }
    const bytes = files.get(remote)!;
    const digest = faults.wrongChecksum.has(remote) ? "0".repeat(64) : sha.get(remote)!;
    const lfs = remote.endsWith(".onnx");
    if (lfs && !viaCdn) {
      log(302);
      res
        .writeHead(302, {
          location: `/cdn/${encodeURIComponent(remote)}`,
          "x-linked-etag": `"${digest}"`,
          "x-linked-size": String(bytes.length),
          etag: `W/"${"a".repeat(40)}"`,
        })
        .end();
      return;
    }
    const headers: Record<string, string> = {
      "content-type": lfs ? "application/octet-stream" : "application/json",
      "accept-ranges": "bytes",
      etag: lfs ? `"${"c".repeat(32)}"` : `"${createHash("sha1").update(bytes).digest("hex")}"`,
    };
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (range) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        log(416);
        res.writeHead(416, { "content-range": `bytes */${bytes.length}` }).end();
        return;
      }
    }
    const body = bytes.subarray(start);
    headers["content-length"] = String(body.length);
    if (range) headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    const status = range ? 206 : 200;
    log(status);
    res.writeHead(status, headers);
    if (faults.stall.has(remote)) {
      res.flushHeaders();
      return; // headers sent, body never comes
    }
    if (faults.cutOnce.has(remote) && !cut.has(remote)) {
      cut.add(remote);
      const half = Math.floor(body.length / 2);
      // Half the body, then the connection closes. The pause lets the client read what was sent
      // (a fetch body stream that errors drops chunks not yet read), so the cut is mid-file.
      res.write(body.subarray(0, half), () => {
        setTimeout(() => res.socket?.end(), 250);
      });
      return;
    }
    res.end(body);
  };

  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
