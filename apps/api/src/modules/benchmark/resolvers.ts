import { type BenchRunDetail, type BenchRunSummary, listBenchRuns, loadBenchRun } from "@cxr/services";
import { GraphQLError } from "graphql/index.js";
import { toGraphQLError } from "../../errors.ts";
import { idOf, toGlobalId } from "../../ids.ts";
import { afterOf, connection, pageSize, type RequestContext } from "../../request.ts";

type ResultRecord = BenchRunDetail["results"][number];
type SummaryRecord = BenchRunDetail["summaries"][number];

const direction = (d: string) => (d === "image->text" ? "IMAGE_TO_TEXT" : "TEXT_TO_IMAGE");

const detail = (ctx: RequestContext, runId: string, referenceModel: string | null = null) =>
  ctx.once(`run:${runId}:${referenceModel ?? ""}`, () =>
    loadBenchRun(ctx.services.db, runId, { referenceModel }).catch((error: unknown) => {
      throw toGraphQLError(error);
    }),
  );

export const benchmarkResolvers = {
  Query: {
    benchmarkRuns: async (
      _: unknown,
      args: { first?: number | null; after?: string | null },
      ctx: RequestContext,
    ) => {
      const first = pageSize(args.first, ctx.limits);
      const after = afterOf(args.after);
      const all = await listBenchRuns(ctx.services.db).catch((error: unknown) => {
        throw toGraphQLError(error);
      });
      let start = 0;
      if (after !== undefined) {
        start = all.findIndex((r) => r.runId === after) + 1;
        if (start === 0) {
          throw new GraphQLError("after names no run (deleted meanwhile?)", {
            extensions: { code: "BAD_USER_INPUT", reason: "INVALID_CURSOR" },
          });
        }
      }
      const page = all.slice(start, start + first);
      return connection(page, (r) => r.runId, start + first < all.length, all.length);
    },
    benchmarkRun: async (_: unknown, args: { id: string }, ctx: RequestContext) =>
      (await detail(ctx, idOf("BenchmarkRun", args.id))).run,
  },
  BenchmarkRun: {
    id: (r: BenchRunSummary) => toGlobalId("BenchmarkRun", r.runId),
    resultCount: (r: BenchRunSummary) => r.results,
    counts: (r: BenchRunSummary) =>
      Object.entries(r.counts ?? {}).map(([name, value]) => ({ name, value: Number(value) })),
    results: async (r: BenchRunSummary, _: unknown, ctx: RequestContext) =>
      (await detail(ctx, r.runId)).results,
    summaries: async (r: BenchRunSummary, args: { referenceModel?: string | null }, ctx: RequestContext) =>
      (await detail(ctx, r.runId, args.referenceModel ?? null)).summaries,
  },
  BenchmarkResult: {
    model: (r: ResultRecord) => r.modelId,
    direction: (r: ResultRecord) => direction(r.direction),
    metrics: (r: ResultRecord) =>
      Object.entries(r.metrics).map(([name, value]) => ({
        name,
        value,
        low: r.ci[name]?.low ?? null,
        high: r.ci[name]?.high ?? null,
      })),
  },
  RobustnessSummary: {
    model: (s: SummaryRecord) => s.modelId,
    direction: (s: SummaryRecord) => direction(s.direction),
  },
};
