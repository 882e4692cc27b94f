export const leaderboardTypeDefs = /* GraphQL */ `
  enum Provenance {
    "The server recomputed every number from the submitted per-query ranks and they agree."
    SUBMITTED
    "The server ran the benchmark itself (or re-ran it) with the same bundle and dataset and got the same ranks."
    VERIFIED
    "A re-run disagreed: see the entry's check."
    DISPUTED
    "A number from a paper, with its citation: never ranked."
    REPORTED
  }

  "One (dataset fingerprint, protocol key): only entries of one board are ranked together."
  type LeaderboardBoard implements Node {
    id: ID!
    "The 16-digit board key (in URLs and exports)."
    key: String!
    dataset: String!
    split: String!
    datasetFingerprint: String!
    protocolVersion: String!
    protocolKey: String!
    "The parameters in words."
    description: String!
    textField: String!
    corruption: String!
    levels: [Float!]!
    seed: Int!
    views: [String!]!
    recallAt: [Int!]!
    bootstrapSamples: Int!
    confidence: Float!
    "The canonical protocol JSON (its sha256 is protocolKey)."
    protocolJson: String!
    "open or credentialed."
    datasetAccess: String!
    "Current (not superseded) entries."
    entryCount: Int!
    createdAt: String!
    "The query list of one direction, in the order of every entry's ranks, with each query's study (the bootstrap unit): with the entries' ranks, every number, interval and tie group of the board can be recomputed."
    queries(direction: Direction!): [QueryId!]!
  }

  type LeaderboardCell {
    direction: Direction!
    level: Float!
    "Every metric with its 95% interval."
    metrics: [Metric!]!
  }

  type QueryId {
    "The image (image->text) or report (text->image) id."
    id: String!
    study: String!
  }

  "Queries that were a hit (rank <= k) at level 'from' and a miss at level 'to' (fallen), and the reverse (risen)."
  type DrillDownStep {
    direction: Direction!
    from: Float!
    to: Float!
    fallen: [QueryId!]!
    risen: [QueryId!]!
  }

  type CheckDifference {
    direction: Direction!
    level: Float!
    "Queries whose rank differs (at most 100)."
    queries: [String!]!
    "Server's value minus the entry's, per metric (value = delta; low/high null)."
    deltas: [Metric!]!
  }

  "What a verification re-run found."
  type LeaderboardCheck {
    outcome: Provenance!
    runId: String!
    differences: [CheckDifference!]!
  }

  "One model on one board from one run; append-only (a newer run of the same model supersedes it)."
  type LeaderboardEntry implements Node {
    id: ID!
    entryId: String!
    board: LeaderboardBoard!
    model: String!
    modelFingerprint: String!
    license: String!
    inDomain: Boolean!
    provenance: Provenance!
    citation: String
    runId: String
    submissionId: String
    createdAt: String!
    supersededAt: String
    checkedAt: String
    cells: [LeaderboardCell!]!
    summaries: [RobustnessSummary!]!
    check: LeaderboardCheck
    drillDown(k: Int = 1): [DrillDownStep!]!
    "The per-query ranks of one cell, in the board's query order: every number above can be recomputed from them."
    ranks(direction: Direction!, level: Float!): [Int!]!
  }

  "An entry in a view: the sorted metric with its interval, and its rank interval within its board."
  type LeaderboardRow {
    board: LeaderboardBoard!
    entry: LeaderboardEntry!
    value: Float
    low: Float
    high: Float
    "Null for superseded and reported entries (never ranked)."
    rankLow: Int
    rankHigh: Int
    "e.g. 1 or 1-2."
    rankLabel: String
    tieGroup: Int
  }

  type LeaderboardRowEdge {
    cursor: String!
    node: LeaderboardRow!
  }

  type LeaderboardRowConnection {
    edges: [LeaderboardRowEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
    "The time the view is pinned to (pass it back as asOf for the same rows)."
    asOf: String!
    metric: String!
    direction: Direction!
  }

  input LeaderboardFilter {
    board: String
    dataset: String
    split: String
    textField: String
    corruption: String
    provenance: [Provenance!]
    license: String
    inDomain: Boolean
  }

  input LeaderboardSort {
    "recall@K, mrr, medianRank or meanRank (default recall@1), or auc:<one of them> (the robustness AUC over every level; level is then not used). Rank intervals and tie groups are those of this metric."
    metric: String
    "Default: the board's lowest level (clean)."
    level: Float
    direction: Direction = IMAGE_TO_TEXT
  }

  type Submission implements Node {
    id: ID!
    submissionId: String!
    submitter: String!
    contentHash: String!
    createdAt: String!
    entries: [LeaderboardEntry!]!
  }

  type SubmissionEdge {
    cursor: String!
    node: Submission!
  }

  type SubmissionConnection {
    edges: [SubmissionEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  input LicenseInput {
    model: String!
    license: String!
  }

  input SubmitRunInput {
    "The run's record file (cxr-bench-file/1 JSON, as cxr bench writes run.json), verbatim."
    recordFile: String!
    licenses: [LicenseInput!]
    "Models trained on this dataset's train split."
    inDomain: [String!]
  }

  type SubmissionAccepted {
    submissionId: String!
    boardId: String!
    entryIds: [String!]!
    "True when the same payload was accepted before: nothing new was written."
    duplicate: Boolean!
  }

  "A refused submission: nothing was written."
  type SubmissionRefused {
    "PAYLOAD_TOO_LARGE, MALFORMED_JSON, WRONG_FORMAT, INVALID_SHAPE, PROTOCOL_MISMATCH, INVALID_RANKS, CLAIM_MISMATCH, QUERY_LIST_MISMATCH, INCOMPLETE or UNSAFE_TEXT."
    reason: String!
    "The first field that differs (a JSON path into the record file), when there is one."
    field: String
    message: String!
  }

  union SubmitRunResult = SubmissionAccepted | SubmissionRefused

  "A verification the server cannot run: nothing was started or written."
  type VerificationRefused {
    "NO_BUNDLE (no model bundle with the entry's fingerprint), NO_DATASET (no split of the board's name), FINGERPRINT_MISMATCH (the model or the split is here with other content; field says which) or NOT_VERIFIABLE (a reported number)."
    reason: String!
    "modelFingerprint or datasetFingerprint, when the refusal is about one."
    field: String
    message: String!
  }

  "The verify job (kind VERIFY; poll job(id) until it is COMPLETED, then read the entry's provenance and check), or why it cannot run."
  union VerifyEntryResult = Job | VerificationRefused

  extend type Query {
    leaderboardBoards: [LeaderboardBoard!]!
    leaderboardBoard(key: String!): LeaderboardBoard!
    "A filtered view, board by board, ranked within each board; asOf pins it to a time."
    leaderboardEntries(
      filter: LeaderboardFilter
      sort: LeaderboardSort
      asOf: String
      includeSuperseded: Boolean = false
      first: Int = 50
      after: String
    ): LeaderboardRowConnection!
    leaderboardEntry(id: ID!, asOf: String): LeaderboardEntry!
    leaderboardSubmissions(first: Int = 20, after: String): SubmissionConnection!
  }

  type Mutation {
    "Scope submit. Checks the record file in full; refusals are data (SubmissionRefused)."
    submitRun(input: SubmitRunInput!): SubmitRunResult!
    "Scope admin. Starts a job that re-runs the entry's benchmark on this server (same bundle and split fingerprints) and marks the entry verified or disputed; returns the job at once (the open job of the same entry when one is queued or running)."
    verifyEntry(id: ID!): VerifyEntryResult!
  }
`;
