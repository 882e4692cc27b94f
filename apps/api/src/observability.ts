import type { ApolloServerPlugin } from "@apollo/server";
import { firstLine } from "@cxr/config";
import { GraphQLError } from "graphql/index.js";
import { type Logger, pino } from "pino";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { RequestContext } from "./request.ts";

/**
 * Logs and metrics. A log line carries the request id, the operation name, the status and the
 * duration; never a query's variables, a report, pixels or a token (the body is never logged).
 */

/**
 * What a log line may say about an error: its name, its code, the first line of its message and
 * its stack frames. Not the rest of the message: the database client's runs over many lines and
 * quotes the failing call with its arguments (a report's text among them, were it one), and a
 * stack repeats the whole message before its frames.
 */
export function loggableError(error: unknown): {
  name: string;
  code?: string;
  message: string;
  stack?: string;
} {
  if (!(error instanceof Error)) return { name: typeof error, message: firstLine(error) };
  const code = (error as { code?: unknown }).code;
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .join("\n");
  return {
    name: error.name,
    ...(typeof code === "string" ? { code: code.slice(0, 40) } : {}),
    message: firstLine(error),
    ...(frames !== "" ? { stack: frames } : {}),
  };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "cxr-api" },
      // defence in depth: were a request object ever logged, these would not be
      redact: ["req.headers.authorization", "req.headers.cookie", "variables", "body"],
    },
    destination ?? process.stdout,
  );
}

export interface Metrics {
  registry: Registry;
  operationSeconds: Histogram<"operation" | "outcome">;
  httpSeconds: Histogram<"route" | "status">;
  encodeBatchSize: Histogram<"model" | "modality">;
  encodeSeconds: Histogram<"model" | "modality">;
}

/** Latency histogram buckets, in seconds (operations and HTTP requests alike). */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "cxr_api_" });
  return {
    registry,
    operationSeconds: new Histogram({
      name: "cxr_api_graphql_operation_seconds",
      help: "GraphQL operation latency by operation name and outcome (ok or error)",
      labelNames: ["operation", "outcome"],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: "cxr_api_http_request_seconds",
      help: "HTTP request latency by route and status",
      labelNames: ["route", "status"],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
    encodeBatchSize: new Histogram({
      name: "cxr_api_encode_batch_size",
      help: "Queries per forward pass of the dynamic batcher, by model and modality (image or text)",
      labelNames: ["model", "modality"],
      buckets: [1, 2, 4, 8, 12, 16],
      registers: [registry],
    }),
    encodeSeconds: new Histogram({
      name: "cxr_api_encode_seconds",
      help: "Time of one batched forward pass (preprocessing included), by model and modality",
      labelNames: ["model", "modality"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

/** Operation names come from clients: keep the label set bounded. */
function operationLabel(name: string | null | undefined): string {
  if (!name) return "anonymous";
  return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : "invalid";
}

export function observabilityPlugin(metrics: Metrics, logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            const code = error.extensions?.code ?? "INTERNAL_SERVER_ERROR";
            if (code === "INTERNAL_SERVER_ERROR") {
              // a resolver's toGraphQLError wraps the failure: log what failed, not the wrapper
              let original = error.originalError;
              while (original instanceof GraphQLError && original.originalError !== undefined) {
                original = original.originalError;
              }
              logger.error(
                {
                  requestId: contextValue.requestId,
                  operation: operationLabel(operationName),
                  err: original instanceof Error ? loggableError(original) : undefined,
                },
                "unexpected error",
              );
            }
          }
        },
        async willSendResponse({ response, operationName, errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const failed =
            (errors?.length ?? 0) > 0 ||
            (response.body.kind === "single" && (response.body.singleResult.errors?.length ?? 0) > 0);
          const operation = operationLabel(operationName);
          metrics.operationSeconds.observe({ operation, outcome: failed ? "error" : "ok" }, seconds);
          logger.info(
            { requestId: contextValue.requestId, operation, ok: !failed, ms: Math.round(seconds * 1000) },
            "graphql",
          );
        },
      };
    },
  };
}
