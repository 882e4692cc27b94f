export * from "./batcher.ts";
export {
  type AppliedOcclusion,
  MAX_SEARCH_K,
  type ModelSearchResult,
  type SearchFilter,
  type SearchHit,
  type SearchOcclusion,
  type SearchOptions,
  type SearchQuery,
  type SearchResult,
  search,
} from "./search.ts";
