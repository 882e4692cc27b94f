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
  }

  type ModelHits {
    model: String!
    "The collection version that answered."
    collection: String!
    hits: [SearchHit!]!
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
