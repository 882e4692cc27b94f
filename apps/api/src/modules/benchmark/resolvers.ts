import { type BenchRunDetail, type BenchRunSummary, listBenchRuns, loadBenchRun } from "@cxr/services";
import { toGraphQLError } from "../../errors.ts";
import { idOf, toGlobalId } from "../../ids.ts";
import { afterOf, listPage, pageSize, type RequestContext } from "../../request.ts";

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
      return listPage(all, (r) => r.runId, first, after, "after names no run (deleted meanwhile?)");
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
