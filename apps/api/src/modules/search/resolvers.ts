import { getImage, type SearchHit, type SearchQuery, search } from "@cxr/services";
import { GraphQLError, type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql/index.js";
import { kindOf, publicMessage, toGraphQLError } from "../../errors.ts";
import { idOf } from "../../ids.ts";
import { searchCostError } from "../../limits.ts";
import type { RequestContext } from "../../request.ts";
import { studyById } from "../datasets/resolvers.ts";

interface SearchInput {
  text?: string | null;
  imageId?: string | null;
  upload?: string | null;
  target?: "REPORTS" | "IMAGES" | null;
  models: string[];
  k?: number | null;
  filter?: { dataset?: string[] | null; split?: string[] | null; view?: string[] | null } | null;
  occlusion?: {
    level: number;
    grid?: number | null;
    fill?: "BLACK" | "MEAN" | "NOISE" | null;
    seed?: number | null;
  } | null;
}

/** Whether the operation selects one of `names` anywhere under this field (fragments included). */
function selects(info: GraphQLResolveInfo, names: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((s) => {
      if (s.kind === Kind.FIELD) return names.has(s.name.value) || walk(s.selectionSet);
      if (s.kind === Kind.INLINE_FRAGMENT) return walk(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return walk(info.fragments[s.name.value]?.selectionSet);
    }) === true;
  return info.fieldNodes.some((node) => walk(node.selectionSet));
}
const TRUE_RANK_FIELDS = new Set(["trueRank", "trueScore"]);

const invalid = (message: string, reason: string) =>
  new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", reason } });

/** The failures a person can act on, as results (errors as data); null for anything else. */
function asData(error: unknown, field: "upload" | "imageId" | null) {
  const classified = kindOf(error);
  if (classified === null) return null;
  const message = publicMessage((error as Error).message);
  const details = (error as { details?: { model?: string; modality?: string } }).details ?? {};
  switch (classified.code) {
    case "INVALID_IMAGE":
    case "UNKNOWN_IMAGE":
    case "UNKNOWN_UPLOAD":
      return { __typename: "ImageRejected", message, field: field ?? "imageId", reason: classified.code };
    case "UNKNOWN_MODEL":
    case "MODEL_UNAVAILABLE":
      return { __typename: "ModelUnavailable", message, model: details.model ?? "" };
    case "NOT_INDEXED":
      return {
        __typename: "NotIndexed",
        message,
        model: details.model ?? "",
        target: (details.modality ?? "reports").toUpperCase(),
      };
    default:
      return null;
  }
}

export const searchResolvers = {
  SearchResult: {
    __resolveType: (result: { __typename: string }) => result.__typename,
  },
  Query: {
    search: async (
      _: unknown,
      { input }: { input: SearchInput },
      ctx: RequestContext,
      info: GraphQLResolveInfo,
    ) => {
      const { services, limits } = ctx;
      const given = (["text", "imageId", "upload"] as const).filter((key) => input[key] != null);
      if (given.length !== 1) {
        throw invalid("give exactly one of text, imageId or upload", "QUERY_KIND");
      }
      const k = input.k ?? 10;
      if (!Number.isInteger(k) || k < 1 || k > limits.searchK) {
        throw invalid(`k must be 1..${limits.searchK}, got ${k}`, "INVALID_K");
      }
      if (input.models.length === 0 || input.models.length > limits.searchModels) {
        throw invalid(`name 1..${limits.searchModels} models, got ${input.models.length}`, "MODELS");
      }
      const overCost = searchCostError(k, input.models.length, limits);
      if (overCost !== null) throw invalid(overCost, "SEARCH_COST");
      const field = input.upload != null ? "upload" : input.imageId != null ? "imageId" : null;
      try {
        let query: SearchQuery;
        if (input.upload != null) query = { image: await services.uploads.read(input.upload) };
        else if (input.imageId != null) query = { imageId: idOf("Image", input.imageId) };
        else query = { text: input.text as string };
        const filter = {
          ...(input.filter?.dataset ? { dataset: input.filter.dataset } : {}),
          ...(input.filter?.split ? { split: input.filter.split } : {}),
          ...(input.filter?.view ? { view: input.filter.view } : {}),
        };
        const result = await search({
          db: services.db,
          store: services.store,
          config: services.config,
          encoders: services.encoders,
          models: input.models,
          query,
          k,
          ...(input.target ? { target: input.target === "REPORTS" ? "reports" : "images" } : {}),
          ...(Object.keys(filter).length > 0 ? { filter } : {}),
          ...(input.upload != null ? { imageSha256: input.upload } : {}),
          // one more scan per model, only when the client asked for it
          trueRank: selects(info, TRUE_RANK_FIELDS),
          ...(input.occlusion != null
            ? {
                occlusion: {
                  level: input.occlusion.level,
                  grid: input.occlusion.grid ?? 8,
                  fill: (input.occlusion.fill ?? "BLACK").toLowerCase() as "black" | "mean" | "noise",
                  seed: input.occlusion.seed ?? 0,
                },
              }
            : {}),
        });
        return {
          __typename: "SearchOk",
          target: result.target.toUpperCase(),
          k: result.k,
          results: result.results,
          queryStudy: result.queryStudyId === null ? null : await studyById(ctx, result.queryStudyId),
          occlusion:
            result.occlusion === null
              ? null
              : { ...result.occlusion, fill: result.occlusion.fill.toUpperCase() },
        };
      } catch (error) {
        const data = asData(error, field);
        if (data !== null) return data;
        throw toGraphQLError(error);
      }
    },
  },
  SearchHit: {
    study: (hit: SearchHit, _: unknown, ctx: RequestContext) => studyById(ctx, hit.studyId),
    report: (hit: SearchHit) => hit.report ?? null,
    // the hit's own image row holds a path; the Image type is read through the catalogue
    image: (hit: SearchHit, _: unknown, ctx: RequestContext) => {
      const id = hit.image?.id;
      if (id === undefined) return null;
      return ctx.once(`image:${id}`, () =>
        getImage(ctx.services.db, id).catch((error: unknown) => {
          throw toGraphQLError(error);
        }),
      );
    },
  },
};
