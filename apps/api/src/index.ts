// The GraphQL API (README.md): the second face of @cxr/services.
export { type ApiServices, openApiServices } from "./context.ts";
export { formatError, kindOf, toGraphQLError } from "./errors.ts";
export { type ApiLimits, DEFAULT_LIMITS } from "./limits.ts";
export { createLogger } from "./observability.ts";
export { buildSchema, printMergedSchema } from "./schema.ts";
export {
  type ApiServer,
  type ApiServerOptions,
  createApiServer,
  type StartedApiServer,
  startApiServer,
} from "./server.ts";
