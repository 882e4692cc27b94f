import { createHash } from "node:crypto";
import { parseHttpUrl } from "@cxr/config";
import type { PullProgress as DatasetPullProgress, IngestProgress } from "@cxr/datasets";
import { type BenchOptions, type BenchResult, checkBenchRequest, runBench } from "../bench/run.ts";
import type { Services } from "../context/open.ts";
import {
  checkIngestRequest,
  checkPullRequest,
  type IngestRequest,
  ingestDataset,
  type PulledDataset,
  type PullRequest,
  pullDataset,
} from "../datasets/datasets.ts";
import {
  checkIndexRequest,
  type IndexDatasetOptions,
  type IndexResult,
  indexDataset,
} from "../index-job/job.ts";
import { finishVerification, planVerification } from "../leaderboard/verify.ts";
import { checkModelPull, type PulledModel, pullModel } from "../models/pull.ts";
import { JobError } from "./errors.ts";
import type { JobKind } from "./types.ts";

/**
 * One definition per job kind: how its parameters are checked (prepare), which key deduplicates it,
 * which writers it must hold alone, how it executes (the existing use case, wrapped) and what of its
 * result is kept in the row. Parameters are plain JSON: a queue can carry them.
 */

/** The progress a definition reports; the runner adds job id, kind, rate and ETA. */
export interface StepProgress {
  phase: string;
  done: number;
  total: number | null;
  /** What done and total count in this phase, when not the definition's unit. */
  unit?: string;
}

export interface ExecuteContext<P> {
  services: Services;
  jobId: string;
  parameters: P;
  signal: AbortSignal;
  /** Resolves once a due write to the row (and the cancel check) is done; a use case may await it. */
  progress(step: StepProgress): Promise<void>;
  /** Forwards the use case's own progress event to the caller (ExecuteOptions.onEvent). */
  event(event: unknown): void;
}

export interface JobDefinition<P, R> {
  kind: JobKind;
  unit: string;
  /** Validates (typed errors, nothing written) and normalises the parameters. */
  prepare(services: Services, input: unknown): Promise<P>;
  /** At most one execution at a time per writer key in a runner (e.g. per (model, modality)). */
  writers(parameters: P): string[];
  execute(context: ExecuteContext<P>): Promise<R>;
  /** What of the result the row keeps (ids and counts, never content). */
  summarize(result: R): unknown;
}

/** Canonical JSON (sorted keys): equal parameters give equal keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function jobKey(kind: JobKind, parameters: unknown): string {
  return `${kind}:${createHash("sha256").update(canonicalJson(parameters)).digest("hex")}`;
}

function record(input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new JobError("INVALID_ARGUMENT", "job parameters must be an object");
  }
  return input as Record<string, unknown>;
}

function pick<T extends object>(
  input: Record<string, unknown>,
  keys: readonly (keyof T & string)[],
): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!keys.includes(key as keyof T & string)) {
      throw new JobError("INVALID_ARGUMENT", `unknown job parameter "${key}"`);
    }
    if (input[key] !== undefined) out[key] = input[key];
  }
  return out as Partial<T>;
}

/** `cxr index` as a job. */
export type IndexJobParameters = Pick<
  IndexDatasetOptions,
  "modelId" | "datasetName" | "modality" | "batchSize" | "reindex" | "textField"
>;

const INDEX_KEYS = ["modelId", "datasetName", "modality", "batchSize", "reindex", "textField"] as const;

export const indexJob: JobDefinition<IndexJobParameters, IndexResult> = {
  kind: "index",
  unit: "items",
  async prepare(services, input) {
    const parameters = pick<IndexJobParameters>(record(input), INDEX_KEYS) as IndexJobParameters;
    parameters.modality ??= "both";
    await checkIndexRequest({ ...parameters, db: await services.database(), config: services.config });
    return parameters;
  },
  writers(p) {
    const modalities = p.modality === "both" ? ["images", "reports"] : [p.modality];
    return modalities.map((m) => `index:${p.modelId}:${m}`);
  },
  async execute({ services, jobId, parameters, signal, progress, event }) {
    return indexDataset({
      ...parameters,
      db: await services.database(),
      store: services.store(),
      config: services.config,
      signal,
      jobId,
      // indexDataset awaits its callback: the cancel check is done between batches.
      onProgress: (p) => {
        event(p);
        return progress({ phase: `${p.modality} ${p.phase}`, done: p.processed + p.failed, total: p.total });
      },
    });
  },
  summarize: (r) => ({
    model: r.model,
    dataset: r.dataset,
    results: r.results.map(({ failures, ...rest }) => ({ ...rest, failures: failures.length })),
  }),
};

/** `cxr bench` as a job: every protocol parameter, plain JSON. */
export type BenchJobParameters = Omit<BenchOptions, "db" | "config" | "onProgress" | "signal" | "jobId">;

const BENCH_KEYS = [
  "models",
  "dataset",
  "split",
  "outDir",
  "cache",
  "cacheMaxBytes",
  "referenceModel",
  "batchSize",
  "excludeUndecodable",
  "corruption",
  "levels",
  "seed",
  "textField",
  "grid",
  "fill",
  "pattern",
  "views",
  "distractorSplits",
  "bootstrapSamples",
  "confidence",
  "bootstrapUnit",
] as const;

export const benchJob: JobDefinition<BenchJobParameters, BenchResult> = {
  kind: "bench",
  unit: "cells",
  async prepare(services, input) {
    const parameters = pick<BenchJobParameters>(record(input), BENCH_KEYS) as BenchJobParameters;
    if (!Array.isArray(parameters.models) || typeof parameters.dataset !== "string") {
      throw new JobError("INVALID_ARGUMENT", "a benchmark job needs models (a list) and a dataset");
    }
    await checkBenchRequest({ ...parameters, db: await services.database() });
    return parameters;
  },
  writers: () => [],
  async execute({ services, jobId, parameters, signal, progress, event: forward }) {
    let cells = 0;
    let done = 0;
    return runBench({
      ...parameters,
      db: await services.database(),
      config: services.config,
      signal,
      jobId,
      onProgress: (event) => {
        forward(event);
        if (event.phase === "start") {
          cells = event.cells;
          done = event.cellsDone;
        } else if (event.phase === "level-done") done++;
        void progress({ phase: event.phase, done, total: cells || null });
      },
    });
  },
  summarize: (r) => ({
    runId: r.runId,
    resumed: r.resumed,
    resumedCells: r.resumedCells,
    outDir: r.outDir,
    files: r.files,
    undecodable: r.undecodable.length,
  }),
};

/** `cxr ingest` as a job (resumable: a second run adds what is missing). */
export type IngestJobParameters = Omit<IngestRequest, "onProgress" | "signal">;

const INGEST_KEYS = ["adapter", "root", "name", "split", "textOnly", "imagesDir", "reportsDir"] as const;

export const ingestJob: JobDefinition<IngestJobParameters, Awaited<ReturnType<typeof ingestDataset>>> = {
  kind: "ingest",
  unit: "studies",
  async prepare(_services, input) {
    const parameters = pick<IngestJobParameters>(record(input), INGEST_KEYS) as IngestJobParameters;
    if (typeof parameters.adapter !== "string" || typeof parameters.root !== "string") {
      throw new JobError("INVALID_ARGUMENT", "an ingest job needs an adapter and a root");
    }
    // An unknown adapter or a missing source is refused here, before any row is written; the
    // resolved root and the default name make the same request from another folder the same job.
    return checkIngestRequest(parameters);
  },
  writers: (p) => [`ingest:${p.name ?? p.root}`],
  async execute({ services, parameters, signal, progress, event }) {
    signal.throwIfAborted();
    const summary = await ingestDataset(services, {
      ...parameters,
      signal,
      onProgress: (p) => {
        event(p);
        void progress({ phase: "ingest", done: p.processed, total: p.total ?? null });
      },
    });
    // Stopped after the study in flight: the dataset stays "ingesting" and the job resumable.
    signal.throwIfAborted();
    return summary;
  },
  summarize: (r) => r,
};

/** `cxr datasets pull` as a job: download (resumable), verify and unpack the archives, then ingest. */
export type DatasetPullJobParameters = Omit<
  PullRequest,
  "onProgress" | "onIngestProgress" | "signal" | "timeoutMs" | "retries"
>;

const DATASET_PULL_KEYS = ["dataset", "dir", "baseUrl", "sha256", "name", "ingest"] as const;

/** What a pull job forwards to its caller: the step it is in, and that step's own progress. */
export type DatasetPullJobEvent =
  | { step: "download"; progress: DatasetPullProgress }
  | { step: "ingest"; progress: IngestProgress };

export const datasetPullJob: JobDefinition<DatasetPullJobParameters, PulledDataset> = {
  kind: "dataset-pull",
  unit: "bytes",
  async prepare(services, input) {
    const parameters = pick<DatasetPullJobParameters>(
      record(input),
      DATASET_PULL_KEYS,
    ) as DatasetPullJobParameters;
    if (typeof parameters.dataset !== "string") {
      throw new JobError("INVALID_ARGUMENT", "a dataset pull job needs a dataset");
    }
    if (parameters.baseUrl !== undefined)
      parameters.baseUrl = parseHttpUrl("baseUrl", String(parameters.baseUrl));
    return checkPullRequest(services, parameters);
  },
  // One pull per folder; its ingest step excludes an ingest job of the same dataset name.
  writers: (p) => [`pull:${p.dir}`, ...(p.ingest === false ? [] : [`ingest:${p.name}`])],
  async execute({ services, parameters, signal, progress, event }) {
    signal.throwIfAborted();
    const pulled = await pullDataset(services, {
      ...parameters,
      signal,
      onProgress: (p) => {
        event({ step: "download", progress: p } satisfies DatasetPullJobEvent);
        void progress({ phase: `${p.phase} ${p.file}`, done: p.received, total: p.total ?? null });
      },
      onIngestProgress: (p) => {
        event({ step: "ingest", progress: p } satisfies DatasetPullJobEvent);
        void progress({ phase: "ingest", done: p.processed, total: p.total ?? null, unit: "studies" });
      },
    });
    // Stopped after the study in flight: the dataset stays "ingesting" and the job resumable.
    signal.throwIfAborted();
    return pulled;
  },
  summarize: (r) => r,
};

/** `cxr models pull` as a job: each file downloaded (resumable), the bundle written, checked and added. */
export interface ModelPullJobParameters {
  modelId: string;
  /** The hub's base URL (default: CXR_HF_ENDPOINT, else https://huggingface.co). */
  baseUrl?: string;
  /** Git revision in the hub repository (default main). */
  revision?: string;
}

export const modelPullJob: JobDefinition<ModelPullJobParameters, PulledModel> = {
  kind: "model-pull",
  unit: "bytes",
  async prepare(services, input) {
    const parameters = pick<ModelPullJobParameters>(record(input), [
      "modelId",
      "baseUrl",
      "revision",
    ]) as ModelPullJobParameters;
    if (typeof parameters.modelId !== "string" || parameters.modelId.length === 0) {
      throw new JobError("INVALID_ARGUMENT", "a model pull job needs a modelId");
    }
    if (parameters.baseUrl !== undefined)
      parameters.baseUrl = parseHttpUrl("baseUrl", String(parameters.baseUrl));
    // Unknown, not downloadable, or already registered: refused here, before any row is written.
    await checkModelPull(await services.database(), parameters.modelId);
    return parameters;
  },
  writers: (p) => [`model:${p.modelId}`],
  async execute({ services, parameters, signal, progress, event }) {
    signal.throwIfAborted();
    const baseUrl = parameters.baseUrl ?? services.config.hfEndpoint;
    const pulled = await pullModel(await services.database(), services.config, parameters.modelId, {
      ...(baseUrl === undefined ? {} : { baseUrl }),
      ...(parameters.revision === undefined ? {} : { revision: parameters.revision }),
      signal,
      onProgress: (p) => {
        event(p);
        void progress({
          phase: `download ${p.file} (${p.index}/${p.count})`,
          done: p.received,
          total: p.total ?? null,
        });
      },
    });
    return pulled;
  },
  // The registered model and where each file came from; the self-test's figures stay in `cxr models show`.
  summarize: (r) => ({
    model: r.model,
    source: r.source,
    downloads: r.downloads,
    selfTest: {
      passed: r.check.selfTest.checks.filter((c) => c.ok).length,
      checks: r.check.selfTest.checks.length,
    },
  }),
};

/** `verifyEntry` (cxr leaderboard verify) as a job: the entry's benchmark re-run here, then compared. */
export interface VerifyJobParameters {
  entryId: string;
  /** Set by prepare: the entry's board and model fingerprint (what the benchmark's one-writer lock covers). */
  boardId?: string;
  modelFingerprint?: string;
}

export interface VerifyJobResult {
  entryId: string;
  outcome: "verified" | "disputed";
  runId: string;
  /** Cells (direction x level) whose ranks differ, and the differing queries listed (at most 100 per cell). */
  differingCells: number;
  differingQueries: number;
}

export const verifyJob: JobDefinition<VerifyJobParameters, VerifyJobResult> = {
  kind: "verify",
  unit: "cells",
  async prepare(services, input) {
    const parameters = pick<VerifyJobParameters>(record(input), ["entryId"]) as VerifyJobParameters;
    if (typeof parameters.entryId !== "string" || parameters.entryId.length === 0) {
      throw new JobError("INVALID_ARGUMENT", "a verify job needs an entryId");
    }
    // Typed refusals (no bundle, fingerprint mismatch, unknown or reported entry), nothing written.
    const plan = await planVerification(await services.database(), parameters.entryId);
    return { entryId: plan.entryId, boardId: plan.boardId, modelFingerprint: plan.modelFingerprint };
  },
  // Two entries of one model on one board (a superseded one and its successor) re-run the same
  // benchmark, whose lock admits one process: their verifications wait for each other here.
  writers: (p) => [`verify:${p.boardId ?? p.entryId}:${p.modelFingerprint ?? ""}`],
  async execute(context) {
    const db = await context.services.database();
    // Planned again: what the server holds may have changed since prepare.
    const plan = await planVerification(db, context.parameters.entryId);
    const bench = (await benchJob.execute({ ...context, parameters: plan.bench })) as BenchResult;
    context.signal.throwIfAborted();
    const summary = await finishVerification(db, plan.entryId, bench);
    return {
      entryId: plan.entryId,
      outcome: summary.outcome,
      runId: summary.runId,
      differingCells: summary.differences.length,
      differingQueries: summary.differences.reduce((n, d) => n + d.queries.length, 0),
    };
  },
  summarize: (r) => r,
};

// biome-ignore lint/suspicious/noExplicitAny: a registry of definitions of every parameter type
export const JOB_DEFINITIONS: Record<JobKind, JobDefinition<any, any>> = {
  index: indexJob,
  bench: benchJob,
  ingest: ingestJob,
  "dataset-pull": datasetPullJob,
  "model-pull": modelPullJob,
  verify: verifyJob,
};
