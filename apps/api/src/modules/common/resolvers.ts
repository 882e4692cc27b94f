import {
  getBoard,
  getDataset,
  getEntry,
  getImage,
  getJob,
  getModel,
  getStudy,
  getSubmission,
  loadBenchRun,
} from "@cxr/services";
import { GraphQLError } from "graphql/index.js";
import { toGraphQLError } from "../../errors.ts";
import { fromGlobalId } from "../../ids.ts";
import type { RequestContext } from "../../request.ts";

export const commonResolvers = {
  Node: {
    __resolveType: (node: { __typename: string }) => node.__typename,
  },
  Query: {
    node: async (_: unknown, args: { id: string }, ctx: RequestContext) => {
      const parsed = fromGlobalId(args.id);
      if (parsed === null) {
        throw new GraphQLError("not a global id this API returned", {
          extensions: { code: "BAD_USER_INPUT", reason: "INVALID_ID" },
        });
      }
      const { db } = ctx.services;
      try {
        switch (parsed.type) {
          case "Model":
            return { __typename: "Model", ...(await getModel(db, parsed.id)) };
          case "Dataset":
            return { __typename: "Dataset", ...(await getDataset(db, parsed.id)) };
          case "Study":
            return { __typename: "Study", ...(await getStudy(db, parsed.id)) };
          case "Image":
            return { __typename: "Image", ...(await getImage(db, parsed.id)) };
          case "BenchmarkRun":
            return { __typename: "BenchmarkRun", ...(await loadBenchRun(db, parsed.id)).run };
          case "LeaderboardBoard":
            return { __typename: "LeaderboardBoard", ...(await getBoard(db, parsed.id)) };
          case "LeaderboardEntry":
            return { __typename: "LeaderboardEntry", ...(await getEntry(db, parsed.id)) };
          case "Submission":
            return { __typename: "Submission", ...(await getSubmission(db, parsed.id)) };
          case "Job":
            return { __typename: "Job", ...(await getJob(ctx.services.services, parsed.id)) };
        }
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  },
};
