export const jobsTypeDefs = /* GraphQL */ `
  enum JobKind {
    INDEX
    BENCH
    INGEST
    "A public dataset's download, verification, unpacking and ingest (cxr datasets pull)."
    DATASET_PULL
    "A model export's download, bundle check and registration (cxr models pull)."
    MODEL_PULL
    "A leaderboard entry's verification by re-run (verifyEntry)."
    VERIFY
  }

  enum JobStatus {
    "Prepared, not started yet."
    QUEUED
    "Being executed (or its process died: the same start resumes it)."
    RUNNING
    "Stopped by a server shutdown: the same start resumes it."
    INTERRUPTED
    COMPLETED
    "Ran and failed: the same start resumes it."
    FAILED
    CANCELLED
  }

  "The one progress envelope of every job kind: counts only."
  type JobProgress {
    phase: String!
    done: Int!
    total: Int
    "What done and total count: items, cells, studies."
    unit: String!
    "Units per second in the current execution."
    rate: Float
    "Seconds left at that rate."
    eta: Float
  }

  "A long use case (index, benchmark) run by the server; its row is the one source of truth."
  type Job implements Node {
    id: ID!
    "The database id (what cxr jobs show takes)."
    jobId: String!
    kind: JobKind!
    status: JobStatus!
    "The validated parameters, as JSON."
    parameters: String!
    progress: JobProgress
    "The result summary once completed, as JSON (ids and counts)."
    result: String
    attempts: Int!
    error: String
    cancelRequested: Boolean!
    createdAt: String!
    startedAt: String
    updatedAt: String!
    finishedAt: String
  }

  type JobEdge {
    cursor: String!
    node: Job!
  }

  type JobConnection {
    edges: [JobEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  enum IndexModality {
    IMAGES
    REPORTS
    BOTH
  }

  input StartIndexInput {
    model: String!
    dataset: String!
    modality: IndexModality = BOTH
    "Items per batch (default: the server's encode batch size)."
    batchSize: Int
    "Build a new collection version even when the index is up to date."
    reindex: Boolean = false
    "impression (default), findings, findings+impression, longest or full."
    textField: String = "impression"
  }

  input StartBenchmarkInput {
    models: [String!]!
    dataset: String!
    split: String = "test"
    "occlusion (default) or a severity family."
    corruption: String
    levels: [Float!]
    seed: Int
    textField: String
    grid: Int
    fill: String
    pattern: String
    "frontal and/or lateral."
    views: [String!]
    distractorSplits: [String!]
    bootstrapSamples: Int
    confidence: Float
    "study or patient."
    bootstrapUnit: String
    "Reference model of the corruption error."
    referenceModel: String
    batchSize: Int
    excludeUndecodable: Boolean
  }

  extend type Query {
    "A job by its global id or database id; NOT_FOUND when it does not exist."
    job(id: ID!): Job!
    "Jobs, newest first."
    jobs(first: Int, after: String, status: JobStatus): JobConnection!
  }

  type Mutation {
    "Validates, creates (or finds the open job of the same request: it resumes) and starts an index job; returns at once."
    startIndex(input: StartIndexInput!): Job!
    "Validates, creates (or finds the open job of the same request: it resumes) and starts a benchmark; returns at once."
    startBenchmark(input: StartBenchmarkInput!): Job!
    "Cancels a job: at once when nothing runs it, else at its next safe point. CONFLICT when it is finished."
    cancelJob(id: ID!): Job!
    "Schedules a failed job again (it resumes where it stopped); CONFLICT when it is not failed."
    retryJob(id: ID!): Job!
  }
`;
