import { type Principal, requireScope, type TokenScope } from "@cxr/services";
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from "graphql/index.js";
import { toGraphQLError } from "./errors.ts";
import { fromGlobalId, type NodeType } from "./ids.ts";
import type { RequestContext } from "./request.ts";

/**
 * Who may call which root field: one table for the whole schema, applied to every Query and
 * Mutation field when the server builds its schema. Public fields need no token (model cards,
 * benchmark runs and protocols, the leaderboard); a field not in the table needs `read` (a query)
 * or `admin` (a mutation), so a new module is closed until someone opens it here.
 */
export const FIELD_ACCESS: Record<string, TokenScope | "public"> = {
  "Query.models": "public",
  "Query.model": "public",
  "Query.benchmarkRuns": "public",
  "Query.benchmarkRun": "public",
  "Query.protocols": "public",
  "Query.protocol": "public",
  "Query.leaderboardBoards": "public",
  "Query.leaderboardBoard": "public",
  "Query.leaderboardEntries": "public",
  "Query.leaderboardEntry": "public",
  "Query.leaderboardSubmissions": "public",
  "Query.datasets": "read",
  "Query.dataset": "read",
  "Query.image": "read",
  "Query.search": "read",
  "Query.job": "read",
  "Query.jobs": "read",
  "Mutation.startIndex": "run",
  "Mutation.startBenchmark": "run",
  "Mutation.cancelJob": "run",
  "Mutation.retryJob": "run",
  "Mutation.submitRun": "submit",
  "Mutation.verifyEntry": "admin",
};

/** `node(id)` answers for any type: the type named in the id decides. */
const NODE_ACCESS: Record<NodeType, TokenScope | "public"> = {
  Model: "public",
  BenchmarkRun: "public",
  Dataset: "read",
  Study: "read",
  Image: "read",
  Job: "read",
  LeaderboardBoard: "public",
  LeaderboardEntry: "public",
  Submission: "public",
};

export function scopeOf(type: "Query" | "Mutation", field: string): TokenScope | "public" {
  return FIELD_ACCESS[`${type}.${field}`] ?? (type === "Query" ? "read" : "admin");
}

/** Throws the GraphQL error (UNAUTHENTICATED or FORBIDDEN) unless the principal has the scope. */
export function checkAccess(principal: Principal, scope: TokenScope | "public"): void {
  if (scope === "public") return;
  try {
    requireScope(principal, scope);
  } catch (error) {
    throw toGraphQLError(error);
  }
}

/** Wraps every root field's resolver with its access check (before anything is read). */
export function guardSchema(schema: GraphQLSchema): GraphQLSchema {
  for (const rootType of [schema.getQueryType(), schema.getMutationType()]) {
    if (!rootType) continue;
    const typeName = rootType.name as "Query" | "Mutation";
    for (const [name, field] of Object.entries(rootType.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, RequestContext> = field.resolve ?? defaultFieldResolver;
      const scope = scopeOf(typeName, name);
      field.resolve = (source, args, ctx, info) => {
        if (typeName === "Query" && name === "node") {
          const parsed = fromGlobalId(String((args as { id?: unknown }).id ?? ""));
          // an id that parses to no type is refused by the resolver itself (BAD_USER_INPUT)
          if (parsed !== null) checkAccess(ctx.principal, NODE_ACCESS[parsed.type]);
        } else {
          checkAccess(ctx.principal, scope);
        }
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}
