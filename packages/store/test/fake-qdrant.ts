import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Qdrant server, which cannot run on these machines: it records every
 * request (method, path, query, JSON body) and answers with responses shaped as Qdrant's REST API
 * documents them (`{ result, status: "ok", time }`, errors as `{ status: { error } }`).
 * Tests script the answers per route; nothing here pretends to search.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingMessage["headers"];
}

export interface FakeResponse {
  status?: number;
  /** `result` of a 200 answer, or the whole body when `raw` is set. */
  result?: unknown;
  raw?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export type Handler = (req: RecordedRequest) => FakeResponse | undefined;

export function ok(result: unknown): FakeResponse {
  return { status: 200, result };
}

export function error(status: number, message: string, headers?: Record<string, string>): FakeResponse {
  return {
    status,
    raw: { status: { error: message }, time: 0.0001 },
    ...(headers === undefined ? {} : { headers }),
  };
}

/** GET /collections/{name} answer for a collection with one unnamed vector. */
export function collectionInfo(size: number, distance: "Cosine" | "Dot", keywordFields: string[] = []) {
  return ok({
    status: "green",
    optimizer_status: "ok",
    indexed_vectors_count: 0,
    points_count: 0,
    segments_count: 1,
    config: {
      params: {
        vectors: { size, distance },
        shard_number: 1,
        replication_factor: 1,
        write_consistency_factor: 1,
        on_disk_payload: true,
      },
      hnsw_config: {
        m: 16,
        ef_construct: 100,
        full_scan_threshold: 10000,
        max_indexing_threads: 0,
        on_disk: false,
      },
      optimizer_config: {
        deleted_threshold: 0.2,
        vacuum_min_vector_number: 1000,
        default_segment_number: 0,
        flush_interval_sec: 5,
      },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
    },
    payload_schema: Object.fromEntries(keywordFields.map((f) => [f, { data_type: "keyword", points: 0 }])),
  });
}

export const UPDATE_RESULT = { operation_id: 1, status: "completed" };

export class FakeQdrant {
  readonly requests: RecordedRequest[] = [];
  private handlers: Handler[] = [];
  private server: Server | undefined;
  inFlight = 0;
  maxInFlight = 0;
  url = "";

  /** Handlers are tried newest first; the first that answers wins. */
  on(handler: Handler): this {
    this.handlers.unshift(handler);
    return this;
  }

  route(
    method: string,
    path: string | RegExp,
    respond: FakeResponse | ((req: RecordedRequest) => FakeResponse),
  ) {
    return this.on((req) => {
      if (req.method !== method) return undefined;
      if (typeof path === "string" ? req.path !== path : !path.test(req.path)) return undefined;
      return typeof respond === "function" ? respond(req) : respond;
    });
  }

  reset(): void {
    this.requests.length = 0;
    this.handlers = [];
    this.maxInFlight = 0;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const url = new URL(req.url ?? "/", "http://fake");
        const text = Buffer.concat(chunks).toString("utf8");
        const recorded: RecordedRequest = {
          method: req.method ?? "GET",
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          body: text === "" ? undefined : JSON.parse(text),
          headers: req.headers,
        };
        this.requests.push(recorded);
        let answer: FakeResponse | undefined;
        for (const h of this.handlers) {
          answer = h(recorded);
          if (answer !== undefined) break;
        }
        answer ??= error(404, `fake Qdrant has no answer for ${recorded.method} ${recorded.path}`);
        if (answer.delayMs !== undefined) await new Promise((r) => setTimeout(r, answer.delayMs));
        const body = answer.raw ?? { result: answer.result, status: "ok", time: 0.0001 };
        res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers });
        res.end(JSON.stringify(body));
        this.inFlight--;
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Requests other than the read-only lookups the adapter makes (aliases, exists, collection info). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }
}
