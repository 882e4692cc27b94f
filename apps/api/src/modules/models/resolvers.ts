import {
  getModel,
  listModels,
  type ModelRecord,
  modelIndexes,
  modelProviders,
  showModel,
} from "@cxr/services";
import { toGraphQLError } from "../../errors.ts";
import { idOf, toGlobalId } from "../../ids.ts";
import type { RequestContext } from "../../request.ts";

const details = (ctx: RequestContext, id: string) =>
  ctx.once(`model-details:${id}`, () => showModel(ctx.services.db, id));

export const modelsResolvers = {
  Query: {
    models: (_: unknown, __: unknown, ctx: RequestContext) =>
      listModels(ctx.services.db).catch((e) => {
        throw toGraphQLError(e);
      }),
    model: (_: unknown, args: { id: string }, ctx: RequestContext) =>
      getModel(ctx.services.db, idOf("Model", args.id)).catch((e) => {
        throw toGraphQLError(e);
      }),
  },
  Model: {
    id: (m: ModelRecord) => toGlobalId("Model", m.id),
    modelId: (m: ModelRecord) => m.id,
    addedAt: (m: ModelRecord) => m.addedAt.toISOString(),
    verifiedAt: (m: ModelRecord) => m.verifiedAt?.toISOString() ?? null,
    card: async (m: ModelRecord, _: unknown, ctx: RequestContext) => (await details(ctx, m.id)).card,
    source: async (m: ModelRecord, _: unknown, ctx: RequestContext) =>
      Object.entries((await details(ctx, m.id)).summary.source).map(([key, value]) => ({
        key,
        value: String(value),
      })),
    providers: (m: ModelRecord, _: unknown, ctx: RequestContext) =>
      modelProviders(ctx.services.db, ctx.services.encoders, m.id).catch((e) => {
        throw toGraphQLError(e);
      }),
    indexes: async (m: ModelRecord, _: unknown, ctx: RequestContext) => {
      try {
        const indexes = await modelIndexes(ctx.services.db, ctx.services.store, m.id);
        return indexes.map((i) => ({
          ...i,
          modality: i.modality.toUpperCase(),
          completedAt: i.completedAt?.toISOString() ?? null,
        }));
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  },
};
