export {
  type CollectionCopy,
  type CopyCollectionsOptions,
  type CopyCollectionsResult,
  copyCollections,
} from "./copy.ts";
export { type EmbeddedStoreOptions, EmbeddedVectorStore } from "./embedded.ts";
export {
  isStoreError,
  STORE_ERROR_CODES,
  StoreError,
  type StoreErrorCode,
  type StoreErrorDetails,
} from "./errors.ts";
export { isPointId, POINT_ID_NAMESPACE, pointId, uuidV5 } from "./ids.ts";
export { collectionAlias, collectionVersion, versionedCollection } from "./naming.ts";
export { type OpenVectorStoreOptions, openVectorStore } from "./open.ts";
export {
  type QdrantStoreOptions,
  QdrantVectorStore,
  type ReadConsistency,
  type RetryOptions,
} from "./qdrant.ts";
export {
  type AliasInfo,
  type CollectionInfo,
  type CollectionSpec,
  type Condition,
  type Distance,
  type Filter,
  type Hit,
  MAX_K,
  MAX_SCROLL_LIMIT,
  type Payload,
  type PayloadValue,
  type Point,
  type PointSelector,
  type ScrolledPoint,
  type ScrollOptions,
  type ScrollPage,
  type SearchOptions,
  type StoreHealth,
  type VectorStore,
} from "./types.ts";
