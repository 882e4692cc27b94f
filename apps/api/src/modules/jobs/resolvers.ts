import { getJob, type Job, listJobs, retryJob } from "@cxr/services";
import { toGraphQLError } from "../../errors.ts";
import { idOf, toGlobalId } from "../../ids.ts";
import { afterOf, connection, pageSize, type RequestContext } from "../../request.ts";

/** Thin resolvers over @cxr/services' jobs: the server's in-process runner executes what starts here. */

/** A service value as a GraphQL enum value: "dataset-pull" -> DATASET_PULL, "running" -> RUNNING. */
const upper = (value: string) => value.toUpperCase().replaceAll("-", "_");
const iso = (date: Date | null) => date?.toISOString() ?? null;

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toGraphQLError(error);
  }
}

/** Keeps only the fields the input set (GraphQL gives null for the omitted optional ones). */
function defined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
}

export const jobsResolvers = {
  Query: {
    job: (_: unknown, args: { id: string }, ctx: RequestContext) =>
      call(() => getJob(ctx.services.services, idOf("Job", args.id))),
    jobs: async (
      _: unknown,
      args: { first?: number | null; after?: string | null; status?: string | null },
      ctx: RequestContext,
    ) => {
      const first = pageSize(args.first, ctx.limits);
      const after = afterOf(args.after);
      const page = await call(() =>
        listJobs(ctx.services.services, {
          first,
          after: after ?? null,
          status: args.status == null ? null : args.status.toLowerCase(),
        }),
      );
      return connection(page.jobs, (j) => j.id, page.hasNextPage, page.total);
    },
  },
  Mutation: {
    startIndex: (
      _: unknown,
      args: {
        input: {
          model: string;
          dataset: string;
          modality: string;
          batchSize?: number | null;
          reindex: boolean;
          textField: string;
        };
      },
      ctx: RequestContext,
    ) => {
      const { model, dataset, modality, ...rest } = args.input;
      return call(() =>
        ctx.services.services.jobs.start("index", {
          modelId: model,
          datasetName: dataset,
          modality: modality.toLowerCase(),
          ...defined(rest),
        }),
      );
    },
    startBenchmark: (_: unknown, args: { input: Record<string, unknown> }, ctx: RequestContext) => {
      const input = defined(args.input);
      // A run's files go where the server keeps runs (<CXR_DATA_DIR>/runs/<runId>); no path comes from a client.
      return call(() => ctx.services.services.jobs.start("bench", input));
    },
    // Running here: stopped at once; running in another process: that process sees the request
    // at its next safe point (the returned job is still RUNNING with cancelRequested).
    cancelJob: (_: unknown, args: { id: string }, ctx: RequestContext) =>
      call(() => ctx.services.services.jobs.cancel(idOf("Job", args.id))),
    // A failed job only (CONFLICT otherwise): queued again, it resumes where it stopped.
    retryJob: (_: unknown, args: { id: string }, ctx: RequestContext) =>
      call(() => retryJob(ctx.services.services, idOf("Job", args.id))),
  },
  Job: {
    id: (j: Job) => toGlobalId("Job", j.id),
    jobId: (j: Job) => j.id,
    kind: (j: Job) => upper(j.kind),
    status: (j: Job) => upper(j.status),
    parameters: (j: Job) => JSON.stringify(j.parameters),
    result: (j: Job) => (j.result === null ? null : JSON.stringify(j.result)),
    createdAt: (j: Job) => iso(j.createdAt),
    startedAt: (j: Job) => iso(j.startedAt),
    updatedAt: (j: Job) => iso(j.updatedAt),
    finishedAt: (j: Job) => iso(j.finishedAt),
  },
};
