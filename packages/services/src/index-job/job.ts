import type { Config } from "@cxr/config";
import type {
  Database,
  DatasetModel as Dataset,
  IndexJobModel as IndexJob,
  ModelModel as Model,
} from "@cxr/db";
import type { EncodeResult, ModelEncoder } from "@cxr/encoders";
import { type Point, pointId, type VectorStore } from "@cxr/store";
import {
  carryOtherDatasets,
  collectionAlias,
  datasetFilter,
  dropUnusedVersions,
  nextVersion,
  versionName,
} from "./collections.ts";
import { IndexSearchError } from "./errors.ts";
import {
  type DatasetRef,
  INDEXED_FIELDS,
  type IndexItem,
  MODALITIES,
  type Modality,
  REPORT_TEXT_FIELDS,
  type ReportTextField,
  readImageFile,
} from "./items.ts";
import { firstLine, openEncoder, requireModel } from "./model.ts";
import { type IndexRepository, prismaIndexRepository } from "./repository.ts";

/**
 * `indexDataset`: encodes one dataset's images and/or reports with one model into the model's
 * collection for that modality, resumably.
 *
 * - Items are read from the database in ascending id order, `batchSize` at a time; each batch is
 *   encoded, upserted under deterministic point ids (`pointId(key)`, the key built from the dataset
 *   name and the source's ids) and only then recorded in the IndexJob row (cursor = the batch's last
 *   id, processed/failed counts). A kill -9 anywhere loses at most the batch in flight; the next run
 *   resumes after the cursor, and re-upserting a batch replaces its points instead of duplicating them.
 * - Each job writes its own collection version; the alias moves to it only when the job completes.
 * - Items that cannot be encoded are counted and listed with their reason; the job goes on.
 */

export type IndexConfig = Pick<Config, "executionProviders" | "cpuThreads" | "encodeBatchSize">;

export type IndexPhase = "encoding" | "carrying" | "swapping" | "done";

export interface IndexProgress {
  model: string;
  dataset: string;
  modality: Modality;
  jobId: string;
  collection: string;
  phase: IndexPhase;
  total: number;
  /** Items written (embedded and upserted), this run and earlier runs of the same job. */
  processed: number;
  failed: number;
  /** Items this job had already handled when this run started (non-zero when resuming). */
  resumedAt: number;
}

export interface ItemFailure {
  /** Image.id or Report.id. */
  itemId: string;
  /** The source's ids (study/image), never content. */
  item: string;
  reason: string;
}

export interface ModalityIndexResult {
  modality: Modality;
  /** "up-to-date": a completed index of this dataset was already live; nothing was written. */
  status: "completed" | "up-to-date";
  jobId: string;
  alias: string;
  collection: string;
  /** The collection the alias pointed at before (null for the first index of this model and modality). */
  previousCollection: string | null;
  /** True when this run continued an interrupted job. */
  resumed: boolean;
  total: number;
  processed: number;
  failed: number;
  /** Points of this dataset in the live collection now (equals processed when nothing changed underneath). */
  points: number;
  /** Points of the whole live collection (every dataset). */
  collectionPoints: number;
  /** Points of other datasets carried over from the previous version. */
  carried: number;
  /** Datasets whose points were encoded by another bundle of this model id and were not carried over. */
  leftBehind: string[];
  /** Old versions dropped after the swap. */
  dropped: string[];
  /** This run's per-item failures (earlier runs' are in the job's `error` text). */
  failures: ItemFailure[];
  /**
   * Why a new version was built (every item encoded again), e.g. the dataset's content changed since
   * the last completed index (its fingerprint differs); null when resumed or up to date.
   */
  rebuildReason: string | null;
}

export interface IndexResult {
  model: string;
  dataset: string;
  results: ModalityIndexResult[];
}

export interface IndexDatasetOptions {
  db: Pick<Database, "prisma">;
  store: VectorStore;
  config: IndexConfig;
  modelId: string;
  datasetName: string;
  modality: Modality | "both";
  /** Items per batch (encode + upsert + progress record); default config.encodeBatchSize. */
  batchSize?: number;
  /** Build a new collection version even when this dataset's index is up to date. */
  reindex?: boolean;
  /**
   * Report text to encode (reports only): "impression" (default; then findings, then the full
   * text), "findings" or "full". Use the text the model was trained on. Changing it for an indexed
   * dataset needs `reindex`.
   */
  textField?: ReportTextField;
  /** Called after every batch and at each phase change; awaited (a slow callback slows the job). */
  onProgress?: (progress: IndexProgress) => void | Promise<void>;
  /** Stops between batches; the job stays resumable ("running" until resumed). */
  signal?: AbortSignal;
  /** The Job row (kind "index") running this: recorded in each IndexJob's `jobId`. */
  jobId?: string;
  /** Where the IndexJob rows and the items live (default: `prismaIndexRepository(db)`). */
  repository?: IndexRepository;
}

/** Most item failures kept in the job's `error` text. */
const MAX_RECORDED_FAILURES = 200;

/** What the steps of one modality need of the index options (the unit tier passes just these). */
export type ModalityOptions = Pick<
  IndexDatasetOptions,
  "db" | "store" | "reindex" | "textField" | "onProgress" | "signal" | "jobId" | "repository"
>;

function repositoryOf(options: Pick<IndexDatasetOptions, "db" | "repository">): IndexRepository {
  return options.repository ?? prismaIndexRepository(options.db);
}

/** What an index request names, checked: the modalities, the batch size, the model and the dataset rows. */
export interface CheckedIndexRequest {
  modalities: Modality[];
  batchSize: number;
  model: Model;
  dataset: Dataset;
}

/**
 * Validates an index request without writing anything (the jobs' prepare step and the first step of
 * `indexDataset`): typed errors for a bad modality, batch size or text field, an unknown model, an
 * unknown or unfinished dataset.
 */
export async function checkIndexRequest(
  options: Pick<
    IndexDatasetOptions,
    "db" | "repository" | "config" | "modelId" | "datasetName" | "modality" | "batchSize" | "textField"
  >,
): Promise<CheckedIndexRequest> {
  const { modelId, datasetName } = options;
  const modalities = parseModality(options.modality);
  const batchSize = options.batchSize ?? options.config.encodeBatchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new IndexSearchError(
      "INVALID_ARGUMENT",
      `batch size must be a whole number in 1..10000, got ${batchSize}`,
    );
  }
  if (options.textField !== undefined && !REPORT_TEXT_FIELDS.includes(options.textField)) {
    throw new IndexSearchError(
      "INVALID_ARGUMENT",
      `text field must be ${REPORT_TEXT_FIELDS.join(", ")}, got "${options.textField}"`,
    );
  }
  const repo = repositoryOf(options);
  const model = await requireModel(repo, modelId);
  const dataset = await requireReadyDataset(repo, datasetName);
  return { modalities, batchSize, model, dataset };
}

export async function indexDataset(options: IndexDatasetOptions): Promise<IndexResult> {
  const { modalities, batchSize, model, dataset } = await checkIndexRequest(options);
  let encoder: ModelEncoder | undefined;
  const getEncoder = async () => {
    encoder ??= await openEncoder(model, options.config, { batchSize });
    return encoder;
  };
  try {
    const results: ModalityIndexResult[] = [];
    for (const modality of modalities) {
      results.push(await indexModality(options, model, dataset, modality, batchSize, getEncoder));
    }
    return { model: model.id, dataset: dataset.name, results };
  } finally {
    await encoder?.close();
  }
}

function parseModality(modality: string): Modality[] {
  if (modality === "both") return [...MODALITIES];
  if ((MODALITIES as readonly string[]).includes(modality)) return [modality as Modality];
  throw new IndexSearchError(
    "INVALID_ARGUMENT",
    `modality must be images, reports or both, got "${modality}"`,
  );
}

/** The dataset of that name if its ingest is complete; typed UNKNOWN_DATASET or DATASET_NOT_READY. */
export async function requireReadyDataset(
  repo: Pick<IndexRepository, "findDataset">,
  name: string,
): Promise<Dataset> {
  const row = await repo.findDataset(name);
  if (row === null) {
    throw new IndexSearchError(
      "UNKNOWN_DATASET",
      `no dataset "${name}" is ingested (see \`cxr datasets list\`)`,
      { dataset: name },
    );
  }
  if (row.status !== "ready") {
    throw new IndexSearchError(
      "DATASET_NOT_READY",
      `dataset "${name}" is ${row.status === "failed" ? "in a failed ingest" : "still being ingested"}; finish its ingest first`,
      { dataset: name },
    );
  }
  return row;
}

/** An index job of one modality, opened (found or created, its collection ensured, marked running). */
export interface OpenedModality {
  job: IndexJob;
  resumed: boolean;
  rebuildReason: string | null;
  /** processed + failed when this run started. */
  resumedAt: number;
}

/**
 * Finds the open IndexJob of (model, dataset, modality) or, when the live index is stale, creates
 * one writing a new collection version; returns the live index's result when it is up to date.
 * Shared by the in-process path and the queue's plan step.
 */
export async function openModality(
  options: ModalityOptions,
  model: Model,
  dataset: Dataset,
  modality: Modality,
): Promise<ModalityIndexResult | OpenedModality> {
  const { store } = options;
  const repo = repositoryOf(options);
  const alias = collectionAlias(model.id, modality);
  const ref: DatasetRef = { id: dataset.id, name: dataset.name };
  const target = { modelId: model.id, datasetId: dataset.id, modality };

  let job = await repo.openJob(target);
  const resumed = job !== null;
  let rebuildReason: string | null = null;

  if (job === null) {
    const live = options.reindex
      ? { stale: "--reindex asked for a new version" }
      : await liveIndex(repo, store, model, dataset, modality, alias);
    if (!("stale" in live)) return live;
    rebuildReason = live.stale;
    const version = await nextVersion(store, alias, await repo.jobCollections(model.id, modality, false));
    job = await repo.createJob({
      ...target,
      alias,
      collection: versionName(model.id, modality, version),
      datasetFingerprint: dataset.fingerprint,
      total: await repo.countItems(ref, modality),
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
    });
  }

  await store.ensureCollection(job.collection, {
    dimension: model.dimension,
    distance: "cosine",
    indexedFields: [...INDEXED_FIELDS],
  });
  job = await repo.startJob(job.id, {
    total: await repo.countItems(ref, modality),
    error: withoutJobFailure(job.error),
    ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
  });
  return { job, resumed, rebuildReason, resumedAt: job.processed + job.failed };
}

export function modalityProgress(
  options: ModalityOptions,
  model: Model,
  dataset: Dataset,
  modality: Modality,
  resumedAt: number,
) {
  return (phase: IndexPhase, j: IndexJob) =>
    options.onProgress?.({
      model: model.id,
      dataset: dataset.name,
      modality,
      jobId: j.id,
      collection: j.collection,
      phase,
      total: j.total,
      processed: j.processed,
      failed: j.failed,
      resumedAt,
    });
}

/**
 * One modality, as a recipe: open its job (`openModality`: resume the open one, or decide whether
 * the live index is still good and create a new version's job); encode and record batch after batch
 * from its cursor (`encodeBatch`, the repository's `recordBatch`); then `completeModality` (carry the
 * other datasets' points over, swap the alias, complete, drop unused versions). The IndexJob row is
 * the resume state throughout. The queue's shards run the same steps (shards.ts).
 */
export async function indexModality(
  options: ModalityOptions,
  model: Model,
  dataset: Dataset,
  modality: Modality,
  batchSize: number,
  getEncoder: () => Promise<ModelEncoder>,
): Promise<ModalityIndexResult> {
  const { store } = options;
  const repo = repositoryOf(options);
  const ref: DatasetRef = { id: dataset.id, name: dataset.name };
  const opened = await openModality(options, model, dataset, modality);
  if (!("job" in opened)) return opened;
  let { job } = opened;
  const collection = job.collection;
  const progress = modalityProgress(options, model, dataset, modality, opened.resumedAt);

  const failures: ItemFailure[] = [];
  // The next batch is read and encoded while the current one is written and recorded.
  let next: Promise<EncodedBatch> | undefined;
  const encodeAfter = (cursor: string | null) => {
    const pending = encodeBatch(options, model, ref, modality, cursor, batchSize, getEncoder);
    pending.catch(() => undefined);
    return pending;
  };
  try {
    await progress("encoding", job);
    try {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
      next = encodeAfter(job.cursor);
      for (;;) {
        const { points, failed } = await next;
        next = undefined;
        if (points === null) break;
        next = encodeAfter(points.lastId);
        if (points.points.length > 0) await store.upsert(collection, points.points);
        failures.push(...failed);
        // Recorded only if nobody else moved the cursor meanwhile (a second process on the same job).
        const recorded = await repo.recordBatch(job.id, job.cursor, {
          cursor: points.lastId,
          processed: points.points.length,
          failed: failed.length,
          ...(failed.length > 0 ? { error: appendFailures(job.error, failed) } : {}),
        });
        if (recorded === null) throw conflictError(job, model, dataset, modality);
        job = recorded;
        await progress("encoding", job);
        if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
      }
    } finally {
      // Never leave an encode running on a session that is about to be released.
      await next?.catch(() => undefined);
    }
    return await completeModality(options, model, dataset, modality, opened, job, failures);
  } catch (error) {
    throw await recordModalityFailure(options, model, dataset, modality, job, error);
  }
}

export function conflictError(job: IndexJob, model: Model, dataset: Dataset, modality: Modality) {
  return new IndexSearchError(
    "JOB_CONFLICT",
    `index job ${job.id} (${model.id}, ${dataset.name}, ${modality}) is being run by another process: its cursor moved; let that one finish`,
    { model: model.id, dataset: dataset.name, modality, jobId: job.id },
  );
}

/**
 * Records a failure of an index job of one modality (not an abort, not a conflict: those leave it
 * running and resumable) and returns the error to throw: typed, resumable.
 */
export async function recordModalityFailure(
  options: ModalityOptions,
  model: Model,
  dataset: Dataset,
  modality: Modality,
  job: IndexJob,
  error: unknown,
): Promise<unknown> {
  const repo = repositoryOf(options);
  const aborted = options.signal?.aborted === true;
  const conflict = error instanceof IndexSearchError && error.code === "JOB_CONFLICT";
  // An abort leaves the job "running" (resumable as is), and so does a conflict (the other
  // process is running it); any other failure is recorded.
  if (!aborted && !conflict) {
    // The row's own error text (a shard may have appended failures since `job` was read).
    const current = await repo.findJob(job.id).catch(() => null);
    await repo
      .failJob(
        job.id,
        [`job failed: ${firstLine(error)}`, withoutJobFailure(current?.error ?? job.error)]
          .filter(Boolean)
          .join("\n"),
      )
      .catch(() => undefined);
  }
  if (error instanceof IndexSearchError || aborted) return error;
  return new IndexSearchError(
    "JOB_FAILED",
    `indexing ${dataset.name} ${modality} with ${model.id} failed (job ${job.id}, resumable): ${firstLine(error)}`,
    { model: model.id, dataset: dataset.name, modality, jobId: job.id },
    { cause: error },
  );
}

/**
 * The end of an index job of one modality, once every item is written: carries other datasets'
 * points over from the live version, swaps the alias, marks the IndexJob completed, drops versions
 * nothing uses. Idempotent up to the swap (a resumed job runs it again).
 */
export async function completeModality(
  options: ModalityOptions,
  model: Model,
  dataset: Dataset,
  modality: Modality,
  opened: OpenedModality,
  current: IndexJob,
  failures: ItemFailure[],
): Promise<ModalityIndexResult> {
  const { store } = options;
  const repo = repositoryOf(options);
  const alias = collectionAlias(model.id, modality);
  const collection = current.collection;
  const progress = modalityProgress(options, model, dataset, modality, opened.resumedAt);
  let job = current;
  await progress("carrying", job);
  let previous: string | null;
  let carried: { copied: number; leftBehind: string[] };
  for (;;) {
    previous = await store.resolveAlias(alias);
    carried = await carryOtherDatasets(store, collection, previous, dataset.name, model.fingerprint);
    // Another job swapped the alias meanwhile: carry over from its version instead.
    if ((await store.resolveAlias(alias)) === previous) break;
  }
  await progress("swapping", job);
  await store.setAlias(alias, collection);
  job = await repo.completeJob(job.id);
  await progress("done", job);

  const dropped = await dropUnusedVersions(store, alias, [
    collection,
    previous === collection ? null : previous,
    ...(await repo.jobCollections(model.id, modality, true)),
  ]);
  return {
    modality,
    status: "completed",
    jobId: job.id,
    alias,
    collection,
    previousCollection: previous === collection ? null : previous,
    resumed: opened.resumed,
    total: job.total,
    processed: job.processed,
    failed: job.failed,
    points: await store.count(collection, datasetFilter(dataset.name)),
    collectionPoints: await store.count(collection),
    carried: carried.copied,
    leftBehind: carried.leftBehind,
    dropped,
    failures,
    rebuildReason: opened.rebuildReason,
  };
}

/** The completed, still-live index of this dataset, or why it must be (re)built. */
async function liveIndex(
  repo: IndexRepository,
  store: VectorStore,
  model: Model,
  dataset: Dataset,
  modality: Modality,
  alias: string,
): Promise<ModalityIndexResult | { stale: string }> {
  const done = await repo.lastCompleted({ modelId: model.id, datasetId: dataset.id, modality });
  if (done === null) return { stale: "no completed index of this dataset yet" };
  // The dataset's content changed since (its fingerprint covers every study's images, views, report
  // and sections; an ingest that changed nothing leaves it), or the model was re-added since: rebuild.
  if (done.datasetFingerprint !== dataset.fingerprint) {
    const short = (f: string | null) => (f === null ? "none" : f.length > 15 ? `${f.slice(0, 15)}…` : f);
    return {
      stale: `the dataset changed since the last index (fingerprint ${short(done.datasetFingerprint)} -> ${short(dataset.fingerprint)}): every item is encoded again`,
    };
  }
  if (model.addedAt > done.startedAt) return { stale: "the model was added again since the last index" };
  const live = await store.resolveAlias(alias);
  if (live === null) return { stale: "the alias points at no collection" };
  const points = await store.count(live, {
    must: [
      { key: "dataset", match: dataset.name },
      { key: "modelFingerprint", match: model.fingerprint },
    ],
  });
  const items = await repo.countItems(dataset, modality);
  // The live collection must still hold this job's points for this dataset, and the items must not have changed.
  if (points !== done.processed || items !== done.total) {
    return { stale: "the live collection or the dataset's items no longer match the last index" };
  }
  return {
    modality,
    status: "up-to-date",
    jobId: done.id,
    alias,
    collection: live,
    previousCollection: null,
    resumed: false,
    total: done.total,
    processed: done.processed,
    failed: done.failed,
    points,
    collectionPoints: await store.count(live),
    carried: 0,
    leftBehind: [],
    dropped: [],
    failures: [],
    rebuildReason: null,
  };
}

export interface EncodedBatch {
  points: { points: Point[]; lastId: string } | null;
  failed: ItemFailure[];
}

/**
 * Reads the next page after `cursor` (up to `upTo` inclusive when given: a shard's end), encodes it;
 * null points when there is nothing left.
 */
export async function encodeBatch(
  options: Pick<IndexDatasetOptions, "db" | "textField" | "repository">,
  model: Model,
  dataset: DatasetRef,
  modality: Modality,
  cursor: string | null,
  batchSize: number,
  getEncoder: () => Promise<ModelEncoder>,
  upTo: string | null = null,
): Promise<EncodedBatch> {
  const repo = repositoryOf(options);
  const failed: ItemFailure[] = [];
  let items: IndexItem[];
  let results: Array<EncodeResult | { ok: false; reason: string }>;
  if (modality === "images") {
    const page = await repo.pageImages(dataset, cursor, batchSize, upTo);
    if (page.length === 0) return { points: null, failed };
    const files = await Promise.all(page.map((item) => readImageFile(item.path)));
    const readable: Array<{ bytes: Uint8Array; name: string }> = [];
    files.forEach((f, i) => {
      if (f.ok) readable.push({ bytes: f.bytes, name: page[i]!.label });
    });
    const encoded = readable.length > 0 ? await (await getEncoder()).encodeImages(readable) : [];
    let next = 0;
    results = files.map((f) => (f.ok ? encoded[next++]! : f));
    items = page;
  } else {
    const page = await repo.pageReports(dataset, cursor, batchSize, options.textField ?? "impression", upTo);
    if (page.length === 0) return { points: null, failed };
    const texts = page.filter((item) => item.text !== "");
    const encoded =
      texts.length > 0
        ? await (await getEncoder()).encodeTexts(texts.map((item) => ({ text: item.text, name: item.label })))
        : [];
    let next = 0;
    results = page.map((item) =>
      item.text === ""
        ? {
            ok: false as const,
            reason: `EMPTY_TEXT: the report has no ${options.textField ?? "impression"} text${(options.textField ?? "impression") === "full" ? "" : " (--text-field full encodes the whole report)"}`,
          }
        : encoded[next++]!,
    );
    items = page;
  }
  const points: Point[] = [];
  items.forEach((item, i) => {
    const result = results[i]!;
    if (result.ok) {
      points.push({
        id: pointId(item.key),
        vector: result.embedding,
        payload: { ...item.payload, modelFingerprint: model.fingerprint },
      });
    } else {
      failed.push({ itemId: item.id, item: item.label, reason: failureReason(result) });
    }
  });
  return { points: { points, lastId: items.at(-1)!.id }, failed };
}

function failureReason(result: { ok: false; reason: string } | { ok: false; error: Error }): string {
  if ("reason" in result) return result.reason;
  const error = result.error as Error & { code?: string };
  // Decoder and encoder messages start with the input's name (source ids); keep the code and reason.
  return `${error.code ?? error.name}: ${firstLine(error).replace(/^[^:]*: [A-Z_]+: /, "")}`;
}

/** The job's `error` text: one line per failed item ("<item>: <reason>"), capped. */
export function appendFailures(previous: string | null, failed: ItemFailure[]): string {
  const rest = withoutJobFailure(previous);
  const lines = rest === null ? [] : rest.split("\n");
  let more = 0;
  const last = lines.at(-1);
  if (last?.startsWith("… and ")) {
    more = Number(/\d+/.exec(last)?.[0] ?? 0);
    lines.pop();
  }
  for (const f of failed) {
    if (lines.length < MAX_RECORDED_FAILURES) lines.push(`${f.item}: ${f.reason}`);
    else more++;
  }
  if (more > 0) lines.push(`… and ${more} more`);
  return lines.join("\n");
}

/** The job's `error` text without its "job failed: ..." first line (kept: the item failure lines). */
export function withoutJobFailure(text: string | null): string | null {
  if (text === null) return null;
  const rest = text.startsWith("job failed:") ? text.split("\n").slice(1).join("\n") : text;
  return rest === "" ? null : rest;
}
