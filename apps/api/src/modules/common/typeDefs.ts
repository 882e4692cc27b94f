export const commonTypeDefs = /* GraphQL */ `
  "An object with a global id; node(id) returns any of them."
  interface Node {
    id: ID!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type KeyValue {
    key: String!
    value: String!
  }

  enum Modality {
    REPORTS
    IMAGES
  }

  type Query {
    "Any object by its global id; NOT_FOUND when it does not exist."
    node(id: ID!): Node
  }
`;
