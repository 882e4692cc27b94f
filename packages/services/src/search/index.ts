export * from "./batcher.ts";
export {
  MAX_SEARCH_K,
  type ModelSearchResult,
  type SearchFilter,
  type SearchHit,
  type SearchOptions,
  type SearchQuery,
  type SearchResult,
  search,
} from "./search.ts";
