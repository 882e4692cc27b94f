export const datasetsTypeDefs = /* GraphQL */ `
  type Dataset implements Node {
    id: ID!
    name: String!
    adapter: String!
    "ingesting, ready or failed."
    status: String!
    "sha256 over the items' hashes; null until the ingest completes."
    fingerprint: String
    createdAt: String!
    studyCount: Int!
    imageCount: Int!
    splits: [Split!]!
    "Studies in a stable order, a page at a time (first is capped by the server's page size)."
    studies(first: Int = 20, after: String, split: String): StudyConnection!
  }

  type Split {
    name: String!
    fingerprint: String
    studyCount: Int!
    imageCount: Int!
  }

  type StudyConnection {
    edges: [StudyEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type StudyEdge {
    cursor: String!
    node: Study!
  }

  type Study implements Node {
    id: ID!
    "The study's id in its source."
    externalId: String!
    split: String!
    dataset: Dataset!
    report: Report
    images: [Image!]!
  }

  type Report {
    findings: String
    impression: String
    fullText: String!
  }

  type Image implements Node {
    id: ID!
    externalId: String!
    view: String
    width: Int!
    height: Int!
    bytes: Int!
    sha256: String!
    study: Study!
    "GET it for a PNG preview (longer side at most 512)."
    previewUrl: String!
    "GET it for the original (PNG or JPEG as stored; DICOM rendered to PNG)."
    originalUrl: String!
  }

  extend type Query {
    datasets: [Dataset!]!
    "A dataset by name or global id; NOT_FOUND when there is none."
    dataset(name: String!): Dataset!
    study(id: ID!): Study!
    image(id: ID!): Image!
  }
`;
