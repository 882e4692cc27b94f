export const modelsTypeDefs = /* GraphQL */ `
  "A registered model bundle."
  type Model implements Node {
    id: ID!
    "The manifest's id (what search takes)."
    modelId: String!
    name: String!
    version: String!
    family: String!
    dimension: Int!
    license: String!
    "sha256 over the ONNX files and the manifest."
    fingerprint: String!
    addedAt: String!
    verifiedAt: String
    "The model card (Markdown), null when its file cannot be read."
    card: String
    "Where the weights come from (manifest source fields)."
    source: [KeyValue!]!
    "The datasets indexed for this model, per modality, with the live collection's point count."
    indexes: [ModelIndex!]!
    """
    The ONNX Runtime execution providers (cpu, cuda, ...) this model's sessions run on here, from
    the configured preference as probed when the model loads (a model not loaded yet is loaded);
    null when it cannot be loaded.
    """
    providers: ModelProviders
  }

  type ModelProviders {
    image: String!
    text: String!
  }

  type ModelIndex {
    modality: Modality!
    dataset: String!
    collection: String!
    points: Int!
    completedAt: String
    "The dataset changed since the index was built."
    stale: Boolean!
  }

  extend type Query {
    models: [Model!]!
    "A model by its manifest id or global id; NOT_FOUND when not registered."
    model(id: String!): Model!
  }
`;
