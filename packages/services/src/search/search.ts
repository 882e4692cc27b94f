import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Database } from "@cxr/db";
import { decodeImage, type EncodeResult, isImageDecodeError } from "@cxr/encoders";
import { cellPermutation, occludedCellCount, renderOcclusion } from "@cxr/eval";
import { type Condition, collectionAlias, type Filter, type Hit, MAX_K, type VectorStore } from "@cxr/store";
import { toDecodedImage, toPixels } from "../bench/pixels.ts";
import { IndexSearchError } from "../index-job/errors.ts";
import { MODALITIES, type Modality } from "../index-job/items.ts";
import { EncoderCache, type EncoderConfig, firstLine, modelTable, requireModel } from "../index-job/model.ts";

/**
 * The search service (the CLI and the API both call it): a query image, text or indexed image id,
 * encoded by each asked model, searched in that model's live collection for the target modality
 * (through its alias, so a re-index in progress never disturbs it), top-k hits with their payload
 * resolved to database rows. Several models answer side by side, each from its own collection.
 */

export type SearchQuery = { image: Uint8Array } | { text: string } | { imageId: string };

/** Payload filters: a value, or any of several values. */
export interface SearchFilter {
  dataset?: string | string[];
  split?: string | string[];
  view?: string | string[];
  studyId?: string | string[];
}
const FILTER_KEYS = ["dataset", "split", "view", "studyId"] as const;

/** Most hits one search returns per model. */
export const MAX_SEARCH_K = 1000;

export interface SearchOptions {
  db: Pick<Database, "prisma">;
  store: VectorStore;
  config: EncoderConfig;
  models: string[];
  query: SearchQuery;
  /** Default: reports for an image query, images for a text query or an image id. */
  target?: Modality;
  /** 1..MAX_SEARCH_K, default 10. */
  k?: number;
  filter?: SearchFilter;
  /** Drop hits scoring below this cosine similarity (-1..1). */
  minScore?: number;
  /** Encoders kept across calls (the API); without it the models are loaded and closed per call. */
  encoders?: EncoderCache;
  /**
   * Occlude the query image before encoding, with the benchmark's own renderer (cells pattern). The
   * cell order is seeded like the benchmark's: by `${seed}:${study externalId}/${image externalId}` when
   * the image belongs to an indexed study, else by the sha256 of the image's bytes.
   */
  occlusion?: SearchOcclusion;
  /**
   * sha256 of the query image's original bytes when `image` holds a re-encoded copy (an upload): it
   * finds the indexed image, hence the study, the query belongs to.
   */
  imageSha256?: string;
  /**
   * Rank the query study's own item (trueRank, trueScore) when the query belongs to an indexed
   * study: one more scan of the collection per model. Default true; the API turns it off when the
   * client did not ask for either field.
   */
  trueRank?: boolean;
}

export interface SearchOcclusion {
  /** Fraction of the cells hidden, 0..1. */
  level: number;
  /** Cells per side, 1..64 (the benchmark's default 8). */
  grid?: number;
  fill?: "black" | "mean" | "noise";
  /** The benchmark's seed (default 0). */
  seed?: number;
}

/** What was hidden: the renderer's cells (row-major ids, y * grid + x), in the renderer's order. */
export interface AppliedOcclusion {
  level: number;
  grid: number;
  fill: "black" | "mean" | "noise";
  seed: number;
  imageKey: string;
  cells: number[];
}

export interface SearchHit {
  rank: number;
  score: number;
  pointId: string;
  dataset: string;
  split: string | null;
  studyId: string;
  studyExternalId: string | null;
  /** Set for report hits: the text to show (impression, findings, full text) and the field that was indexed. */
  report?: {
    id: string;
    impression: string | null;
    findings: string | null;
    /** The whole report, for reports without recognised sections. */
    fullText: string;
    textField: string | null;
  } | null;
  /** Set for image hits. */
  image?: {
    id: string;
    externalId: string;
    path: string;
    view: string | null;
    width: number;
    height: number;
  } | null;
}

export interface ModelSearchResult {
  model: string;
  alias: string;
  /** The collection version that answered. */
  collection: string;
  hits: SearchHit[];
  /**
   * When the query image belongs to an indexed study: the rank of that study's own item (its report,
   * or for an image target its best image) among everything the filter allows, 1 = best; ties count
   * in the item's favour. Null when the study is not in this collection (or no study is known).
   */
  trueRank: number | null;
  /** The score of that study's own item (what the model gives a true pair); null with trueRank. */
  trueScore: number | null;
}

export interface SearchResult {
  query: { kind: "image" | "text" | "imageId"; imageId?: string; bytes?: number; chars?: number };
  target: Modality;
  k: number;
  minScore: number | null;
  results: ModelSearchResult[];
  /** The indexed study (database id) the query image belongs to, when known. */
  queryStudyId: string | null;
  occlusion: AppliedOcclusion | null;
}

export async function search(options: SearchOptions): Promise<SearchResult> {
  const { db, store, query } = options;
  const kind = queryKind(query);
  const target = options.target ?? (kind === "image" ? "reports" : "images");
  if (!(MODALITIES as readonly string[]).includes(target)) {
    throw new IndexSearchError("INVALID_ARGUMENT", `target must be reports or images, got "${target}"`);
  }
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_SEARCH_K) {
    throw new IndexSearchError("INVALID_K", `k must be a whole number in 1..${MAX_SEARCH_K}, got ${k}`);
  }
  const minScore = options.minScore;
  if (minScore !== undefined && !(Number.isFinite(minScore) && minScore >= -1 && minScore <= 1)) {
    throw new IndexSearchError("INVALID_ARGUMENT", `minScore must be a number in -1..1, got ${minScore}`);
  }
  const models = [...new Set(options.models.map((m) => m.trim()).filter((m) => m !== ""))];
  if (models.length === 0) throw new IndexSearchError("INVALID_ARGUMENT", "name at least one model");
  if ("text" in query && query.text.trim() === "") {
    throw new IndexSearchError("EMPTY_TEXT", "the text query is empty");
  }
  if ("image" in query && query.image.byteLength === 0) {
    throw new IndexSearchError("INVALID_IMAGE", "the query image is empty (0 bytes)");
  }
  const conditions = filterConditions(options.filter);

  // Every model must exist and have a live collection for the target before anything is encoded.
  const plan = [];
  for (const id of models) {
    const model = await requireModel(modelTable(db), id);
    const alias = collectionAlias(model.id, target);
    const collection = await store.resolveAlias(alias);
    if (collection === null) {
      throw new IndexSearchError(
        "NOT_INDEXED",
        `model "${model.id}" has no ${target} index yet (run \`cxr index --model ${model.id} --dataset <name> --modality ${target}\`)`,
        { model: model.id, modality: target },
      );
    }
    plan.push({ model, alias, collection });
  }

  let bytes: Uint8Array | undefined;
  const mustNot: Condition[] = [];
  let source: { studyId: string; imageKey: string } | null = null;
  if ("image" in query) {
    bytes = query.image;
    source = await indexedSource(db, options.imageSha256 ?? createHash("sha256").update(bytes).digest("hex"));
  } else if ("imageId" in query) {
    const row = await db.prisma.image.findUnique({
      where: { id: query.imageId },
      include: { study: { select: { externalId: true } } },
    });
    if (row === null) throw new IndexSearchError("UNKNOWN_IMAGE", `no image with id "${query.imageId}"`);
    source = { studyId: row.studyId, imageKey: `${row.study.externalId}/${row.externalId}` };
    try {
      bytes = await readFile(row.path);
    } catch (error) {
      throw new IndexSearchError(
        "INVALID_IMAGE",
        `image "${query.imageId}" cannot be read (${(error as NodeJS.ErrnoException).code ?? "EIO"})`,
      );
    }
    // An image is not its own neighbour.
    if (target === "images") mustNot.push({ key: "imageId", match: row.id });
  }
  const filter: Filter | undefined =
    conditions.length + mustNot.length === 0
      ? undefined
      : {
          ...(conditions.length > 0 ? { must: conditions } : {}),
          ...(mustNot.length > 0 ? { mustNot } : {}),
        };

  let occlusion: AppliedOcclusion | null = null;
  let occluded: ReturnType<typeof toDecodedImage> | null = null;
  if (options.occlusion !== undefined) {
    if (bytes === undefined) {
      throw new IndexSearchError("INVALID_ARGUMENT", "occlusion applies to an image query, not to a text");
    }
    const params = occlusionParams(options.occlusion);
    const imageKey = source?.imageKey ?? createHash("sha256").update(bytes).digest("hex");
    const ctx = { seed: params.seed, imageKey };
    const cells = Array.from(
      cellPermutation(params.grid, ctx).subarray(0, occludedCellCount(params.level, params.grid)),
    );
    occlusion = { ...params, imageKey, cells };
    if (params.level > 0) {
      let decoded: Awaited<ReturnType<typeof decodeImage>>;
      try {
        decoded = await decodeImage(bytes, { name: "query image" });
      } catch (error) {
        if (!isImageDecodeError(error)) throw error;
        throw new IndexSearchError("INVALID_IMAGE", `the query image cannot be used: ${firstLine(error)}`);
      }
      const rendered = renderOcclusion(
        toPixels(decoded, "query image"),
        { family: "occlusion", grid: params.grid, fill: params.fill, pattern: "cells" },
        params.level,
        ctx,
      );
      occluded = toDecodedImage(rendered);
    }
  }

  const encoders = options.encoders ?? new EncoderCache(options.config);
  const results: ModelSearchResult[] = [];
  try {
    for (const { model, alias, collection } of plan) {
      let encoded: EncodeResult;
      if (bytes !== undefined) {
        encoded = await encoders.encodeImage(
          model,
          occluded !== null ? { image: occluded, name: "query image" } : { bytes, name: "query image" },
        );
        if (!encoded.ok) {
          throw new IndexSearchError(
            "INVALID_IMAGE",
            `the query image cannot be used: ${firstLine(encoded.error).replace(/^query image: /, "")}`,
          );
        }
      } else {
        const text = (query as { text: string }).text;
        encoded = await encoders.encodeText(model, { text, name: "query text" });
        if (!encoded.ok) {
          const code = (encoded.error as { code?: string }).code;
          throw new IndexSearchError(
            code === "EMPTY_TEXT" ? "EMPTY_TEXT" : "INVALID_ARGUMENT",
            `the text query cannot be used: ${firstLine(encoded.error)}`,
          );
        }
      }
      // Search the alias (not the collection resolved above): a swap in between is harmless.
      const hits = await store.search(alias, encoded.embedding, k, {
        ...(filter === undefined ? {} : { filter }),
        ...(minScore === undefined ? {} : { minScore }),
      });
      const own =
        source === null || options.trueRank === false
          ? null
          : await rankOfStudy(store, alias, encoded.embedding, source.studyId, filter);
      results.push({
        model: model.id,
        alias,
        collection,
        hits: await resolveHits(db, hits, target),
        trueRank: own?.rank ?? null,
        trueScore: own?.score ?? null,
      });
    }
  } finally {
    if (options.encoders === undefined) await encoders.close();
  }
  return {
    query: describeQuery(query, kind),
    target,
    k,
    minScore: minScore ?? null,
    results,
    queryStudyId: source?.studyId ?? null,
    occlusion,
  };
}

function occlusionParams(input: SearchOcclusion): Omit<AppliedOcclusion, "imageKey" | "cells"> {
  const { level, grid = 8, fill = "black", seed = 0 } = input;
  if (!(Number.isFinite(level) && level >= 0 && level <= 1)) {
    throw new IndexSearchError("INVALID_ARGUMENT", `occlusion level must be a number in 0..1, got ${level}`);
  }
  if (!(Number.isInteger(grid) && grid >= 1 && grid <= 64)) {
    throw new IndexSearchError(
      "INVALID_ARGUMENT",
      `occlusion grid must be a whole number in 1..64, got ${grid}`,
    );
  }
  if (!["black", "mean", "noise"].includes(fill)) {
    throw new IndexSearchError(
      "INVALID_ARGUMENT",
      `occlusion fill must be black, mean or noise, got "${fill}"`,
    );
  }
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 32 - 1)) {
    throw new IndexSearchError("INVALID_ARGUMENT", `occlusion seed must be a whole number >= 0, got ${seed}`);
  }
  return { level, grid, fill, seed };
}

/** The indexed image with these original bytes, as its study and its benchmark key; null if none. */
async function indexedSource(db: Pick<Database, "prisma">, sha256: string) {
  const row = await db.prisma.image.findFirst({
    where: { sha256 },
    include: { study: { select: { externalId: true } } },
    orderBy: { id: "asc" },
  });
  return row === null
    ? null
    : { studyId: row.studyId, imageKey: `${row.study.externalId}/${row.externalId}` };
}

/** 1 + the number of points scoring strictly higher than the study's best point; null when it has none. */
async function rankOfStudy(
  store: VectorStore,
  alias: string,
  vector: Float32Array,
  studyId: string,
  filter: Filter | undefined,
): Promise<{ rank: number; score: number } | null> {
  const own = await store.search(alias, vector, 1, {
    filter: { ...filter, must: [...(filter?.must ?? []), { key: "studyId", match: studyId }] },
  });
  if (own.length === 0) return null;
  const score = own[0]!.score;
  const total = await store.count(alias, filter);
  const above = await store.search(alias, vector, Math.max(1, Math.min(MAX_K, total)), {
    ...(filter === undefined ? {} : { filter }),
    minScore: score,
  });
  return { rank: above.filter((hit) => hit.score > score).length + 1, score };
}

function queryKind(query: SearchQuery): "image" | "text" | "imageId" {
  const keys = ["image", "text", "imageId"].filter((key) => key in (query as object));
  if (keys.length !== 1) {
    throw new IndexSearchError(
      "INVALID_ARGUMENT",
      "the query must be exactly one of an image, a text or an image id",
    );
  }
  if ("image" in query && !(query.image instanceof Uint8Array)) {
    throw new IndexSearchError("INVALID_IMAGE", "the query image must be bytes");
  }
  if ("text" in query && typeof query.text !== "string") {
    throw new IndexSearchError("INVALID_ARGUMENT", "the text query must be a string");
  }
  return keys[0] as "image" | "text" | "imageId";
}

function describeQuery(query: SearchQuery, kind: "image" | "text" | "imageId"): SearchResult["query"] {
  if ("image" in query) return { kind, bytes: query.image.byteLength };
  if ("text" in query) return { kind, chars: query.text.length };
  return { kind, imageId: query.imageId };
}

function filterConditions(filter: SearchFilter | undefined): Condition[] {
  if (filter === undefined) return [];
  const out: Condition[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new IndexSearchError(
        "INVALID_ARGUMENT",
        `cannot filter on "${key}" (filters: ${FILTER_KEYS.join(", ")})`,
      );
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || values.some((v) => typeof v !== "string" || v === "")) {
      throw new IndexSearchError("INVALID_ARGUMENT", `filter "${key}" needs one or more non-empty strings`);
    }
    out.push(values.length === 1 ? { key, match: values[0]! } : { key, any: values });
  }
  return out;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** Payloads to database rows, in one query per modality. */
async function resolveHits(
  db: Pick<Database, "prisma">,
  hits: Hit[],
  target: Modality,
): Promise<SearchHit[]> {
  const base = (hit: Hit, rank: number): SearchHit => ({
    rank,
    score: hit.score,
    pointId: hit.id,
    dataset: str(hit.payload.dataset) ?? "",
    split: str(hit.payload.split),
    studyId: str(hit.payload.studyId) ?? "",
    studyExternalId: str(hit.payload.studyExternalId),
  });
  if (target === "reports") {
    const ids = hits.map((h) => str(h.payload.reportId)).filter((id): id is string => id !== null);
    const rows = await db.prisma.report.findMany({
      where: { id: { in: ids } },
      select: { id: true, impression: true, findings: true, fullText: true },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return hits.map((hit, i) => {
      const row = byId.get(str(hit.payload.reportId) ?? "");
      return {
        ...base(hit, i + 1),
        report: row
          ? {
              id: row.id,
              impression: row.impression,
              findings: row.findings,
              fullText: row.fullText,
              textField: str(hit.payload.textField),
            }
          : null,
      };
    });
  }
  const ids = hits.map((h) => str(h.payload.imageId)).filter((id): id is string => id !== null);
  const rows = await db.prisma.image.findMany({
    where: { id: { in: ids } },
    select: { id: true, externalId: true, path: true, view: true, width: true, height: true },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return hits.map((hit, i) => ({
    ...base(hit, i + 1),
    image: byId.get(str(hit.payload.imageId) ?? "") ?? null,
  }));
}
