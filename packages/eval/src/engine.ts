import { randomUUID } from "node:crypto";
import type { CorruptionCache } from "./cache.ts";
import { renderCorruption } from "./corruptions/index.ts";
import { hardwareInfo, softwareInfo } from "./environment.ts";
import { sha256Hex } from "./hash.ts";
import {
  bootstrapIntervals,
  chanceMetrics,
  computeMetrics,
  type Direction,
  type QueryRef,
  tiedQueries,
  tieRange,
} from "./metrics.ts";
import { BoundedChannel, mapLimit } from "./pipeline.ts";
import type { DecodedPixels } from "./pixels.ts";
import {
  bootstrapUnit,
  type Protocol,
  type ProtocolInput,
  parseProtocol,
  protocolKey,
  type View,
} from "./protocol.ts";
import {
  type DatasetInfo,
  FILE_FORMAT,
  type HardwareInfo,
  type ModelInfo,
  protocolFields,
  RESULT_FORMAT,
  type RecordFile,
  type ResultRecord,
  RUN_FORMAT,
  type RunCounts,
  type RunRecord,
} from "./records.ts";
import { l2NormalizeRows, rankQueries } from "./scoring/rank.ts";
import { OrtScorer, type Scorer } from "./scoring/scorer.ts";
import { summarizeResults } from "./summaries.ts";
import { buildTextCorpus, compareCodeUnits, type ReportSections, selectText } from "./text.ts";

/** A study of the test split: its id and report sections (the protocol's text field picks the text). */
export interface BenchStudy extends ReportSections {
  studyId: string;
  /** The patient, where the source has one: the bootstrap unit "patient" groups by it. */
  patientId?: string | null;
}

/** An image of the test split: a query (image->text) and a candidate (text->image). */
export interface BenchImage {
  /** Candidate id for text->image (ties broken by id ascending) and query id in the records. */
  id: string;
  studyId: string;
  /** Seeds the image's occlusion permutation and noise; stable across runs (e.g. the dataset image id). */
  imageKey: string;
  view: View;
  /** sha256 of the source file; with a cache, rendered images are kept under it. */
  sha256?: string;
  /** Decodes the source image (the encoders' decoder). */
  load(): Promise<DecodedPixels>;
}

/** A model as the engine needs it; the caller wires it to the encoders. */
export interface BenchModel {
  id: string;
  fingerprint: string;
  executionProvider: string;
  encodeImages(pixels: DecodedPixels[]): Promise<Float32Array[]>;
  encodeTexts(texts: string[]): Promise<Float32Array[]>;
}

export interface ResumeKey {
  /** sha256 of protocolKey and dataset fingerprint: results of another protocol or dataset never match. */
  runKey: string;
  modelId: string;
  modelFingerprint: string;
  level: number;
}

/** Persistence of finished (model, level) cells, supplied by the caller (a database, a folder, ...). */
export interface ResumeStore {
  load(key: ResumeKey): Promise<ResultRecord[] | undefined>;
  save(key: ResumeKey, records: ResultRecord[]): Promise<void>;
}

export type ProgressEvent =
  | { phase: "render"; level: number; done: number; total: number }
  | { phase: "encode-texts"; modelId: string; done: number; total: number }
  | { phase: "encode"; level: number; modelId: string; done: number; total: number }
  | { phase: "score"; level: number; modelId: string; direction: Direction; done: number; total: number }
  | { phase: "level-done"; level: number; modelId: string; resumed: boolean };

export interface RunBenchmarkInput {
  protocol: ProtocolInput;
  dataset: DatasetInfo;
  studies: readonly BenchStudy[];
  images: readonly BenchImage[];
  /** Texts of the protocol's distractor splits (normalised and de-duplicated here). */
  distractorTexts?: Iterable<string>;
  models: readonly BenchModel[];
  /** Similarity kernel; default an ONNX Runtime Gemm session on CPU (closed at the end). */
  scorer?: Scorer;
  cache?: CorruptionCache;
  resumeStore?: ResumeStore;
  onProgress?: (event: ProgressEvent) => void;
  /** Images per encoder batch (default 32). */
  batchSize?: number;
  /** Images rendered at once (default 4). */
  renderConcurrency?: number;
  /** Rendered batches waiting for the encoders at most (default 4): rendering runs ahead by this much. */
  prefetchBatches?: number;
  textBatchSize?: number;
  runId?: string;
  hardware?: Partial<HardwareInfo>;
  /** Reference for the corruption error (default "clip" when present; null for none). */
  referenceModel?: string | null;
  now?: () => Date;
  /**
   * Compute only these (model, level) cells (the others are another process's: a fanned-out run),
   * saving each to `resumeStore` as usual. The record returned then holds the results of the cells
   * known here (stored or computed) and no summaries; the full record comes from a run without
   * `cells` once every cell is stored.
   */
  cells?: ReadonlyArray<{ modelId: string; level: number }>;
}

interface Prepared {
  protocol: Protocol;
  key: string;
  runKey: string;
  images: BenchImage[];
  imageQueries: QueryRef[];
  textQueries: QueryRef[];
  corpusTexts: string[];
  /** image->text positive (corpus index) of each image. */
  imagePositive: number[];
  /** text->image: corpus index of each text query, and its positive images. */
  textQueryCorpusIndex: number[];
  textPositives: number[][];
  counts: RunCounts;
}

/**
 * The bootstrap group of each query. Unit "study" (protocol v1): an image's study; a text query is
 * its own group. Unit "patient": an image's patient (its study when the study has no patient id); a
 * text query's group is the set of patients (or patient-less studies) of the studies carrying it, so
 * texts of the same patients move together.
 */
function bootstrapGroups(
  protocol: Protocol,
  images: readonly BenchImage[],
  patientOf: Map<string, string | null | undefined>,
  textPositives: number[][],
  textQueryIds: string[],
): { image: string[]; text: string[] } {
  if (bootstrapUnit(protocol) === "study") {
    return { image: images.map((im) => im.studyId), text: textQueryIds };
  }
  const unitOf = (studyId: string) => {
    const patient = patientOf.get(studyId);
    return patient ? `patient:${patient}` : `study:${studyId}`;
  };
  const image = images.map((im) => unitOf(im.studyId));
  const text = textPositives.map((pos) =>
    [...new Set(pos.map((i) => image[i]!))].sort(compareCodeUnits).join(","),
  );
  return { image, text };
}

/** Builds queries, corpus and positives from the split as protocol v1 says. */
export function prepareBenchmark(
  protocolInput: ProtocolInput,
  dataset: DatasetInfo,
  studies: readonly BenchStudy[],
  images: readonly BenchImage[],
  distractorTexts: Iterable<string> = [],
): Prepared {
  const protocol = parseProtocol(protocolInput);
  const key = protocolKey(protocol);
  const distractors = [...distractorTexts];
  if (distractors.length > 0 && protocol.corpus.distractorSplits.length === 0) {
    throw new Error(
      "distractor texts were given but the protocol names no distractor splits (corpus.distractorSplits)",
    );
  }
  if (distractors.length === 0 && protocol.corpus.distractorSplits.length > 0) {
    throw new Error(
      `the protocol names distractor splits ${protocol.corpus.distractorSplits.join(", ")} but no distractor texts were given`,
    );
  }
  const views = new Set<string>(protocol.views);
  const textOf = new Map<string, string | null>();
  const patientOf = new Map<string, string | null | undefined>();
  for (const s of studies) {
    if (textOf.has(s.studyId)) throw new Error(`study ${s.studyId} appears twice`);
    textOf.set(s.studyId, selectText(s, protocol.textField));
    patientOf.set(s.studyId, s.patientId);
  }
  // Images the protocol records as undecodable leave the split (counted), with their study when it
  // has no other image.
  const undecodable = new Set(protocol.excludedImages ?? []);
  const decodable = images.filter((im) => !undecodable.has(im.id));
  const undecodableInView = images.filter((im) => undecodable.has(im.id) && views.has(im.view));
  const inView = decodable.filter((im) => views.has(im.view));
  const studiesWithImages = new Set(inView.map((im) => im.studyId));
  for (const sid of studiesWithImages) if (!textOf.has(sid)) throw new Error(`image of unknown study ${sid}`);
  const excludedStudies = [...studiesWithImages].filter((sid) => textOf.get(sid) === null);
  const kept = inView
    .filter((im) => textOf.get(im.studyId) !== null)
    .sort((a, b) => compareCodeUnits(a.id, b.id));
  for (let i = 1; i < kept.length; i++)
    if (kept[i]!.id === kept[i - 1]!.id) throw new Error(`duplicate image id ${kept[i]!.id}`);
  const testTexts = kept.map((im) => textOf.get(im.studyId)!);
  const corpus = buildTextCorpus(testTexts, distractors);
  const imagePositive = testTexts.map((t) => corpus.indexOf.get(t)!);
  const distinctTest = [...new Set(testTexts)].sort(compareCodeUnits);
  const textQueryCorpusIndex = distinctTest.map((t) => corpus.indexOf.get(t)!);
  const tqIndex = new Map(distinctTest.map((t, i) => [t, i]));
  const textPositives: number[][] = distinctTest.map(() => []);
  testTexts.forEach((t, imageIndex) => {
    textPositives[tqIndex.get(t)!]!.push(imageIndex);
  });
  const textQueryIds = distinctTest.map((t) => `text:${sha256Hex(t).slice(0, 16)}`);
  const groups = bootstrapGroups(protocol, kept, patientOf, textPositives, textQueryIds);
  const textQueries = textQueryIds.map((id, i) => ({ id, group: groups.text[i]! }));
  const lostStudies = new Set(undecodableInView.map((im) => im.studyId));
  for (const sid of studiesWithImages) lostStudies.delete(sid);
  return {
    protocol,
    key,
    runKey: sha256Hex(`${key}:${dataset.fingerprint}`),
    images: kept,
    imageQueries: kept.map((im, i) => ({ id: im.id, group: groups.image[i]! })),
    textQueries,
    corpusTexts: corpus.texts,
    imagePositive,
    textQueryCorpusIndex,
    textPositives,
    counts: {
      studies: studiesWithImages.size,
      excludedStudies: excludedStudies.length,
      excludedImages: inView.length - kept.length,
      otherViewImages: images.length - inView.length,
      imageQueries: kept.length,
      textQueries: distinctTest.length,
      textCandidates: corpus.texts.length,
      distractorTexts: corpus.distractorOnly,
      ...(undecodable.size > 0
        ? { undecodableImages: undecodableInView.length, undecodableStudies: lostStudies.size }
        : {}),
    },
  };
}

interface RenderedBatch {
  level: number;
  start: number;
  pixels: DecodedPixels[];
}

/**
 * Runs the benchmark: for every level, renders every image (once, shared by all models), encodes it
 * with every model, ranks both directions exactly, and returns the record file (run, results,
 * summaries). Rendering runs ahead of encoding by up to `prefetchBatches` batches, so level L+1 is being
 * rendered while level L is encoded and scored. Finished (model, level) cells found in `resumeStore`
 * are not recomputed, and a level every model has finished is not rendered.
 */
export async function runBenchmark(input: RunBenchmarkInput): Promise<RecordFile> {
  const now = input.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const runId = input.runId ?? randomUUID();
  const prep = prepareBenchmark(
    input.protocol,
    input.dataset,
    input.studies,
    input.images,
    input.distractorTexts,
  );
  const { protocol } = prep;
  if (prep.images.length === 0) throw new Error("no image queries: every study was excluded or filtered out");
  const ids = input.models.map((m) => m.id);
  if (new Set(ids).size !== ids.length) throw new Error("model ids must be unique");
  const software = softwareInfo();
  const hardware = hardwareInfo(input.hardware);
  const batchSize = Math.max(1, input.batchSize ?? 32);
  const emit = input.onProgress ?? (() => {});
  const modelInfo = (m: BenchModel): ModelInfo => ({
    id: m.id,
    fingerprint: m.fingerprint,
    executionProvider: m.executionProvider,
  });
  const resumeKey = (m: BenchModel, level: number): ResumeKey => ({
    runKey: prep.runKey,
    modelId: m.id,
    modelFingerprint: m.fingerprint,
    level,
  });

  // Which cells are done already.
  const results = new Map<string, ResultRecord[]>();
  const cell = (modelId: string, level: number) => `${modelId}\u0000${level}`;
  for (const m of input.models) {
    for (const level of protocol.levels) {
      const saved = await input.resumeStore?.load(resumeKey(m, level));
      if (
        saved &&
        saved.length === 2 &&
        saved.every(
          (r) =>
            r.protocolKey === prep.key &&
            r.modelFingerprint === m.fingerprint &&
            r.datasetFingerprint === input.dataset.fingerprint &&
            r.level === level,
        )
      ) {
        results.set(
          cell(m.id, level),
          saved.map((r) => ({ ...r, runId })),
        );
        emit({ phase: "level-done", level, modelId: m.id, resumed: true });
      }
    }
  }
  const wanted =
    input.cells === undefined ? undefined : new Set(input.cells.map((c) => cell(c.modelId, c.level)));
  const pendingModels = (level: number) =>
    input.models.filter(
      (m) => !results.has(cell(m.id, level)) && (wanted === undefined || wanted.has(cell(m.id, level))),
    );
  const levelsToRun = protocol.levels.filter((l) => pendingModels(l).length > 0);

  // Created only once nothing can throw before the try that closes it (a failing resume load would leak it).
  const ownScorer = !input.scorer;
  const scorer = input.scorer ?? (await OrtScorer.create());
  try {
    // Text embeddings: once per model that has work left.
    const textEmb = new Map<string, { dim: number; rows: Float32Array }>();
    const textBatch = Math.max(1, input.textBatchSize ?? 64);
    for (const m of input.models) {
      if (!levelsToRun.some((l) => pendingModels(l).includes(m))) continue;
      // Normalised batch by batch into one buffer: a 227k-text corpus never exists twice in memory.
      const total = prep.corpusTexts.length;
      let dim = 0;
      let rows = new Float32Array(0);
      for (let s = 0; s < total; s += textBatch) {
        const batch = prep.corpusTexts.slice(s, s + textBatch);
        const emb = await m.encodeTexts(batch);
        if (emb.length !== batch.length) {
          throw new Error(`${m.id}: ${emb.length} text embeddings for ${batch.length} texts`);
        }
        if (s === 0) {
          dim = emb[0]!.length;
          rows = new Float32Array(total * dim);
        }
        rows.set(l2NormalizeRows(emb, dim, `${m.id} text embedding`), s * dim);
        emit({ phase: "encode-texts", modelId: m.id, done: s + batch.length, total });
      }
      textEmb.set(m.id, { dim, rows });
    }

    // Producer: rendered batches, level by level.
    const channel = new BoundedChannel<RenderedBatch>(Math.max(1, input.prefetchBatches ?? 4));
    const renderOne = async (im: BenchImage, level: number): Promise<DecodedPixels> => {
      if (level === 0) return im.load();
      const key =
        input.cache && im.sha256
          ? {
              imageSha256: im.sha256,
              imageKey: im.imageKey,
              family: protocol.corruption.family,
              level,
              protocolKey: prep.key,
            }
          : undefined;
      if (key && input.cache) {
        const hit = await input.cache.get(key);
        if (hit) return hit;
        const src = await im.load();
        const img = await renderCorruption(src, protocol.corruption, level, {
          seed: protocol.seed,
          imageKey: im.imageKey,
        });
        await input.cache.put(key, img);
        return img;
      }
      const src = await im.load();
      return renderCorruption(src, protocol.corruption, level, {
        seed: protocol.seed,
        imageKey: im.imageKey,
      });
    };
    const producer = (async () => {
      try {
        for (const level of levelsToRun) {
          for (let s = 0; s < prep.images.length; s += batchSize) {
            if (channel.isClosed) return; // the consumer failed: stop rendering
            const batch = prep.images.slice(s, s + batchSize);
            const pixels = await mapLimit(batch, input.renderConcurrency ?? 4, (im) => renderOne(im, level));
            emit({ phase: "render", level, done: s + batch.length, total: prep.images.length });
            await channel.put({ level, start: s, pixels });
          }
        }
        channel.close();
      } catch (err) {
        channel.close(err);
      }
    })();

    // Consumer: encode each batch with each pending model; score when a level is complete.
    const n = prep.images.length;
    let current: { level: number; emb: Map<string, Float32Array[]> } | undefined;
    const finishLevel = async (level: number, emb: Map<string, Float32Array[]>) => {
      for (const m of pendingModels(level)) {
        const rows = emb.get(m.id)!;
        const records = await scoreCell(m, level, rows);
        results.set(cell(m.id, level), records);
        await input.resumeStore?.save(resumeKey(m, level), records);
        emit({ phase: "level-done", level, modelId: m.id, resumed: false });
      }
    };
    const scoreCell = async (
      m: BenchModel,
      level: number,
      imageRows: Float32Array[],
    ): Promise<ResultRecord[]> => {
      const cellStart = now().toISOString();
      const text = textEmb.get(m.id)!;
      if (imageRows[0]!.length !== text.dim) {
        throw new Error(
          `${m.id}: image embeddings have ${imageRows[0]!.length} values, text embeddings ${text.dim}`,
        );
      }
      const img = l2NormalizeRows(imageRows, text.dim, `${m.id} image embedding`);
      const scoreProgress = (direction: Direction) => (done: number, total: number) =>
        emit({ phase: "score", level, modelId: m.id, direction, done, total });
      const i2t = await rankQueries({
        queries: img,
        candidates: text.rows,
        dim: text.dim,
        positives: prep.imagePositive.map((p) => [p]),
        scorer,
        onProgress: scoreProgress("image->text"),
      });
      const tq = new Float32Array(prep.textQueryCorpusIndex.length * text.dim);
      prep.textQueryCorpusIndex.forEach((ci, i) => {
        tq.set(text.rows.subarray(ci * text.dim, (ci + 1) * text.dim), i * text.dim);
      });
      const t2i = await rankQueries({
        queries: tq,
        candidates: img,
        dim: text.dim,
        positives: prep.textPositives,
        onProgress: scoreProgress("text->image"),
        scorer,
      });
      const cellEnd = now().toISOString();
      const make = (
        direction: Direction,
        ranked: { ranks: Int32Array; optimisticRanks: Int32Array; pessimisticRanks: Int32Array },
        queries: QueryRef[],
        candidates: number,
        positiveCounts: ArrayLike<number>,
      ): ResultRecord => {
        const ranks = ranked.ranks;
        return {
          kind: "result",
          format: RESULT_FORMAT,
          runId,
          protocolVersion: protocol.version,
          protocolKey: prep.key,
          ...protocolFields(protocol),
          datasetId: input.dataset.id,
          datasetFingerprint: input.dataset.fingerprint,
          modelId: m.id,
          modelFingerprint: m.fingerprint,
          executionProvider: m.executionProvider,
          softwareVersion: `${software.package}@${software.version}`,
          hardware: `${hardware.cpu} x${hardware.cores}${hardware.accelerator ? ` + ${hardware.accelerator}` : ""}`,
          scoringKernel: scorer.name,
          level,
          direction,
          queries: queries.length,
          candidates,
          excludedStudies: prep.counts.excludedStudies,
          metrics: computeMetrics(ranks, protocol.recallAt),
          ci: bootstrapIntervals(
            ranks,
            queries.map((q) => q.group),
            protocol.recallAt,
            {
              samples: protocol.bootstrap.samples,
              confidence: protocol.bootstrap.confidence,
              seed: protocol.seed,
              direction,
            },
          ),
          ranks: Array.from(ranks),
          chance: chanceMetrics(positiveCounts, candidates, protocol.recallAt),
          ties: tieRange(
            ranks,
            tiedQueries(ranked.optimisticRanks, ranked.pessimisticRanks),
            protocol.recallAt,
          ),
          startedAt: cellStart,
          endedAt: cellEnd,
        };
      };
      return [
        make(
          "image->text",
          i2t,
          prep.imageQueries,
          prep.corpusTexts.length,
          new Int32Array(prep.imagePositive.length).fill(1),
        ),
        make(
          "text->image",
          t2i,
          prep.textQueries,
          n,
          prep.textPositives.map((p) => p.length),
        ),
      ];
    };

    try {
      for (;;) {
        const batch = await channel.take();
        if (!batch) break;
        if (!current || current.level !== batch.level) current = { level: batch.level, emb: new Map() };
        for (const m of pendingModels(batch.level)) {
          const emb = await m.encodeImages(batch.pixels);
          if (emb.length !== batch.pixels.length) {
            throw new Error(`${m.id}: ${emb.length} image embeddings for ${batch.pixels.length} images`);
          }
          const list = current.emb.get(m.id) ?? [];
          list.push(...emb);
          current.emb.set(m.id, list);
          emit({ phase: "encode", level: batch.level, modelId: m.id, done: list.length, total: n });
        }
        if (batch.start + batch.pixels.length >= n) {
          await finishLevel(batch.level, current.emb);
          current = undefined;
        }
      }
    } catch (err) {
      channel.close(err);
      await producer;
      throw err;
    }
    await producer;
  } finally {
    if (ownScorer) await scorer.close();
  }

  const ordered: ResultRecord[] = [];
  for (const m of input.models)
    for (const level of protocol.levels) {
      const found = results.get(cell(m.id, level));
      if (found === undefined && wanted === undefined) throw new Error(`cell ${m.id} level ${level} missing`);
      ordered.push(...(found ?? []));
    }
  const run: RunRecord = {
    kind: "run",
    format: RUN_FORMAT,
    runId,
    protocolVersion: protocol.version,
    protocolKey: prep.key,
    protocol,
    dataset: input.dataset,
    models: input.models.map(modelInfo),
    software,
    hardware,
    scoringKernel: scorer.name,
    startedAt,
    endedAt: now().toISOString(),
    counts: prep.counts,
    queries: { "image->text": prep.imageQueries, "text->image": prep.textQueries },
  };
  return {
    format: FILE_FORMAT,
    run,
    results: ordered,
    summaries: wanted === undefined ? summarizeResults(ordered, input.referenceModel) : [],
  };
}
