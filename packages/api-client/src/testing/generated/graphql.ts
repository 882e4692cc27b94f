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

export type TestModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type TestModelsQuery = { models: Array<{ id: string, modelId: string, dimension: number, fingerprint: string, card: string | null, providers: { image: string, text: string } | null, indexes: Array<{ modality: Modality, dataset: string, points: number, stale: boolean }> }> };

export type TestModelQueryVariables = Exact<{
  id: string;
}>;


export type TestModelQuery = { model: { id: string, modelId: string } };

export type TestModelIdsQueryVariables = Exact<{ [key: string]: never; }>;


export type TestModelIdsQuery = { models: Array<{ id: string }>, datasets: Array<{ id: string }> };

export type TestDatasetsQueryVariables = Exact<{ [key: string]: never; }>;


export type TestDatasetsQuery = { datasets: Array<{ name: string, status: string, studyCount: number, imageCount: number, splits: Array<{ name: string, studyCount: number, imageCount: number, fingerprint: string | null }> }> };

export type TestDatasetStudiesQueryVariables = Exact<{
  name: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TestDatasetStudiesQuery = { dataset: { name: string, studies: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, externalId: string, split: string, report: { impression: string | null, findings: string | null } | null, images: Array<{ id: string, externalId: string, view: string | null, width: number, previewUrl: string, originalUrl: string }> } }> } } };

export type TestStudyQueryVariables = Exact<{
  id: string;
}>;


export type TestStudyQuery = { study: { id: string, externalId: string, split: string, dataset: { name: string }, images: Array<{ id: string }> } };

export type TestImageQueryVariables = Exact<{
  id: string;
}>;


export type TestImageQuery = { image: { id: string, externalId: string, width: number, height: number, sha256: string, study: { id: string, externalId: string } } };

export type TestNodeQueryVariables = Exact<{
  id: string;
}>;


export type TestNodeQuery = { node:
    | { __typename: 'BenchmarkRun', id: string }
    | { __typename: 'Dataset', id: string }
    | { __typename: 'Image', id: string }
    | { __typename: 'Job', jobId: string, status: JobStatus, id: string }
    | { __typename: 'LeaderboardBoard', id: string }
    | { __typename: 'LeaderboardEntry', id: string }
    | { __typename: 'Model', modelId: string, id: string }
    | { __typename: 'Study', externalId: string, id: string }
    | { __typename: 'Submission', id: string }
   | null };

export type TestSearchQueryVariables = Exact<{
  input: SearchInput;
}>;


export type TestSearchQuery = { search:
    | { __typename: 'ImageRejected', field: string, reason: string, message: string }
    | { __typename: 'ModelUnavailable', model: string, message: string }
    | { __typename: 'NotIndexed', model: string, target: Modality, message: string }
    | { __typename: 'SearchOk', target: Modality, k: number, queryStudy: { id: string, externalId: string } | null, occlusion: { level: number, grid: number, fill: OcclusionFill, seed: number, cells: Array<number> } | null, results: Array<{ model: string, trueRank: number | null, trueScore: number | null, hits: Array<{ rank: number, score: number, study: { id: string, externalId: string }, image: { id: string, width: number } | null, report: { impression: string | null } | null }> }> }
   };

export type TestBenchmarkRunsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TestBenchmarkRunsQuery = { benchmarkRuns: { totalCount: number, edges: Array<{ node: { id: string, runId: string, status: string } }> } };

export type TestBenchmarkRunQueryVariables = Exact<{
  id: string;
}>;


export type TestBenchmarkRunQuery = { benchmarkRun: { runId: string, levels: Array<number>, resultCount: number, expectedResults: number, models: Array<{ id: string }>, counts: Array<{ name: string, value: number }>, results: Array<{ model: string, level: number, direction: Direction, queries: number, ranks: Array<number>, metrics: Array<{ name: string, value: number, low: number | null, high: number | null }> }>, summaries: Array<{ model: string, direction: Direction, metric: string, auc: number }> } };

export type TestJobFieldsFragment = { id: string, jobId: string, kind: JobKind, status: JobStatus, attempts: number, error: string | null, cancelRequested: boolean, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null };

export type TestJobQueryVariables = Exact<{
  id: string;
}>;


export type TestJobQuery = { job: { id: string, jobId: string, kind: JobKind, status: JobStatus, attempts: number, error: string | null, cancelRequested: boolean, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

export type TestJobsQueryVariables = Exact<{
  first?: number | null | undefined;
  status?: JobStatus | null | undefined;
}>;


export type TestJobsQuery = { jobs: { totalCount: number, edges: Array<{ node: { id: string } }> } };

export type TestStartIndexMutationVariables = Exact<{
  input: StartIndexInput;
}>;


export type TestStartIndexMutation = { startIndex: { id: string, jobId: string, kind: JobKind, status: JobStatus, attempts: number, error: string | null, cancelRequested: boolean, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

export type TestStartBenchmarkMutationVariables = Exact<{
  input: StartBenchmarkInput;
}>;


export type TestStartBenchmarkMutation = { startBenchmark: { id: string, jobId: string, kind: JobKind, status: JobStatus, attempts: number, error: string | null, cancelRequested: boolean, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

export type TestRetryJobMutationVariables = Exact<{
  id: string;
}>;


export type TestRetryJobMutation = { retryJob: { id: string, jobId: string, kind: JobKind, status: JobStatus, attempts: number, error: string | null, cancelRequested: boolean, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

export type TestCancelJobMutationVariables = Exact<{
  id: string;
}>;


export type TestCancelJobMutation = { cancelJob: { id: string, jobId: string, kind: JobKind, status: JobStatus, attempts: number, error: string | null, cancelRequested: boolean, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null } };

export type TestLeaderboardBoardsQueryVariables = Exact<{ [key: string]: never; }>;


export type TestLeaderboardBoardsQuery = { leaderboardBoards: Array<{ id: string, key: string, dataset: string, split: string, corruption: string, levels: Array<number>, seed: number, bootstrapSamples: number, confidence: number, entryCount: number, description: string }> };

export type TestLeaderboardBoardQueryVariables = Exact<{
  key: string;
  direction: Direction;
}>;


export type TestLeaderboardBoardQuery = { leaderboardBoard: { key: string, entryCount: number, queries: Array<{ id: string, study: string }> } };

export type TestLeaderboardRowsQueryVariables = Exact<{
  filter?: LeaderboardFilter | null | undefined;
  sort?: LeaderboardSort | null | undefined;
  asOf?: string | null | undefined;
}>;


export type TestLeaderboardRowsQuery = { leaderboardEntries: { asOf: string, metric: string, totalCount: number, edges: Array<{ node: { rankLabel: string | null, rankLow: number | null, rankHigh: number | null, tieGroup: number | null, value: number | null, low: number | null, high: number | null, board: { key: string, protocolKey: string, datasetFingerprint: string }, entry: { id: string, entryId: string, model: string, provenance: Provenance, license: string } } }> } };

export type TestLeaderboardEntryQueryVariables = Exact<{
  id: string;
}>;


export type TestLeaderboardEntryQuery = { leaderboardEntry: { provenance: Provenance, ranks: Array<number>, check: { outcome: Provenance, runId: string, differences: Array<{ direction: Direction, level: number, queries: Array<string>, deltas: Array<{ name: string, value: number }> }> } | null, cells: Array<{ direction: Direction, level: number, metrics: Array<{ name: string, value: number, low: number | null, high: number | null }> }>, drillDown: Array<{ direction: Direction, from: number, to: number, fallen: Array<{ id: string, study: string }> }> } };

export type TestLeaderboardEntryRanksQueryVariables = Exact<{
  id: string;
  direction: Direction;
}>;


export type TestLeaderboardEntryRanksQuery = { leaderboardEntry: { entryId: string, clean: Array<number>, half: Array<number> } };

export type TestLeaderboardSubmissionsQueryVariables = Exact<{ [key: string]: never; }>;


export type TestLeaderboardSubmissionsQuery = { leaderboardSubmissions: { totalCount: number, edges: Array<{ node: { submitter: string, entries: Array<{ model: string }> } }> } };

export type TestSubmitRunMutationVariables = Exact<{
  input: SubmitRunInput;
}>;


export type TestSubmitRunMutation = { submitRun:
    | { __typename: 'SubmissionAccepted', submissionId: string, duplicate: boolean, entryIds: Array<string> }
    | { __typename: 'SubmissionRefused', reason: string, field: string | null, message: string }
   };

export type TestVerifyEntryMutationVariables = Exact<{
  id: string;
}>;


export type TestVerifyEntryMutation = { verifyEntry:
    | { __typename: 'Job', id: string, jobId: string, kind: JobKind, status: JobStatus, attempts: number, error: string | null, cancelRequested: boolean, result: string | null, progress: { phase: string, done: number, total: number | null, unit: string, rate: number | null, eta: number | null } | null }
    | { __typename: 'VerificationRefused', reason: string, field: string | null, message: string }
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
export const TestJobFieldsFragmentDoc = new TypedDocumentString(`
    fragment TestJobFields on Job {
  id
  jobId
  kind
  status
  attempts
  error
  cancelRequested
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
    `, {"fragmentName":"TestJobFields"}) as unknown as TypedDocumentString<TestJobFieldsFragment, unknown>;
export const TestModelsDocument = new TypedDocumentString(`
    query TestModels {
  models {
    id
    modelId
    dimension
    fingerprint
    card
    providers {
      image
      text
    }
    indexes {
      modality
      dataset
      points
      stale
    }
  }
}
    `) as unknown as TypedDocumentString<TestModelsQuery, TestModelsQueryVariables>;
export const TestModelDocument = new TypedDocumentString(`
    query TestModel($id: String!) {
  model(id: $id) {
    id
    modelId
  }
}
    `) as unknown as TypedDocumentString<TestModelQuery, TestModelQueryVariables>;
export const TestModelIdsDocument = new TypedDocumentString(`
    query TestModelIds {
  models {
    id
  }
  datasets {
    id
  }
}
    `) as unknown as TypedDocumentString<TestModelIdsQuery, TestModelIdsQueryVariables>;
export const TestDatasetsDocument = new TypedDocumentString(`
    query TestDatasets {
  datasets {
    name
    status
    studyCount
    imageCount
    splits {
      name
      studyCount
      imageCount
      fingerprint
    }
  }
}
    `) as unknown as TypedDocumentString<TestDatasetsQuery, TestDatasetsQueryVariables>;
export const TestDatasetStudiesDocument = new TypedDocumentString(`
    query TestDatasetStudies($name: String!, $first: Int, $after: String) {
  dataset(name: $name) {
    name
    studies(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
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
            externalId
            view
            width
            previewUrl
            originalUrl
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TestDatasetStudiesQuery, TestDatasetStudiesQueryVariables>;
export const TestStudyDocument = new TypedDocumentString(`
    query TestStudy($id: ID!) {
  study(id: $id) {
    id
    externalId
    split
    dataset {
      name
    }
    images {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<TestStudyQuery, TestStudyQueryVariables>;
export const TestImageDocument = new TypedDocumentString(`
    query TestImage($id: ID!) {
  image(id: $id) {
    id
    externalId
    width
    height
    sha256
    study {
      id
      externalId
    }
  }
}
    `) as unknown as TypedDocumentString<TestImageQuery, TestImageQueryVariables>;
export const TestNodeDocument = new TypedDocumentString(`
    query TestNode($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Model {
      modelId
    }
    ... on Job {
      jobId
      status
    }
    ... on Study {
      externalId
    }
  }
}
    `) as unknown as TypedDocumentString<TestNodeQuery, TestNodeQueryVariables>;
export const TestSearchDocument = new TypedDocumentString(`
    query TestSearch($input: SearchInput!) {
  search(input: $input) {
    __typename
    ... on SearchOk {
      target
      k
      queryStudy {
        id
        externalId
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
        trueRank
        trueScore
        hits {
          rank
          score
          study {
            id
            externalId
          }
          image {
            id
            width
          }
          report {
            impression
          }
        }
      }
    }
    ... on NotIndexed {
      model
      target
      message
    }
    ... on ModelUnavailable {
      model
      message
    }
    ... on ImageRejected {
      field
      reason
      message
    }
  }
}
    `) as unknown as TypedDocumentString<TestSearchQuery, TestSearchQueryVariables>;
export const TestBenchmarkRunsDocument = new TypedDocumentString(`
    query TestBenchmarkRuns($first: Int, $after: String) {
  benchmarkRuns(first: $first, after: $after) {
    totalCount
    edges {
      node {
        id
        runId
        status
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TestBenchmarkRunsQuery, TestBenchmarkRunsQueryVariables>;
export const TestBenchmarkRunDocument = new TypedDocumentString(`
    query TestBenchmarkRun($id: ID!) {
  benchmarkRun(id: $id) {
    runId
    levels
    models {
      id
    }
    resultCount
    expectedResults
    counts {
      name
      value
    }
    results {
      model
      level
      direction
      queries
      metrics {
        name
        value
        low
        high
      }
      ranks
    }
    summaries {
      model
      direction
      metric
      auc
    }
  }
}
    `) as unknown as TypedDocumentString<TestBenchmarkRunQuery, TestBenchmarkRunQueryVariables>;
export const TestJobDocument = new TypedDocumentString(`
    query TestJob($id: ID!) {
  job(id: $id) {
    ...TestJobFields
  }
}
    fragment TestJobFields on Job {
  id
  jobId
  kind
  status
  attempts
  error
  cancelRequested
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<TestJobQuery, TestJobQueryVariables>;
export const TestJobsDocument = new TypedDocumentString(`
    query TestJobs($first: Int, $status: JobStatus) {
  jobs(first: $first, status: $status) {
    totalCount
    edges {
      node {
        id
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TestJobsQuery, TestJobsQueryVariables>;
export const TestStartIndexDocument = new TypedDocumentString(`
    mutation TestStartIndex($input: StartIndexInput!) {
  startIndex(input: $input) {
    ...TestJobFields
  }
}
    fragment TestJobFields on Job {
  id
  jobId
  kind
  status
  attempts
  error
  cancelRequested
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<TestStartIndexMutation, TestStartIndexMutationVariables>;
export const TestStartBenchmarkDocument = new TypedDocumentString(`
    mutation TestStartBenchmark($input: StartBenchmarkInput!) {
  startBenchmark(input: $input) {
    ...TestJobFields
  }
}
    fragment TestJobFields on Job {
  id
  jobId
  kind
  status
  attempts
  error
  cancelRequested
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<TestStartBenchmarkMutation, TestStartBenchmarkMutationVariables>;
export const TestRetryJobDocument = new TypedDocumentString(`
    mutation TestRetryJob($id: ID!) {
  retryJob(id: $id) {
    ...TestJobFields
  }
}
    fragment TestJobFields on Job {
  id
  jobId
  kind
  status
  attempts
  error
  cancelRequested
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<TestRetryJobMutation, TestRetryJobMutationVariables>;
export const TestCancelJobDocument = new TypedDocumentString(`
    mutation TestCancelJob($id: ID!) {
  cancelJob(id: $id) {
    ...TestJobFields
  }
}
    fragment TestJobFields on Job {
  id
  jobId
  kind
  status
  attempts
  error
  cancelRequested
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<TestCancelJobMutation, TestCancelJobMutationVariables>;
export const TestLeaderboardBoardsDocument = new TypedDocumentString(`
    query TestLeaderboardBoards {
  leaderboardBoards {
    id
    key
    dataset
    split
    corruption
    levels
    seed
    bootstrapSamples
    confidence
    entryCount
    description
  }
}
    `) as unknown as TypedDocumentString<TestLeaderboardBoardsQuery, TestLeaderboardBoardsQueryVariables>;
export const TestLeaderboardBoardDocument = new TypedDocumentString(`
    query TestLeaderboardBoard($key: String!, $direction: Direction!) {
  leaderboardBoard(key: $key) {
    key
    entryCount
    queries(direction: $direction) {
      id
      study
    }
  }
}
    `) as unknown as TypedDocumentString<TestLeaderboardBoardQuery, TestLeaderboardBoardQueryVariables>;
export const TestLeaderboardRowsDocument = new TypedDocumentString(`
    query TestLeaderboardRows($filter: LeaderboardFilter, $sort: LeaderboardSort, $asOf: String) {
  leaderboardEntries(filter: $filter, sort: $sort, asOf: $asOf) {
    asOf
    metric
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
          protocolKey
          datasetFingerprint
        }
        entry {
          id
          entryId
          model
          provenance
          license
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TestLeaderboardRowsQuery, TestLeaderboardRowsQueryVariables>;
export const TestLeaderboardEntryDocument = new TypedDocumentString(`
    query TestLeaderboardEntry($id: ID!) {
  leaderboardEntry(id: $id) {
    provenance
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
    drillDown(k: 1) {
      direction
      from
      to
      fallen {
        id
        study
      }
    }
    ranks(direction: IMAGE_TO_TEXT, level: 0)
  }
}
    `) as unknown as TypedDocumentString<TestLeaderboardEntryQuery, TestLeaderboardEntryQueryVariables>;
export const TestLeaderboardEntryRanksDocument = new TypedDocumentString(`
    query TestLeaderboardEntryRanks($id: ID!, $direction: Direction!) {
  leaderboardEntry(id: $id) {
    entryId
    clean: ranks(direction: $direction, level: 0)
    half: ranks(direction: $direction, level: 0.5)
  }
}
    `) as unknown as TypedDocumentString<TestLeaderboardEntryRanksQuery, TestLeaderboardEntryRanksQueryVariables>;
export const TestLeaderboardSubmissionsDocument = new TypedDocumentString(`
    query TestLeaderboardSubmissions {
  leaderboardSubmissions {
    totalCount
    edges {
      node {
        submitter
        entries {
          model
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TestLeaderboardSubmissionsQuery, TestLeaderboardSubmissionsQueryVariables>;
export const TestSubmitRunDocument = new TypedDocumentString(`
    mutation TestSubmitRun($input: SubmitRunInput!) {
  submitRun(input: $input) {
    __typename
    ... on SubmissionAccepted {
      submissionId
      duplicate
      entryIds
    }
    ... on SubmissionRefused {
      reason
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<TestSubmitRunMutation, TestSubmitRunMutationVariables>;
export const TestVerifyEntryDocument = new TypedDocumentString(`
    mutation TestVerifyEntry($id: ID!) {
  verifyEntry(id: $id) {
    __typename
    ... on Job {
      ...TestJobFields
    }
    ... on VerificationRefused {
      reason
      field
      message
    }
  }
}
    fragment TestJobFields on Job {
  id
  jobId
  kind
  status
  attempts
  error
  cancelRequested
  result
  progress {
    phase
    done
    total
    unit
    rate
    eta
  }
}`) as unknown as TypedDocumentString<TestVerifyEntryMutation, TestVerifyEntryMutationVariables>;