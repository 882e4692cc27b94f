import {
  type DatasetSummary,
  getDataset,
  getImage,
  getStudy,
  type ImageRecord,
  listDatasetSummaries,
  listStudies,
  type StudyRecord,
} from "@cxr/services";
import { toGraphQLError } from "../../errors.ts";
import { idOf, toGlobalId } from "../../ids.ts";
import { afterOf, connection, pageSize, type RequestContext } from "../../request.ts";

const mapped = <T>(promise: Promise<T>): Promise<T> =>
  promise.catch((error: unknown) => {
    throw toGraphQLError(error);
  });

/** A study read once per request, however many hits or images name it. */
export const studyById = (ctx: RequestContext, id: string): Promise<StudyRecord> =>
  ctx.once(`study:${id}`, () => mapped(getStudy(ctx.services.db, id)));

export const datasetsResolvers = {
  Query: {
    datasets: (_: unknown, __: unknown, ctx: RequestContext) => mapped(listDatasetSummaries(ctx.services.db)),
    dataset: (_: unknown, args: { name: string }, ctx: RequestContext) =>
      mapped(getDataset(ctx.services.db, idOf("Dataset", args.name))),
    study: (_: unknown, args: { id: string }, ctx: RequestContext) => studyById(ctx, idOf("Study", args.id)),
    image: (_: unknown, args: { id: string }, ctx: RequestContext) =>
      mapped(getImage(ctx.services.db, idOf("Image", args.id))),
  },
  Dataset: {
    id: (d: DatasetSummary) => toGlobalId("Dataset", d.id),
    createdAt: (d: DatasetSummary) => d.createdAt.toISOString(),
    studies: async (
      d: DatasetSummary,
      args: { first?: number | null; after?: string | null; split?: string | null },
      ctx: RequestContext,
    ) => {
      const first = pageSize(args.first, ctx.limits);
      const page = await mapped(
        listStudies(ctx.services.db, {
          dataset: d.id,
          first,
          after: afterOf(args.after) ?? null,
          ...(args.split ? { split: args.split } : {}),
        }),
      );
      return connection(page.studies, (s) => s.id, page.hasNextPage, page.totalCount);
    },
  },
  Study: {
    id: (s: StudyRecord) => toGlobalId("Study", s.id),
    dataset: (s: StudyRecord, _: unknown, ctx: RequestContext) =>
      ctx.once(`dataset:${s.datasetId}`, () => mapped(getDataset(ctx.services.db, s.datasetId))),
  },
  Image: {
    id: (i: ImageRecord) => toGlobalId("Image", i.id),
    study: (i: ImageRecord, _: unknown, ctx: RequestContext) => studyById(ctx, i.studyId),
    previewUrl: (i: ImageRecord) => `/images/${encodeURIComponent(i.id)}?variant=preview`,
    originalUrl: (i: ImageRecord) => `/images/${encodeURIComponent(i.id)}`,
  },
};
