/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Direction =
  | 'IMAGE_TO_TEXT'
  | 'TEXT_TO_IMAGE';

export type Modality =
  | 'IMAGES'
  | 'REPORTS';

export type OcclusionFill =
  | 'BLACK'
  | 'MEAN'
  | 'NOISE';

export type OcclusionInput = {
  fill?: OcclusionFill | null | undefined;
  /** Cells per side, 1..64. */
  grid?: number | null | undefined;
  /** Fraction of the grid's cells hidden, 0..1. */
  level: number;
  /** The benchmark run's seed: with it, the same cells as the benchmark hid for an indexed image. */
  seed?: number | null | undefined;
};

export type SearchFilter = {
  dataset?: Array<string> | null | undefined;
  split?: Array<string> | null | undefined;
  view?: Array<string> | null | undefined;
};

/** Exactly one of text, imageId (an indexed image) or upload (an id from POST /uploads). */
export type SearchInput = {
  filter?: SearchFilter | null | undefined;
  imageId?: string | null | undefined;
  k?: number | null | undefined;
  /** Model ids, answered side by side. */
  models: Array<string>;
  /** Hide part of the query image first, with the benchmark's renderer (image queries only). */
  occlusion?: OcclusionInput | null | undefined;
  /** Default: REPORTS for an image query, IMAGES for a text query. */
  target?: Modality | null | undefined;
  text?: string | null | undefined;
  upload?: string | null | undefined;
};

export type ModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelsQuery = { models: Array<{ id: string, modelId: string, name: string, family: string, version: string, license: string, dimension: number, fingerprint: string, card: string | null, addedAt: string, verifiedAt: string | null, source: Array<{ key: string, value: string }>, indexes: Array<{ collection: string, dataset: string, modality: Modality, points: number, stale: boolean, completedAt: string | null }> }> };

export type DatasetsQueryVariables = Exact<{ [key: string]: never; }>;


export type DatasetsQuery = { datasets: Array<{ id: string, name: string, adapter: string, status: string, fingerprint: string | null, studyCount: number, imageCount: number, createdAt: string, splits: Array<{ name: string, studyCount: number, imageCount: number, fingerprint: string | null }> }> };

export type DatasetStudiesQueryVariables = Exact<{
  name: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
  split?: string | null | undefined;
}>;


export type DatasetStudiesQuery = { dataset: { id: string, name: string, studies: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, externalId: string, split: string, report: { impression: string | null, findings: string | null } | null, images: Array<{ id: string, view: string | null, previewUrl: string }> } }> } } };

export type ImageQueryVariables = Exact<{
  id: string;
}>;


export type ImageQuery = { image: { id: string, externalId: string, width: number, height: number, view: string | null, previewUrl: string, study: { id: string, externalId: string, split: string, dataset: { name: string } } } };

export type BenchmarkRunsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type BenchmarkRunsQuery = { benchmarkRuns: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, runId: string, status: string, dataset: string, split: string, corruption: string, textField: string, levels: Array<number>, startedAt: string, finishedAt: string | null, models: Array<{ id: string }> } }> } };

export type BenchmarkRunQueryVariables = Exact<{
  id: string;
}>;


export type BenchmarkRunQuery = { benchmarkRun: { id: string, runId: string, status: string, error: string | null, dataset: string, datasetFingerprint: string, split: string, corruption: string, textField: string, levels: Array<number>, seed: number, protocolKey: string, protocolVersion: string, softwareVersion: string, hardware: string | null, executionProvider: string | null, startedAt: string, finishedAt: string | null, resultCount: number, expectedResults: number, counts: Array<{ name: string, value: number }>, models: Array<{ id: string, fingerprint: string }>, results: Array<{ model: string, modelFingerprint: string, direction: Direction, level: number, queries: number, candidates: number, metrics: Array<{ name: string, value: number, low: number | null, high: number | null }> }> } };

export type SearchQueryVariables = Exact<{
  input: SearchInput;
}>;


export type SearchQuery = { search:
    | { __typename: 'ImageRejected', message: string, reason: string, field: string }
    | { __typename: 'ModelUnavailable', message: string, model: string }
    | { __typename: 'NotIndexed', message: string, model: string, target: Modality }
    | { __typename: 'SearchOk', k: number, target: Modality, queryStudy: { id: string, externalId: string, split: string } | null, occlusion: { level: number, grid: number, fill: OcclusionFill, seed: number, cells: Array<number> } | null, results: Array<{ model: string, collection: string, trueRank: number | null, trueScore: number | null, hits: Array<{ rank: number, score: number, study: { id: string, externalId: string, split: string, dataset: { name: string } }, report: { impression: string | null, findings: string | null, fullText: string } | null, image: { id: string, previewUrl: string, view: string | null } | null }> }> }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const ModelsDocument = new TypedDocumentString(`
    query Models {
  models {
    id
    modelId
    name
    family
    version
    license
    dimension
    fingerprint
    card
    addedAt
    verifiedAt
    source {
      key
      value
    }
    indexes {
      collection
      dataset
      modality
      points
      stale
      completedAt
    }
  }
}
    `) as unknown as TypedDocumentString<ModelsQuery, ModelsQueryVariables>;
export const DatasetsDocument = new TypedDocumentString(`
    query Datasets {
  datasets {
    id
    name
    adapter
    status
    fingerprint
    studyCount
    imageCount
    createdAt
    splits {
      name
      studyCount
      imageCount
      fingerprint
    }
  }
}
    `) as unknown as TypedDocumentString<DatasetsQuery, DatasetsQueryVariables>;
export const DatasetStudiesDocument = new TypedDocumentString(`
    query DatasetStudies($name: String!, $first: Int, $after: String, $split: String) {
  dataset(name: $name) {
    id
    name
    studies(first: $first, after: $after, split: $split) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          externalId
          split
          report {
            impression
            findings
          }
          images {
            id
            view
            previewUrl
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DatasetStudiesQuery, DatasetStudiesQueryVariables>;
export const ImageDocument = new TypedDocumentString(`
    query Image($id: ID!) {
  image(id: $id) {
    id
    externalId
    width
    height
    view
    previewUrl
    study {
      id
      externalId
      split
      dataset {
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ImageQuery, ImageQueryVariables>;
export const BenchmarkRunsDocument = new TypedDocumentString(`
    query BenchmarkRuns($first: Int, $after: String) {
  benchmarkRuns(first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        runId
        status
        dataset
        split
        corruption
        textField
        levels
        startedAt
        finishedAt
        models {
          id
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<BenchmarkRunsQuery, BenchmarkRunsQueryVariables>;
export const BenchmarkRunDocument = new TypedDocumentString(`
    query BenchmarkRun($id: ID!) {
  benchmarkRun(id: $id) {
    id
    runId
    status
    error
    dataset
    datasetFingerprint
    split
    corruption
    textField
    levels
    seed
    protocolKey
    protocolVersion
    softwareVersion
    hardware
    executionProvider
    startedAt
    finishedAt
    resultCount
    expectedResults
    counts {
      name
      value
    }
    models {
      id
      fingerprint
    }
    results {
      model
      modelFingerprint
      direction
      level
      queries
      candidates
      metrics {
        name
        value
        low
        high
      }
    }
  }
}
    `) as unknown as TypedDocumentString<BenchmarkRunQuery, BenchmarkRunQueryVariables>;
export const SearchDocument = new TypedDocumentString(`
    query Search($input: SearchInput!) {
  search(input: $input) {
    __typename
    ... on SearchOk {
      k
      target
      queryStudy {
        id
        externalId
        split
      }
      occlusion {
        level
        grid
        fill
        seed
        cells
      }
      results {
        model
        collection
        trueRank
        trueScore
        hits {
          rank
          score
          study {
            id
            externalId
            split
            dataset {
              name
            }
          }
          report {
            impression
            findings
            fullText
          }
          image {
            id
            previewUrl
            view
          }
        }
      }
    }
    ... on ImageRejected {
      message
      reason
      field
    }
    ... on ModelUnavailable {
      message
      model
    }
    ... on NotIndexed {
      message
      model
      target
    }
  }
}
    `) as unknown as TypedDocumentString<SearchQuery, SearchQueryVariables>;