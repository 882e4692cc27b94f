/**
 * Every limit the server applies, with defaults that a person on their own machine never meets.
 * Upload limits (bytes, pixels, time to live) belong to the upload store: openApiServices(config,
 * { uploads }) sets them, and POST /uploads reads its body limit from there.
 */
export interface ApiLimits {
  /** Largest JSON request body (query plus variables), bytes. */
  bodyBytes: number;
  /** Deepest selection set. */
  maxDepth: number;
  /** Most aliases in one operation. */
  maxAliases: number;
  /** Most tokens in one document. */
  maxTokens: number;
  /** graphql-armor's cost (fields weigh 1, each level of nesting multiplies by 1.5 by default). */
  maxCost: number;
  /** Largest `first` of a connection. */
  pageSize: number;
  /** Largest k of a search. */
  searchK: number;
  /** Most models one search compares. */
  searchModels: number;
  /** Largest record file a leaderboard submission (submitRun) may carry, bytes; the body of a request whose only operation is submitRun may be this large. */
  submissionBytes: number;
  /** Largest k x models of one search (each model encodes the query and returns k hits to resolve). */
  searchCost: number;
  /** Requests per IP per minute (GraphQL, uploads and images together; health and metrics are free). */
  requestsPerMinute: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  bodyBytes: 1024 * 1024,
  maxDepth: 10,
  maxAliases: 20,
  maxTokens: 2000,
  maxCost: 5000,
  pageSize: 100,
  searchK: 100,
  searchModels: 4,
  submissionBytes: 32 * 1024 * 1024,
  searchCost: 200,
  requestsPerMinute: 600,
};

/** A search's cost (k hits from each model): refused over the limit, whatever k and the count are alone. */
export function searchCostError(k: number, models: number, limits: ApiLimits): string | null {
  const cost = k * models;
  return cost > limits.searchCost
    ? `k x models is ${k} x ${models} = ${cost}, over the limit of ${limits.searchCost}: ask for fewer hits or fewer models`
    : null;
}
