import { makeExecutableSchema } from "@graphql-tools/schema";
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql/index.js";
// graphql/index.js (the CommonJS build) everywhere in this package: it is the copy Apollo and
// graphql-tools load, so there is one graphql realm under vitest as under node.
import { benchmarkResolvers } from "./modules/benchmark/resolvers.ts";
import { benchmarkTypeDefs } from "./modules/benchmark/typeDefs.ts";
import { commonResolvers } from "./modules/common/resolvers.ts";
import { commonTypeDefs } from "./modules/common/typeDefs.ts";
import { datasetsResolvers } from "./modules/datasets/resolvers.ts";
import { datasetsTypeDefs } from "./modules/datasets/typeDefs.ts";
import { jobsResolvers } from "./modules/jobs/resolvers.ts";
import { jobsTypeDefs } from "./modules/jobs/typeDefs.ts";
import { leaderboardResolvers } from "./modules/leaderboard/resolvers.ts";
import { leaderboardTypeDefs } from "./modules/leaderboard/typeDefs.ts";
import { modelsResolvers } from "./modules/models/resolvers.ts";
import { modelsTypeDefs } from "./modules/models/typeDefs.ts";
import { searchResolvers } from "./modules/search/resolvers.ts";
import { searchTypeDefs } from "./modules/search/typeDefs.ts";

/** The schema from every domain module (one folder each under modules/). */
export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: [
      commonTypeDefs,
      modelsTypeDefs,
      datasetsTypeDefs,
      searchTypeDefs,
      benchmarkTypeDefs,
      leaderboardTypeDefs,
      jobsTypeDefs,
    ],
    resolvers: [
      commonResolvers,
      modelsResolvers,
      datasetsResolvers,
      searchResolvers,
      benchmarkResolvers,
      leaderboardResolvers,
      jobsResolvers,
    ],
  });
}

/** The merged schema as checked in at apps/api/schema.graphql (sorted, so module order is not a diff). */
export function printMergedSchema(schema: GraphQLSchema = buildSchema()): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
