import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "@cxr/config";
import type { ModelModel as Model } from "@cxr/db";
import { decodeImage, type ModelEncoder } from "@cxr/encoders";
import {
  type BenchImage,
  type BenchModel,
  type BenchStudy,
  type BootstrapUnit,
  CorruptionCache,
  type CorruptionFamily,
  canonicalProtocol,
  type DatasetInfo,
  hardwareInfo,
  type OrtScorer,
  OrtScorer as OrtScorerClass,
  type ProgressEvent,
  type Protocol,
  ProtocolError,
  type ProtocolInput,
  parseProtocol,
  prepareBenchmark,
  protocolKey,
  type QueryRef,
  type RecordFile,
  ranksCsv,
  resultsCsv,
  runBenchmark,
  SEVERITY_FAMILIES,
  selectText,
  sha256Hex,
  softwareInfo,
  summariesCsv,
  type TextField,
  type View,
  writeCsv,
  writeRecordFile,
  writeReport,
} from "@cxr/eval";
import { firstLine, openEncoder } from "../index-job/model.ts";
import { corruptionCacheDir, DEFAULT_CACHE_MAX_BYTES } from "./cache.ts";
import { BenchError, isBenchError } from "./errors.ts";
import { acquireBenchLock } from "./lock.ts";
import { toDecodedImage, toPixels } from "./pixels.ts";
import {
  type BenchRepository,
  type BenchStudyRow,
  prismaBenchRepository,
  type RunEnvironment,
  type StoredQuery,
} from "./repository.ts";
import { type BenchDb, RepositoryResumeStore, type RunContext } from "./store.ts";

/**
 * `runBench`: protocol v1 of the robustness benchmark (docs/protocol.md) over one ingested
 * split and registered models, wired to the database. @cxr/eval does the protocol (corpus,
 * positives, corruptions, exact scoring, metrics); this file loads the split, wraps each model's
 * encoders as the engine's model, persists the run, its queries and every finished (model, level)
 * cell as it completes, and writes the record file, CSVs and report.
 */

export type BenchConfig = Pick<Config, "dataDir" | "executionProviders" | "cpuThreads" | "encodeBatchSize">;

export type OcclusionFill = "black" | "mean" | "noise";
export type OcclusionPattern = "cells" | "block";

/** Protocol parameters a caller may set; everything else is protocol v1's default. */
export interface BenchProtocolOptions {
  /** "occlusion" (default) or a severity family (gaussian_noise, gaussian_blur, contrast, jpeg, downsample). */
  corruption?: CorruptionFamily;
  /** Occlusion fractions in [0, 1], or severities 0..5 for the other families. Default by family. */
  levels?: number[];
  seed?: number;
  textField?: TextField;
  /** Occlusion only. */
  grid?: number;
  fill?: OcclusionFill;
  pattern?: OcclusionPattern;
  views?: View[];
  /** Further splits of the same dataset whose reports join the candidate corpus as distractors. */
  distractorSplits?: string[];
  /** Bootstrap replicates (protocol default 1000; fewer only for quick looks, it is a protocol parameter). */
  bootstrapSamples?: number;
  confidence?: number;
  /** What the bootstrap resamples: "study" (protocol v1's default) or "patient" (studies without a patient id count as their own patient). */
  bootstrapUnit?: BootstrapUnit;
}

export type BenchProgress =
  | ProgressEvent
  | {
      phase: "start";
      runId: string;
      resumed: boolean;
      /** (model, level) cells finished by an earlier process of this run. */
      cellsDone: number;
      cells: number;
      images: number;
      texts: number;
    }
  | { phase: "check-images"; done: number; total: number }
  | { phase: "write"; outDir: string };

export interface BenchOptions extends BenchProtocolOptions {
  db: BenchDb;
  config: BenchConfig;
  /** Registered model ids (`cxr models list`), at least one, no repeats. */
  models: string[];
  /** Dataset name (`cxr datasets list`). */
  dataset: string;
  /** The split whose pairs are the test set. Default "test". */
  split?: string;
  /** Where the record file, CSVs and report go. Default `<dataDir>/runs/<runId>`. */
  outDir?: string;
  /**
   * Corrupted images cache (viewable PNGs): a folder, true for `<dataDir>/corruptions` (default),
   * false for none.
   */
  cache?: string | boolean;
  /**
   * Size limit of the corruption cache in bytes (default 4 GiB): least recently used PNGs are
   * evicted. A cache hit costs a fraction of rendering (packages/eval/README.md, "Cache").
   */
  cacheMaxBytes?: number;
  /** Reference model of the corruption error (default "clip" when in the run; null for none). */
  referenceModel?: string | null;
  /** Images per encoder batch (default: the config's encode batch size). */
  batchSize?: number;
  /**
   * Decode every image of the split first and record the ones that cannot be decoded in the protocol
   * (`excludedImages`, counted in the run's counts), then benchmark the rest. Without it, an
   * undecodable image stops the run with UNDECODABLE_IMAGE, naming it.
   */
  excludeUndecodable?: boolean;
  onProgress?: (event: BenchProgress) => void;
  /**
   * Stops at the next progress event (between batches and cells): the run is left unfinished
   * (status "failed", its finished cells kept) and the same benchmark continues it.
   */
  signal?: AbortSignal;
  /** The Job row (kind "bench") running this benchmark: recorded in the run's `jobId`. */
  jobId?: string;
  /**
   * A fanned-out run (the queue runner): compute and store only these (model, level) cells, under a
   * lock of their own so that other processes compute other cells of the same run at the same time.
   * No file is written and the run is not completed: a run without `cells`, once every cell is
   * stored, writes the files from the stored cells. `[]` only finds or creates the run.
   */
  cells?: Array<{ modelId: string; level: number }>;
  /** Where the models, the split, the run and its results live (default: `prismaBenchRepository(db)`). */
  repository?: BenchRepository;
  /**
   * Opens a model's encoders (default: the registered bundle, `openEncoder` of the index job); the
   * unit tier passes a stand-in.
   */
  openEncoder?: (model: Model, batchSize: number) => Promise<ModelEncoder>;
}

export interface BenchFiles {
  json: string;
  csv: string;
  ranksCsv: string;
  summariesCsv: string;
  report: string;
}

export interface BenchResult {
  runId: string;
  /** True when an unfinished run of the same protocol, split and models was continued. */
  resumed: boolean;
  /** (model, level) cells taken from the database instead of computed. */
  resumedCells: number;
  outDir: string;
  files: BenchFiles;
  record: RecordFile;
  /** Images left out because they cannot be decoded (with `excludeUndecodable`), with the decoder's reason. */
  undecodable: { image: string; reason: string }[];
}

function repositoryOf(options: Pick<BenchOptions, "db" | "repository">): BenchRepository {
  return options.repository ?? prismaBenchRepository(options.db);
}

/** Source view names (PA, AP, LATERAL, LL, ...) as protocol views; unknown views take part in neither. */
export function protocolView(view: string | null): View | "other" {
  const v = (view ?? "").trim().toUpperCase();
  if (v === "") return "other";
  if (v.includes("LAT") || v === "LL" || v === "RL" || v === "LAO" || v === "RAO") return "lateral";
  if (v.startsWith("PA") || v.startsWith("AP") || v === "FRONTAL" || v === "PA LLD" || v === "AP LLD")
    return "frontal";
  return "other";
}

export function protocolInputOf(options: BenchProtocolOptions & { split?: string }): ProtocolInput {
  const family = options.corruption ?? "occlusion";
  const isOcclusion = family === "occlusion";
  if (!isOcclusion) {
    if (!(SEVERITY_FAMILIES as readonly string[]).includes(family)) {
      throw new BenchError(
        "INVALID_ARGUMENT",
        `unknown corruption family "${family}" (occlusion, ${SEVERITY_FAMILIES.join(", ")})`,
      );
    }
    for (const [flag, value] of [
      ["grid", options.grid],
      ["fill", options.fill],
      ["pattern", options.pattern],
    ] as const) {
      if (value !== undefined)
        throw new BenchError("INVALID_ARGUMENT", `${flag} applies to occlusion only, not ${family}`);
    }
  }
  const input: ProtocolInput = {
    corruption: isOcclusion
      ? {
          family: "occlusion",
          ...(options.grid === undefined ? {} : { grid: options.grid }),
          ...(options.fill === undefined ? {} : { fill: options.fill }),
          ...(options.pattern === undefined ? {} : { pattern: options.pattern }),
        }
      : { family },
    corpus: { split: options.split ?? "test", distractorSplits: options.distractorSplits ?? [] },
  };
  if (options.levels !== undefined) input.levels = options.levels;
  if (options.seed !== undefined) input.seed = options.seed;
  if (options.textField !== undefined) input.textField = options.textField;
  if (options.views !== undefined) input.views = options.views;
  if (
    options.bootstrapSamples !== undefined ||
    options.confidence !== undefined ||
    options.bootstrapUnit !== undefined
  ) {
    input.bootstrap = {
      ...(options.bootstrapSamples === undefined ? {} : { samples: options.bootstrapSamples }),
      ...(options.confidence === undefined ? {} : { confidence: options.confidence }),
      ...(options.bootstrapUnit === undefined ? {} : { unit: options.bootstrapUnit }),
    };
  }
  return input;
}

function parse(input: ProtocolInput): Protocol {
  try {
    return parseProtocol(input);
  } catch (error) {
    if (error instanceof ProtocolError) throw new BenchError("INVALID_ARGUMENT", error.message);
    throw error;
  }
}

interface LoadedSplit {
  datasetRowId: string;
  datasetName: string;
  fingerprint: string;
  studies: BenchStudy[];
  images: BenchImage[];
  distractorTexts: string[];
}

/** Step: the split to benchmark (its studies, images and distractor texts), checked ready. */
async function loadSplit(
  repo: BenchRepository,
  datasetName: string,
  protocol: Protocol,
): Promise<LoadedSplit> {
  const dataset = await repo.findDataset(datasetName);
  if (dataset === null) {
    throw new BenchError(
      "UNKNOWN_DATASET",
      `no dataset "${datasetName}" is ingested (see \`cxr datasets list\`)`,
      { dataset: datasetName },
    );
  }
  if (dataset.status !== "ready") {
    throw new BenchError(
      "DATASET_NOT_READY",
      `dataset "${datasetName}" is ${dataset.status}: finish its ingest (\`cxr ingest\` again resumes it) before benchmarking`,
      { dataset: datasetName },
    );
  }
  const splitName = protocol.corpus.split;
  const split = await repo.findSplit(dataset.id, splitName);
  if (split === null) {
    const names = (await repo.splitNames(dataset.id)).sort();
    throw new BenchError(
      "UNKNOWN_SPLIT",
      `dataset "${datasetName}" has no split "${splitName}" (it has: ${names.join(", ") || "none"})`,
      { dataset: datasetName },
    );
  }
  if (split.fingerprint === null) {
    throw new BenchError(
      "DATASET_NOT_READY",
      `split "${splitName}" of "${datasetName}" has no fingerprint yet: finish its ingest first`,
      { dataset: datasetName },
    );
  }
  const { studies, images } = benchItems(await repo.splitStudies(split.id), datasetName);
  const distractorTexts: string[] = [];
  for (const name of protocol.corpus.distractorSplits) {
    const other = await repo.findSplit(dataset.id, name);
    if (other === null) {
      throw new BenchError("UNKNOWN_SPLIT", `dataset "${datasetName}" has no distractor split "${name}"`, {
        dataset: datasetName,
      });
    }
    for (const r of await repo.splitReports(other.id)) {
      const text = selectText(r, protocol.textField);
      if (text !== null) distractorTexts.push(text);
    }
  }
  return {
    datasetRowId: dataset.id,
    datasetName,
    fingerprint: split.fingerprint,
    studies,
    images,
    distractorTexts,
  };
}

/** The engine's studies and images of the split's rows; an image is read and decoded when the engine asks. */
function benchItems(
  rows: BenchStudyRow[],
  datasetName: string,
): { studies: BenchStudy[]; images: BenchImage[] } {
  const studies: BenchStudy[] = [];
  const images: BenchImage[] = [];
  for (const study of rows) {
    studies.push({
      studyId: study.externalId,
      patientId: study.patientId,
      findings: study.report?.findings ?? null,
      impression: study.report?.impression ?? null,
      fullText: study.report?.fullText ?? null,
    });
    for (const image of study.images) {
      // Ids are the source's, not row ids: stable across databases and re-ingests, so the tie order,
      // the occlusion seeds and the bootstrap groups are too.
      const key = `${study.externalId}/${image.externalId}`;
      const file = image.path;
      images.push({
        id: key,
        studyId: study.externalId,
        imageKey: key,
        // An unknown view takes part in no protocol view; the engine counts it as another view.
        view: protocolView(image.view) as View,
        sha256: image.sha256,
        load: async () => {
          let bytes: Uint8Array;
          try {
            bytes = await readFile(file);
          } catch (error) {
            throw new BenchError(
              "RUN_FAILED",
              `image ${key} cannot be read (${(error as NodeJS.ErrnoException).code ?? "EIO"}): ${file}`,
              { dataset: datasetName },
              { cause: error },
            );
          }
          try {
            return toPixels(await decodeImage(bytes, { name: key }), key);
          } catch (error) {
            throw new BenchError(
              "UNDECODABLE_IMAGE",
              `image ${key} cannot be decoded (${firstLine(error)}): run again with --exclude-undecodable to record its exclusion in the protocol and benchmark the rest`,
              { dataset: datasetName },
              { cause: error },
            );
          }
        },
      });
    }
  }
  return { studies, images };
}

/** Step: the named models' rows (at least one, no repeats, each registered). */
async function findModels(repo: BenchRepository, ids: string[]): Promise<Model[]> {
  if (ids.length === 0) throw new BenchError("INVALID_ARGUMENT", "name at least one model (--models a,b)");
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new BenchError("INVALID_ARGUMENT", `model "${id}" is named twice`);
    seen.add(id);
  }
  const out: Model[] = [];
  for (const id of ids) {
    const row = await repo.findModel(id);
    if (row === null) {
      throw new BenchError(
        "UNKNOWN_MODEL",
        `no model "${id}" is registered (see \`cxr models list\`, add one with \`cxr models add\`)`,
        { model: id },
      );
    }
    out.push(row);
  }
  return out;
}

/** Step: every model's encoders, all or none. */
async function openEncoders(
  models: Model[],
  batchSize: number,
  open1: (model: Model, batchSize: number) => Promise<ModelEncoder>,
): Promise<ModelEncoder[]> {
  const open: ModelEncoder[] = [];
  try {
    for (const m of models) {
      try {
        open.push(await open1(m, batchSize));
      } catch (error) {
        throw new BenchError("MODEL_UNAVAILABLE", firstLine(error), { model: m.id }, { cause: error });
      }
    }
    return open;
  } catch (error) {
    for (const e of open) await e.close();
    throw error;
  }
}

/** The engine's model: images arrive as rendered pixels, texts as the protocol's report texts. */
function benchModel(model: Model, encoder: ModelEncoder): BenchModel {
  const provider = encoder.info.providers.image;
  const unwrap = (what: string, results: Awaited<ReturnType<ModelEncoder["encodeImages"]>>) =>
    results.map((r, i) => {
      if (!r.ok) {
        throw new BenchError(
          "RUN_FAILED",
          `${model.id}: ${what} ${i} of a batch could not be encoded: ${firstLine(r.error)}`,
          { model: model.id },
          { cause: r.error },
        );
      }
      return r.embedding;
    });
  return {
    id: model.id,
    fingerprint: model.fingerprint,
    executionProvider: provider,
    async encodeImages(pixels) {
      return unwrap(
        "image",
        await encoder.encodeImages(pixels.map((p, i) => ({ image: toDecodedImage(p), name: `#${i}` }))),
      );
    },
    async encodeTexts(texts) {
      return unwrap("text", await encoder.encodeTexts(texts));
    },
  };
}

/** The similarity kernel on the encoders' accelerator when they got one, else on CPU. */
async function createScorer(providers: string[], config: BenchConfig): Promise<OrtScorer> {
  const threads = config.cpuThreads > 0 ? { intraOpNumThreads: config.cpuThreads } : {};
  const accelerated = providers.filter((p) => p !== "cpu");
  if (accelerated.length > 0) {
    try {
      return await OrtScorerClass.create({ executionProviders: [...accelerated, "cpu"], ...threads });
    } catch {
      // The encoders' provider is not usable for the in-memory graph: score on CPU.
    }
  }
  return OrtScorerClass.create({ executionProviders: ["cpu"], ...threads });
}

function sameQueries(stored: StoredQuery[], prepared: Record<string, QueryRef[]>): boolean {
  const total = Object.values(prepared).reduce((n, q) => n + q.length, 0);
  if (stored.length !== total) return false;
  return stored.every((q) => {
    const p = prepared[q.direction]?.[q.ordinal];
    return p !== undefined && p.id === q.itemId && p.group === q.studyId;
  });
}

/**
 * Validates a benchmark request without writing anything (the jobs' prepare step): the protocol
 * parameters and the models. The dataset and split are checked when the run loads them.
 */
export async function checkBenchRequest(
  options: Pick<BenchOptions, "db" | "models" | "repository"> & BenchProtocolOptions & { split?: string },
): Promise<{ protocolKey: string }> {
  const protocol = parse(protocolInputOf(options));
  await findModels(repositoryOf(options), options.models);
  return { protocolKey: protocolKey(protocol) };
}

/**
 * Runs (or continues) a benchmark. An unfinished run with the same protocol key, dataset, split,
 * split fingerprint and model set (ids and fingerprints) is continued: its finished (model, level)
 * cells are read back from the repository, the rest computed, so that a run killed at any point and
 * started again with the same arguments ends with the numbers of an uninterrupted run.
 *
 * The recipe: parse the protocol, `findModels`, `loadSplit`, take the run's lock, `findUndecodable`
 * (when asked), `prepareQueries`, `openEncoders` and `createScorer`, `findOrCreateRun`,
 * `computeCells` (the engine, with the repository as its resume store), `writeFiles`, and
 * `completeRun`; a failure marks the run failed (`failRun`), leaving its finished cells for the next
 * process.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const repo = repositoryOf(options);
  const { signal } = options;
  const report = options.onProgress ?? (() => {});
  // Every progress event is a safe point to stop at: between batches, cells and phases.
  const emit = (event: BenchProgress) => {
    report(event);
    if (signal?.aborted) throw signal.reason ?? new Error("aborted");
  };
  signal?.throwIfAborted();
  const requested = protocolInputOf(options);
  let protocol = parse(requested);
  const models = await findModels(repo, options.models);
  const split = await loadSplit(repo, options.dataset, protocol);
  const lock = await lockRun(options, protocol, models, split);
  try {
    const undecodable = options.excludeUndecodable ? await findUndecodable(split, protocol, emit) : [];
    if (undecodable.length > 0) {
      protocol = parse({ ...requested, excludedImages: undecodable.map((u) => u.image) });
    }
    const result = await runLocked({ ...options, onProgress: emit }, repo, protocol, models, split);
    return { ...result, undecodable };
  } finally {
    await lock.release();
  }
}

/** Step: one writer per run, taken before the run is looked up or created, on what identifies it. */
function lockRun(options: BenchOptions, protocol: Protocol, models: Model[], split: LoadedSplit) {
  return acquireBenchLock(
    options.config.dataDir,
    sha256Hex(
      [
        protocolKey(protocol),
        split.datasetRowId,
        protocol.corpus.split,
        split.fingerprint,
        ...models.map((m) => `${m.id}\u0000${m.fingerprint}`).sort(),
        ...(options.cells === undefined
          ? []
          : ["cells", ...options.cells.map((c) => `${c.modelId}@${c.level}`)]),
      ].join("\n"),
    ),
    `this benchmark (${options.dataset}/${protocol.corpus.split}, ${options.models.join(",")})`,
  );
}

/** Decodes every image of the protocol's views once; those that cannot be decoded, with the reason. */
async function findUndecodable(
  split: LoadedSplit,
  protocol: Protocol,
  emit: (event: BenchProgress) => void,
): Promise<{ image: string; reason: string }[]> {
  const views = new Set<string>(protocol.views);
  const images = split.images.filter((im) => views.has(im.view));
  const out: { image: string; reason: string }[] = [];
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const im = images[next++]!;
      try {
        await im.load();
      } catch (error) {
        if (!isBenchError(error, "UNDECODABLE_IMAGE")) throw error;
        out.push({ image: im.id, reason: firstLine(error.cause) });
      }
      emit({ phase: "check-images", done: ++done, total: images.length });
    }
  };
  await Promise.all([worker(), worker()]);
  return out.sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}

type Prepared = ReturnType<typeof prepareBenchmark>;
type Queries = Record<string, QueryRef[]>;

/** Step: the protocol's corpus and queries of the split; a split without image queries is refused. */
function prepareQueries(
  protocol: Protocol,
  dataset: DatasetInfo,
  split: LoadedSplit,
  datasetName: string,
): { prep: Prepared; queries: Queries } {
  let prep: Prepared;
  try {
    prep = prepareBenchmark(protocol, dataset, split.studies, split.images, split.distractorTexts);
  } catch (error) {
    throw new BenchError("INVALID_ARGUMENT", firstLine(error), { dataset: datasetName });
  }
  if (prep.images.length === 0) {
    throw new BenchError(
      "NO_QUERIES",
      `no image queries in split "${protocol.corpus.split}" of "${datasetName}": ${prep.counts.studies} studies with ${protocol.views.join("/")} images, ${prep.counts.excludedStudies} without a ${protocol.textField} text, ${prep.counts.otherViewImages} images of other or unknown views`,
      { dataset: datasetName },
    );
  }
  return { prep, queries: { "image->text": prep.imageQueries, "text->image": prep.textQueries } };
}

/**
 * Step: the run — an unfinished one of the same protocol, data, models and queries (continued, with
 * this process's environment), or a new one with its models and queries.
 */
async function findOrCreateRun(
  repo: BenchRepository,
  protocol: Protocol,
  split: LoadedSplit,
  models: Model[],
  queries: Queries,
  environment: RunEnvironment,
) {
  const identity = {
    protocolKey: protocolKey(protocol),
    datasetId: split.datasetRowId,
    split: protocol.corpus.split,
    datasetFingerprint: split.fingerprint,
  };
  const modelSet = models.map((m) => `${m.id}\u0000${m.fingerprint}`).sort();
  let run = (await repo.unfinishedRuns(identity)).find(
    (r) =>
      r.models.length === modelSet.length &&
      r.models
        .map((m) => `${m.modelId}\u0000${m.modelFingerprint}`)
        .sort()
        .every((v, i) => v === modelSet[i]),
  );
  if (run !== undefined && !sameQueries(await repo.runQueries(run.id), queries)) run = undefined;
  if (run !== undefined) {
    await repo.restartRun(run.id, environment);
    return { run, resumed: true };
  }
  const created = await repo.createRun(
    {
      protocolVersion: protocol.version,
      paramsJson: canonicalProtocol(protocol),
      ...identity,
      ...environment,
      models: models.map((m) => ({ modelId: m.id, modelFingerprint: m.fingerprint })),
    },
    Object.entries(queries).flatMap(([direction, list]) =>
      list.map((q, ordinal) => ({ direction, ordinal, itemId: q.id, studyId: q.group })),
    ),
  );
  return { run: created, resumed: false };
}

/** The corrupted images cache the options ask for, or none. */
function cacheOf(options: BenchOptions): CorruptionCache | undefined {
  const cacheOption = options.cache ?? true;
  if (cacheOption === false) return undefined;
  return new CorruptionCache(
    typeof cacheOption === "string" ? path.resolve(cacheOption) : corruptionCacheDir(options.config),
    { maxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES },
  );
}

/** Step: the record file, the CSVs and the report of a finished run. */
async function writeFiles(files: BenchFiles, record: RecordFile): Promise<void> {
  await writeRecordFile(files.json, record);
  await writeCsv(files.csv, resultsCsv(record.results));
  await writeCsv(files.ranksCsv, ranksCsv(record.run, record.results));
  await writeCsv(files.summariesCsv, summariesCsv(record.summaries));
  await writeReport(files.report, record);
}

function filesIn(outDir: string): BenchFiles {
  return {
    json: path.join(outDir, "run.json"),
    csv: path.join(outDir, "results.csv"),
    ranksCsv: path.join(outDir, "ranks.csv"),
    summariesCsv: path.join(outDir, "summaries.csv"),
    report: path.join(outDir, "report.html"),
  };
}

async function runLocked(
  options: BenchOptions,
  repo: BenchRepository,
  protocol: Protocol,
  models: Model[],
  split: LoadedSplit,
): Promise<Omit<BenchResult, "undecodable">> {
  const { config } = options;
  const emit = options.onProgress ?? (() => {});
  const dataset: DatasetInfo = { id: split.datasetName, fingerprint: split.fingerprint };
  const { prep, queries } = prepareQueries(protocol, dataset, split, options.dataset);

  const batchSize = Math.max(1, options.batchSize ?? config.encodeBatchSize);
  const encoders = await openEncoders(
    models,
    batchSize,
    options.openEncoder ?? ((m, size) => openEncoder(m, config, { batchSize: size })),
  );
  let scorer: OrtScorer | undefined;
  let runId: string | undefined;
  try {
    const providers = [...new Set(encoders.map((e) => e.info.providers.image))];
    scorer = await createScorer(providers, config);
    const accelerator = providers.find((p) => p !== "cpu");
    const hardware = hardwareInfo(accelerator ? { accelerator } : {});
    const software = softwareInfo();
    const hardwareLine = `${hardware.cpu} x${hardware.cores}${hardware.accelerator ? ` + ${hardware.accelerator}` : ""}`;

    const { run, resumed } = await findOrCreateRun(repo, protocol, split, models, queries, {
      softwareVersion: `${software.package}@${software.version}`,
      executionProvider: providers.join("+"),
      hardware: hardwareLine,
      countsJson: JSON.stringify(prep.counts),
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
    });
    runId = run.id;
    const outDir = path.resolve(options.outDir ?? run.outputDir ?? path.join(config.dataDir, "runs", run.id));
    await repo.setOutputDir(run.id, outDir);

    const context: RunContext = {
      runId: run.id,
      protocol,
      protocolKey: protocolKey(protocol),
      datasetId: dataset.id,
      datasetFingerprint: dataset.fingerprint,
    };
    const cellsDone = await repo.countResults(run.id);
    emit({
      phase: "start",
      runId: run.id,
      resumed,
      cellsDone: Math.floor(cellsDone / 2),
      cells: models.length * protocol.levels.length,
      images: prep.images.length,
      texts: prep.corpusTexts.length,
    });
    // Step: the cells (the engine), each stored as it finishes; stored ones are read back, not computed.
    const cache = cacheOf(options);
    let resumedCells = 0;
    const record = await runBenchmark({
      protocol,
      dataset,
      studies: split.studies,
      images: split.images,
      distractorTexts: split.distractorTexts,
      models: models.map((m, i) => benchModel(m, encoders[i]!)),
      scorer,
      ...(cache ? { cache } : {}),
      resumeStore: new RepositoryResumeStore(repo, context),
      onProgress: (event) => {
        if (event.phase === "level-done" && event.resumed) resumedCells++;
        emit(event);
      },
      batchSize,
      runId: run.id,
      hardware: accelerator ? { accelerator } : {},
      ...(options.referenceModel === undefined ? {} : { referenceModel: options.referenceModel }),
      ...(options.cells === undefined ? {} : { cells: options.cells }),
    });
    const files = filesIn(outDir);
    // Some cells of a fanned-out run: stored; the files come with the run that has them all.
    if (options.cells !== undefined) return { runId: run.id, resumed, resumedCells, outDir, files, record };
    // The run began when its first process did.
    record.run.startedAt = run.startedAt.toISOString();

    emit({ phase: "write", outDir });
    await writeFiles(files, record);
    await repo.completeRun(run.id, new Date(record.run.endedAt));
    return { runId: run.id, resumed, resumedCells, outDir, files, record };
  } catch (error) {
    if (runId !== undefined) await repo.failRun(runId, firstLine(error)).catch(() => {});
    if (error instanceof BenchError || options.signal?.aborted) throw error;
    throw new BenchError("RUN_FAILED", `benchmark run failed: ${firstLine(error)}`, runId ? { runId } : {}, {
      cause: error,
    });
  } finally {
    await scorer?.close();
    for (const e of encoders) await e.close();
  }
}
