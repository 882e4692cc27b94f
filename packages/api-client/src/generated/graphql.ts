/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Direction =
  | 'IMAGE_TO_TEXT'
  | 'TEXT_TO_IMAGE';

export type IndexModality =
  | 'BOTH'
  | 'IMAGES'
  | 'REPORTS';

export type JobKind =
  | 'BENCH'
  /** A public dataset's download, verification, unpacking and ingest (cxr datasets pull). */
  | 'DATASET_PULL'
  | 'INDEX'
  | 'INGEST'
  /** A model export's download, bundle check and registration (cxr models pull). */
  | 'MODEL_PULL'
  /** A leaderboard entry's verification by re-run (verifyEntry). */
  | 'VERIFY';

export type JobStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  /** Ran and failed: the same start resumes it. */
  | 'FAILED'
  /** Stopped by a server shutdown: the same start resumes it. */
  | 'INTERRUPTED'
  /** Prepared, not started yet. */
  | 'QUEUED'
  /** Being executed (or its process died: the same start resumes it). */
  | 'RUNNING';

export type LeaderboardFilter = {
  board?: string | null | undefined;
  corruption?: string | null | undefined;
  dataset?: string | null | undefined;
  inDomain?: boolean | null | undefined;
  license?: string | null | undefined;
  provenance?: Array<Provenance> | null | undefined;
  split?: string | null | undefined;
  textField?: string | null | undefined;
};

export type LeaderboardSort = {
  direction?: Direction | null | undefined;
  /** Default: the board's lowest level (clean). */
  level?: number | null | undefined;
  /** recall@K, mrr, medianRank or meanRank (default recall@1), or auc:<one of them> (the robustness AUC over every level; level is then not used). Rank intervals and tie groups are those of this metric. */
  metric?: string | null | undefined;
};

export type LicenseInput = {
  license: string;
  model: string;
};

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

export type Provenance =
  /** A re-run disagreed: see the entry's check. */
  | 'DISPUTED'
  /** A number from a paper, with its citation: never ranked. */
  | 'REPORTED'
  /** The server recomputed every number from the submitted per-query ranks and they agree. */
  | 'SUBMITTED'
  /** The server ran the benchmark itself (or re-ran it) with the same bundle and dataset and got the same ranks. */
  | 'VERIFIED';

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

export type StartBenchmarkInput = {
  batchSize?: number | null | undefined;
  bootstrapSamples?: number | null | undefined;
  /** study or patient. */
  bootstrapUnit?: string | null | undefined;
  confidence?: number | null | undefined;
  /** occlusion (default) or a severity family. */
  corruption?: string | null | undefined;
  dataset: string;
  distractorSplits?: Array<string> | null | undefined;
  excludeUndecodable?: boolean | null | undefined;
  fill?: string | null | undefined;
  grid?: number | null | undefined;
  levels?: Array<number> | null | undefined;
  models: Array<string>;
  pattern?: string | null | undefined;
  /** Reference model of the corruption error. */
  referenceModel?: string | null | undefined;
  seed?: number | null | undefined;
  split?: string | null | undefined;
  textField?: string | null | undefined;
  /** frontal and/or lateral. */
  views?: Array<string> | null | undefined;
};

export type StartIndexInput = {
  /** Items per batch (default: the server's encode batch size). */
  batchSize?: number | null | undefined;
  dataset: string;
  modality?: IndexModality | null | undefined;
  model: string;
  /** Build a new collection version even when the index is up to date. */
  reindex?: boolean | null | undefined;
  /** impression (default), findings, findings+impression, longest or full. */
  textField?: string | null | undefined;
};

export type SubmitRunInput = {
  /** Models trained on this dataset's train split. */
  inDomain?: Array<string> | null | undefined;
  licenses?: Array<LicenseInput> | null | undefined;
  /** The run's record file (cxr-bench-file/1 JSON, as cxr bench writes run.json), verbatim. */
  recordFile: string;
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

export type BoardFieldsFragment = { id: string, key: string, dataset: string, datasetFingerprint: string, datasetAccess: string, split: string, textField: string, corruption: string, levels: Array<number>, seed: number, views: Array<string>, recallAt: Array<number>, protocolKey: string, protocolVersion: string, description: string, entryCount: number, bootstrapSamples: number, confidence: number };

export type LeaderboardBoardsQueryVariables = Exact<{ [key: string]: never; }>;


export type LeaderboardBoardsQuery = { leaderboardBoards: Array<{ id: string, key: string, dataset: string, datasetFingerprint: string, datasetAccess: string, split: string, textField: string, corruption: string, levels: Array<number>, seed: number, views: Array<string>, recallAt: Array<number>, protocolKey: string, protocolVersion: string, description: string, entryCount: number, bootstrapSamples: number, confidence: number }> };

export type LeaderboardViewQueryVariables = Exact<{
  filter?: LeaderboardFilter | null | undefined;
  sort?: LeaderboardSort | null | undefined;
  asOf?: string | null | undefined;
  first?: number | null | undefined;
  includeSuperseded?: boolean | null | undefined;
}>;


export type LeaderboardViewQuery = { leaderboardEntries: { asOf: string, metric: string, direction: Direction, totalCount: number, edges: Array<{ node: { rankLabel: string | null, rankLow: number | null, rankHigh: number | null, tieGroup: number | null, value: number | null, low: number | null, high: number | null, board: { key: string }, entry: { id: string, entryId: string, model: string, modelFingerprint: string, provenance: Provenance, license: string, inDomain: boolean, citation: string | null, supersededAt: string | null, createdAt: string, cells: Array<{ direction: Direction, level: number, metrics: Array<{ name: string, value: number, low: number | null, high: number | null }> }>, summaries: Array<{ direction: Direction, metric: string, auc: number, clean: number | null, relativeRobustness: number | null }> } } }> } };

export type LeaderboardEntryQueryVariables = Exact<{
  id: string;
  asOf?: string | null | undefined;
  k?: number | null | undefined;
}>;


export type LeaderboardEntryQuery = { leaderboardEntry: { id: string, entryId: string, model: string, modelFingerprint: string, provenance: Provenance, license: string, inDomain: boolean, citation: string | null, createdAt: string, supersededAt: string | null, checkedAt: string | null, runId: string | null, submissionId: string | null, board: { id: string, key: string, dataset: string, datasetFingerprint: string, datasetAccess: string, split: string, textField: string, corruption: string, levels: Array<number>, seed: number, views: Array<string>, recallAt: Array<number>, protocolKey: string, protocolVersion: string, description: string, entryCount: number, bootstrapSamples: number, confidence: number }, cells: Array<{ direction: Direction, level: number, metrics: Array<{ name: string, value: number, low: number | null, high: number | null }> }>, summaries: Array<{ direction: Direction, metric: string, auc: number, clean: number | null, relativeRobustness: number | null, corruptionError: number | null, referenceModel: string | null }>, check: { outcome: Provenance, runId: string, differences: Array<{ direction: Direction, level: number, queries: Array<string>, deltas: Array<{ name: string, value: number }> }> } | null, drillDown: Array<{ direction: Direction, from: number, to: number, fallen: Array<{ id: string, study: string }>, risen: Array<{ id: string, study: string }> }> } };

export type SubmitRunMutationVariables = Exact<{
  input: SubmitRunInput;
}>;


export type SubmitRunMutation = { submitRun:
    | { __typename: 'SubmissionAccepted', boardId: string, duplicate: boolean, entryIds: Array<string>, submissionId: string }
    | { __typename: 'SubmissionRefused', reason: string, field: string | null, message: string }
   };

export type JobFieldsFragment = { id: string, jobId: string, kind: JobKind, status: JobStatus, parameters: string, attempts: number, cancelRequested: boolean, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: string | null, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null };

export type JobsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  status?: JobStatus | null | undefined;
}>;


export type JobsQuery = { jobs: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, jobId: string, kind: JobKind, status: JobStatus, parameters: string, attempts: number, cancelRequested: boolean, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: string | null, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } }> } };

export type StartIndexMutationVariables = Exact<{
  input: StartIndexInput;
}>;


export type StartIndexMutation = { startIndex: { id: string, jobId: string, kind: JobKind, status: JobStatus, parameters: string, attempts: number, cancelRequested: boolean, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: string | null, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

export type StartBenchmarkMutationVariables = Exact<{
  input: StartBenchmarkInput;
}>;


export type StartBenchmarkMutation = { startBenchmark: { id: string, jobId: string, kind: JobKind, status: JobStatus, parameters: string, attempts: number, cancelRequested: boolean, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: string | null, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

export type CancelJobMutationVariables = Exact<{
  id: string;
}>;


export type CancelJobMutation = { cancelJob: { id: string, jobId: string, kind: JobKind, status: JobStatus, parameters: string, attempts: number, cancelRequested: boolean, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: string | null, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

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
export const BoardFieldsFragmentDoc = new TypedDocumentString(`
    fragment BoardFields on LeaderboardBoard {
  id
  key
  dataset
  datasetFingerprint
  datasetAccess
  split
  textField
  corruption
  levels
  seed
  views
  recallAt
  protocolKey
  protocolVersion
  description
  entryCount
  bootstrapSamples
  confidence
}
    `, {"fragmentName":"BoardFields"}) as unknown as TypedDocumentString<BoardFieldsFragment, unknown>;
export const JobFieldsFragmentDoc = new TypedDocumentString(`
    fragment JobFields on Job {
  id
  jobId
  kind
  status
  parameters
  attempts
  cancelRequested
  createdAt
  startedAt
  finishedAt
  updatedAt
  error
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}
    `, {"fragmentName":"JobFields"}) as unknown as TypedDocumentString<JobFieldsFragment, unknown>;
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
export const LeaderboardBoardsDocument = new TypedDocumentString(`
    query LeaderboardBoards {
  leaderboardBoards {
    ...BoardFields
  }
}
    fragment BoardFields on LeaderboardBoard {
  id
  key
  dataset
  datasetFingerprint
  datasetAccess
  split
  textField
  corruption
  levels
  seed
  views
  recallAt
  protocolKey
  protocolVersion
  description
  entryCount
  bootstrapSamples
  confidence
}`) as unknown as TypedDocumentString<LeaderboardBoardsQuery, LeaderboardBoardsQueryVariables>;
export const LeaderboardViewDocument = new TypedDocumentString(`
    query LeaderboardView($filter: LeaderboardFilter, $sort: LeaderboardSort, $asOf: String, $first: Int, $includeSuperseded: Boolean) {
  leaderboardEntries(
    filter: $filter
    sort: $sort
    asOf: $asOf
    first: $first
    includeSuperseded: $includeSuperseded
  ) {
    asOf
    metric
    direction
    totalCount
    edges {
      node {
        rankLabel
        rankLow
        rankHigh
        tieGroup
        value
        low
        high
        board {
          key
        }
        entry {
          id
          entryId
          model
          modelFingerprint
          provenance
          license
          inDomain
          citation
          supersededAt
          createdAt
          cells {
            direction
            level
            metrics {
              name
              value
              low
              high
            }
          }
          summaries {
            direction
            metric
            auc
            clean
            relativeRobustness
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<LeaderboardViewQuery, LeaderboardViewQueryVariables>;
export const LeaderboardEntryDocument = new TypedDocumentString(`
    query LeaderboardEntry($id: ID!, $asOf: String, $k: Int) {
  leaderboardEntry(id: $id, asOf: $asOf) {
    id
    entryId
    model
    modelFingerprint
    provenance
    license
    inDomain
    citation
    createdAt
    supersededAt
    checkedAt
    runId
    submissionId
    board {
      ...BoardFields
    }
    cells {
      direction
      level
      metrics {
        name
        value
        low
        high
      }
    }
    summaries {
      direction
      metric
      auc
      clean
      relativeRobustness
      corruptionError
      referenceModel
    }
    check {
      outcome
      runId
      differences {
        direction
        level
        queries
        deltas {
          name
          value
        }
      }
    }
    drillDown(k: $k) {
      direction
      from
      to
      fallen {
        id
        study
      }
      risen {
        id
        study
      }
    }
  }
}
    fragment BoardFields on LeaderboardBoard {
  id
  key
  dataset
  datasetFingerprint
  datasetAccess
  split
  textField
  corruption
  levels
  seed
  views
  recallAt
  protocolKey
  protocolVersion
  description
  entryCount
  bootstrapSamples
  confidence
}`) as unknown as TypedDocumentString<LeaderboardEntryQuery, LeaderboardEntryQueryVariables>;
export const SubmitRunDocument = new TypedDocumentString(`
    mutation SubmitRun($input: SubmitRunInput!) {
  submitRun(input: $input) {
    __typename
    ... on SubmissionAccepted {
      boardId
      duplicate
      entryIds
      submissionId
    }
    ... on SubmissionRefused {
      reason
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<SubmitRunMutation, SubmitRunMutationVariables>;
export const JobsDocument = new TypedDocumentString(`
    query Jobs($first: Int, $after: String, $status: JobStatus) {
  jobs(first: $first, after: $after, status: $status) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...JobFields
      }
    }
  }
}
    fragment JobFields on Job {
  id
  jobId
  kind
  status
  parameters
  attempts
  cancelRequested
  createdAt
  startedAt
  finishedAt
  updatedAt
  error
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<JobsQuery, JobsQueryVariables>;
export const StartIndexDocument = new TypedDocumentString(`
    mutation StartIndex($input: StartIndexInput!) {
  startIndex(input: $input) {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  jobId
  kind
  status
  parameters
  attempts
  cancelRequested
  createdAt
  startedAt
  finishedAt
  updatedAt
  error
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<StartIndexMutation, StartIndexMutationVariables>;
export const StartBenchmarkDocument = new TypedDocumentString(`
    mutation StartBenchmark($input: StartBenchmarkInput!) {
  startBenchmark(input: $input) {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  jobId
  kind
  status
  parameters
  attempts
  cancelRequested
  createdAt
  startedAt
  finishedAt
  updatedAt
  error
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<StartBenchmarkMutation, StartBenchmarkMutationVariables>;
export const CancelJobDocument = new TypedDocumentString(`
    mutation CancelJob($id: ID!) {
  cancelJob(id: $id) {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  jobId
  kind
  status
  parameters
  attempts
  cancelRequested
  createdAt
  startedAt
  finishedAt
  updatedAt
  error
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<CancelJobMutation, CancelJobMutationVariables>;