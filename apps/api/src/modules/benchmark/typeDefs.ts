export const benchmarkTypeDefs = /* GraphQL */ `
  enum Direction {
    IMAGE_TO_TEXT
    TEXT_TO_IMAGE
  }

  type BenchmarkRun implements Node {
    id: ID!
    runId: String!
    "pending, running, completed or failed."
    status: String!
    protocolVersion: String!
    "sha256 of the canonical protocol parameters: equal keys, comparable runs."
    protocolKey: String!
    dataset: String!
    split: String!
    datasetFingerprint: String!
    corruption: String!
    levels: [Float!]!
    seed: Int!
    textField: String!
    models: [RunModel!]!
    "Result rows stored, and how many the run needs (two directions per model and level)."
    resultCount: Int!
    expectedResults: Int!
    softwareVersion: String!
    executionProvider: String
    hardware: String
    counts: [Count!]!
    error: String
    startedAt: String!
    finishedAt: String
    "One record per (model, level, direction), with intervals."
    results: [BenchmarkResult!]!
    "Robustness summaries per (model, direction, metric); referenceModel sets the corruption error's reference."
    summaries(referenceModel: String): [RobustnessSummary!]!
  }

  type RunModel {
    id: String!
    fingerprint: String!
  }

  type Count {
    name: String!
    value: Int!
  }

  type BenchmarkResult {
    model: String!
    modelFingerprint: String!
    corruption: String!
    level: Float!
    direction: Direction!
    queries: Int!
    candidates: Int!
    metrics: [Metric!]!
    "The rank of each query's positive, in the run's query order (large: ask only when needed)."
    ranks: [Int!]!
  }

  type Metric {
    name: String!
    value: Float!
    "Bootstrap confidence interval, when computed."
    low: Float
    high: Float
  }

  type RobustnessSummary {
    model: String!
    direction: Direction!
    metric: String!
    clean: Float
    auc: Float!
    relativeRobustness: Float
    corruptionError: Float
    referenceModel: String
    relativeDrop: [LevelValue!]!
  }

  type LevelValue {
    level: Float!
    value: Float
  }

  type BenchmarkRunConnection {
    edges: [BenchmarkRunEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type BenchmarkRunEdge {
    cursor: String!
    node: BenchmarkRun!
  }

  extend type Query {
    "Runs, newest first."
    benchmarkRuns(first: Int = 20, after: String): BenchmarkRunConnection!
    benchmarkRun(id: ID!): BenchmarkRun!
  }
`;
