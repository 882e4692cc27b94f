export const searchTypeDefs = /* GraphQL */ `
  "Exactly one of text, imageId (an indexed image) or upload (an id from POST /uploads)."
  input SearchInput {
    text: String
    imageId: ID
    upload: ID
    "Default: REPORTS for an image query, IMAGES for a text query."
    target: Modality
    "Model ids, answered side by side."
    models: [String!]!
    k: Int = 10
    filter: SearchFilter
    "Hide part of the query image first, with the benchmark's renderer (image queries only)."
    occlusion: OcclusionInput
  }

  input OcclusionInput {
    "Fraction of the grid's cells hidden, 0..1."
    level: Float!
    "Cells per side, 1..64."
    grid: Int = 8
    fill: OcclusionFill = BLACK
    "The benchmark run's seed: with it, the same cells as the benchmark hid for an indexed image."
    seed: Int = 0
  }

  enum OcclusionFill {
    BLACK
    MEAN
    NOISE
  }

  "The occlusion applied to the query image."
  type AppliedOcclusion {
    level: Float!
    grid: Int!
    fill: OcclusionFill!
    seed: Int!
    "The hidden cells, row-major ids (row * grid + column); a cell spans [floor(i*W/grid), floor((i+1)*W/grid))."
    cells: [Int!]!
  }

  input SearchFilter {
    dataset: [String!]
    split: [String!]
    view: [String!]
  }

  "Expected failures are results, not errors."
  union SearchResult = SearchOk | ImageRejected | ModelUnavailable | NotIndexed

  type SearchOk {
    target: Modality!
    k: Int!
    "One list per asked model, in the order asked."
    results: [ModelHits!]!
    "The indexed study the query image belongs to (found by its bytes or its image id), if any."
    queryStudy: Study
    occlusion: AppliedOcclusion
  }

  type ModelHits {
    model: String!
    "The collection version that answered."
    collection: String!
    hits: [SearchHit!]!
    "When the query image belongs to an indexed study: this model's rank of that study's own report (or image), 1 = best; null otherwise."
    trueRank: Int
    "The score this model gives the query study's own report (or image), with trueRank."
    trueScore: Float
  }

  type SearchHit {
    rank: Int!
    score: Float!
    study: Study!
    "Set when the target is REPORTS."
    report: Report
    "Set when the target is IMAGES."
    image: Image
  }

  "The query image cannot be used (not an image, truncated, too large, unknown or expired upload)."
  type ImageRejected {
    message: String!
    "The input field at fault: upload or imageId."
    field: String!
    reason: String!
  }

  "The model is not registered, or its bundle cannot be loaded here."
  type ModelUnavailable {
    message: String!
    model: String!
  }

  "The model has no index for this target yet."
  type NotIndexed {
    message: String!
    model: String!
    target: Modality!
  }

  extend type Query {
    search(input: SearchInput!): SearchResult!
  }
`;
