import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import { AccessPolicy, isLoopback, type Principal, renderImage, requireScope } from "@cxr/services";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import express, { type NextFunction, type Request, type Response } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import type { Logger } from "pino";
import { guardSchema } from "./access.ts";
import type { ApiServices } from "./context.ts";
import { formatError, toHttpError } from "./errors.ts";
import { type ApiLimits, DEFAULT_LIMITS } from "./limits.ts";
import { registerLeaderboardRoutes } from "./modules/leaderboard/routes.ts";
import {
  createLogger,
  createMetrics,
  loggableError,
  type Metrics,
  observabilityPlugin,
} from "./observability.ts";
import { type RequestContext, requestContext } from "./request.ts";
import { buildSchema } from "./schema.ts";

/** Each request's id (from a sane X-Request-Id header, or a new UUID), for logs and responses. */
const requestIds = new WeakMap<Request, string>();
/** Each request's caller, from its Authorization header (access.ts decides what it may do). */
const principals = new WeakMap<Request, Principal>();

export interface ApiServerOptions {
  limits?: Partial<ApiLimits>;
  logger?: Logger;
  /** Schema introspection (default on: the schema is public, like apps/api/schema.graphql). */
  introspection?: boolean;
  /**
   * Access (README "Access"): `network` when bound to an address other machines reach (then
   * medical data needs a token), `allowOpen` to serve the network without tokens anyway.
   * startApiServer sets `network` from the host; createApiServer alone defaults to loopback.
   */
  access?: { network?: boolean; allowOpen?: boolean };
}

export interface ApiServer {
  app: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<RequestContext>;
  metrics: Metrics;
  limits: ApiLimits;
  logger: Logger;
  access: AccessPolicy;
  /** GraphQL operations still executing (a client that hung up does not stop its resolvers). */
  inFlight(): number;
}

/**
 * The API in one express 5 app: POST /graphql (Apollo, CSRF prevention on), POST /uploads,
 * GET /images/:id, /healthz, /readyz and /metrics. Not listening yet: see startApiServer.
 */
export async function createApiServer(
  services: ApiServices,
  options: ApiServerOptions = {},
): Promise<ApiServer> {
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const logger = options.logger ?? createLogger(services.config.logLevel);
  const metrics = createMetrics();
  const stopObservingBatches = services.encoders.onBatch((event) => {
    metrics.encodeBatchSize.observe({ model: event.model, modality: event.modality }, event.size);
    metrics.encodeSeconds.observe({ model: event.model, modality: event.modality }, event.seconds);
  });
  const access = new AccessPolicy(services.db, {
    network: options.access?.network ?? false,
    allowOpen: options.access?.allowOpen ?? false,
  });
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  const httpServer = http.createServer(app);
  // the encoder cache outlives a server (tests start several on one ApiServices)
  httpServer.once("close", stopObservingBatches);

  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    // graphql-js counts tokens itself (parseOptions below), as a parse error with status 400;
    // armor's token plugin throws where Apollo can only answer 500
    maxTokens: { enabled: false },
    costLimit: { maxCost: limits.maxCost },
    maxDirectives: { n: 20 },
    blockFieldSuggestion: { enabled: true },
  });
  const protection = armor.protect();
  let operations = 0;
  // willSendResponse ends every request, executed or refused, whether its client is still there
  const countOperations: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      operations++;
      return {
        async willSendResponse() {
          operations--;
        },
      };
    },
  };
  const apollo = new ApolloServer<RequestContext>({
    schema: guardSchema(buildSchema()),
    csrfPrevention: true,
    parseOptions: { maxTokens: limits.maxTokens },
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    introspection: options.introspection ?? true,
    formatError,
    validationRules: protection.validationRules,
    plugins: [
      ...protection.plugins,
      // Apollo installs its cache-control plugin unless told not to: it wraps every field's
      // resolution (willResolveField) to compute a cache policy from @cacheControl hints. This
      // schema has none, so the policy was always "no-store", which the /graphql route now sets
      // itself; the plugin cost about 0.4 ms of a text search's 4 ms HTTP overhead (bench/api).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      observabilityPlugin(metrics, logger),
      countOperations,
      rejectedDocumentStatus,
      overloadedStatus,
    ],
  });
  await apollo.start();

  // request id and access log (no body, no query string: an id in a URL is fine, text is not sent there)
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.get("x-request-id");
    const requestId = given !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    requestIds.set(req, requestId);
    res.setHeader("x-request-id", requestId);
    const started = process.hrtime.bigint();
    // labelled now: inside app.use("/graphql", ...) express strips the mount path from req.path,
    // and Apollo finishes the response there, so at "finish" /graphql read as "/" ("other")
    const route = routeLabel(req.path);
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpSeconds.observe({ route, status: String(res.statusCode) }, seconds);
      logger.info(
        {
          requestId: requestIds.get(req),
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
        },
        "http",
      );
    });
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", async (_req, res) => {
    const checks = await services.ready();
    const ok = checks.database && checks.vectorStore && checks.encoders && checks.queue !== false;
    res.status(ok ? 200 : 503).json({ ok, ...checks });
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("content-type", metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  // who is asking: a wrong, revoked or malformed token is refused here, whatever the route
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      principals.set(req, await access.authenticate(req.get("authorization")));
      next();
    } catch (error) {
      const { status, body } = toHttpError(error);
      if (req.path === "/graphql") {
        res.status(status).json({
          errors: [{ message: body.message, extensions: { code: body.code, reason: body.reason } }],
        });
      } else {
        res.status(status).json(body);
      }
    }
  });
  const requireRead = (req: Request, res: Response, next: NextFunction) => {
    try {
      requireScope(principals.get(req) ?? { kind: "anonymous" }, "read");
      next();
    } catch (error) {
      sendError(res, error, logger, requestIds.get(req));
    }
  };

  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: limits.requestsPerMinute,
      // per token when one is sent, per IP (its /64 for IPv6) otherwise
      keyGenerator: (req) => {
        const principal = principals.get(req);
        return principal?.kind === "token" ? `token:${principal.tokenId}` : ipKeyGenerator(req.ip ?? "");
      },
      standardHeaders: "draft-7",
      legacyHeaders: false,
      // the library has set Retry-After by now; the body says it in the API's error shape
      handler: (_req, res) => {
        res
          .status(429)
          .json({ code: "RATE_LIMITED", message: "too many requests; retry after the Retry-After seconds" });
      },
    }),
  );

  app.post(
    "/uploads",
    requireRead,
    express.raw({ type: () => true, limit: services.uploads.limits.maxBytes }),
    async (req: Request, res: Response) => {
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      try {
        const saved = await services.uploads.save(bytes);
        res.status(201).json({
          id: saved.id,
          width: saved.width,
          height: saved.height,
          format: saved.format,
          expiresAt: saved.expiresAt.toISOString(),
        });
      } catch (error) {
        sendError(res, error, logger, requestIds.get(req));
      }
    },
  );

  app.get("/images/:id", requireRead, async (req: Request, res: Response) => {
    const variant = req.query.variant === "preview" ? "preview" : "original";
    try {
      const image = await renderImage(services.db, String(req.params.id), variant);
      res.setHeader("content-type", image.contentType);
      res.setHeader("cache-control", "private, max-age=3600");
      res.send(image.bytes);
    } catch (error) {
      sendError(res, error, logger, requestIds.get(req));
    }
  });

  registerLeaderboardRoutes(app, services);

  app.use(
    "/graphql",
    // answers hold medical data and are per caller: no browser or proxy may keep them
    (_req: Request, res: Response, next: NextFunction) => {
      res.setHeader("cache-control", "no-store");
      next();
    },
    // A submission's record file may be larger than any other request: bodies over bodyBytes are
    // read only up to submissionBytes and only for a document whose one operation is submitRun.
    express.json({ limit: Math.max(limits.bodyBytes, limits.submissionBytes) }),
    submissionOnlyWhenLarge(limits),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        requestContext(
          services,
          limits,
          requestIds.get(req) ?? randomUUID(),
          principals.get(req) ?? { kind: "anonymous" },
        ),
    }),
  );

  // body too large, malformed JSON, anything else that escaped a route: a code, never a stack
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    if (status === 413) {
      res.status(413).json({ code: "PAYLOAD_TOO_LARGE", message: "the request body is over the limit" });
      return;
    }
    if (status !== undefined && status >= 400 && status < 500) {
      res.status(status).json({ code: "BAD_REQUEST", message: "the request cannot be read" });
      return;
    }
    sendError(res, error, logger, requestIds.get(req));
  });

  return { app, httpServer, apollo, metrics, limits, logger, access, inFlight: () => operations };
}

const SUBMIT_ONLY = /^\s*mutation\b[^{]*\{\s*submitRun\s*\(/;

function submissionOnlyWhenLarge(limits: ApiLimits) {
  return (req: Request, res: Response, next: NextFunction) => {
    const length = Number(req.get("content-length") ?? 0);
    const query = (req.body as { query?: unknown } | undefined)?.query;
    if (length > limits.bodyBytes && !(typeof query === "string" && SUBMIT_ONLY.test(query))) {
      res.status(413).json({ code: "PAYLOAD_TOO_LARGE", message: "the request body is over the limit" });
      return;
    }
    next();
  };
}

/**
 * graphql-armor's token limit fires while parsing, where Apollo answers 500 whatever the error's
 * code; a document refused by a limit is the client's fault: 400, as for any validation failure.
 */
const rejectedDocumentStatus: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
        const data = response.body.kind === "single" ? response.body.singleResult.data : undefined;
        if (
          data === undefined &&
          errors !== undefined &&
          errors.length > 0 &&
          errors.every((e) =>
            ["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"].includes(String(e.extensions?.code)),
          )
        ) {
          response.http.status = 400;
        }
      },
    };
  },
};

/** A search refused because a model's queue is full: 503 with Retry-After, as on the HTTP routes. */
const overloadedStatus: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
        if (errors?.some((e) => e.extensions?.code === "OVERLOADED")) {
          response.http.status = 503;
          response.http.headers.set("retry-after", String(OVERLOADED_RETRY_AFTER_SECONDS));
        }
      },
    };
  },
};

const OVERLOADED_RETRY_AFTER_SECONDS = 1;

function sendError(res: Response, error: unknown, logger: Logger, requestId: string | undefined): void {
  const { status, body } = toHttpError(error);
  if (body.code === "OVERLOADED") res.setHeader("retry-after", String(OVERLOADED_RETRY_AFTER_SECONDS));
  if (status >= 500) {
    logger.error(
      { requestId, err: error instanceof Error ? loggableError(error) : undefined },
      "request failed",
    );
  }
  res.status(status).json(body);
}

function routeLabel(path: string): string {
  if (path.startsWith("/images/")) return "/images/:id";
  if (path.startsWith("/leaderboard/"))
    return path === "/leaderboard/export.csv" || path === "/leaderboard/export.json" ? path : "other";
  return ["/graphql", "/uploads", "/healthz", "/readyz", "/metrics"].includes(path) ? path : "other";
}

export interface StartedApiServer {
  url: string;
  server: ApiServer;
  /** Stops accepting connections, lets in-flight requests finish, then closes the services. */
  close(): Promise<void>;
}

/** Listens (default 127.0.0.1 and CXR_API_PORT), and purges expired uploads every minute. */
export async function startApiServer(
  services: ApiServices,
  options: ApiServerOptions & { host?: string; port?: number } = {},
): Promise<StartedApiServer> {
  const host = options.host ?? "127.0.0.1";
  const server = await createApiServer(services, {
    ...options,
    access: { network: !isLoopback(host), ...options.access },
  });
  // before listening: never serve the network open by accident
  try {
    await server.access.assertCanServe();
  } catch (error) {
    await server.apollo.stop();
    throw error;
  }
  const port = options.port ?? services.config.apiPort;
  await new Promise<void>((resolve, reject) => {
    server.httpServer.once("error", reject);
    server.httpServer.listen(port, host, () => {
      server.httpServer.off("error", reject);
      resolve();
    });
  });
  const purge = setInterval(() => {
    services.uploads.purgeExpired().catch((error: unknown) => {
      server.logger.warn({ err: loggableError(error) }, "upload purge failed");
    });
  }, 60_000);
  purge.unref();
  const address = server.httpServer.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    close() {
      closing ??= (async () => {
        clearInterval(purge);
        // the drain plugin stops accepting and waits for in-flight requests
        await server.apollo.stop();
        if (server.httpServer.listening) {
          await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
        }
        // operations whose client hung up are still running: let them finish (at most 30 s)
        // before the database and the store they use are closed
        for (let waited = 0; server.inFlight() > 0 && waited < 30_000; waited += 10) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await services.close();
      })();
      return closing;
    },
  };
}
