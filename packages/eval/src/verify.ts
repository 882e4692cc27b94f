import { z } from "zod";
import {
  DIRECTIONS,
  type Direction,
  metricNames,
  type QueryRef,
  recomputeMetrics,
  type TiedQuery,
  tieRange,
} from "./metrics.ts";
import { protocolKey, protocolSchema } from "./protocol.ts";
import {
  FILE_FORMAT,
  protocolFields,
  RESULT_FORMAT,
  type RecordFile,
  type ResultRecord,
  RUN_FORMAT,
  type RunRecord,
} from "./records.ts";

const direction = z.enum(DIRECTIONS);
const interval = z.object({ low: z.number(), high: z.number() });
const queryRef = z.object({ id: z.string(), group: z.string() });

export const resultRecordSchema = z.object({
  kind: z.literal("result"),
  format: z.literal(RESULT_FORMAT),
  runId: z.string(),
  protocolVersion: z.string(),
  protocolKey: z.string().regex(/^[0-9a-f]{64}$/),
  corruption: z.string(),
  grid: z.number().int().nullable(),
  fill: z.string().nullable(),
  pattern: z.string().nullable(),
  levels: z.array(z.number()),
  seed: z.number().int(),
  textField: z.string(),
  corpusSplit: z.string(),
  distractorSplits: z.array(z.string()),
  views: z.array(z.string()),
  recallAt: z.array(z.number().int().min(1)),
  bootstrapSamples: z.number().int().min(1),
  confidence: z.number().gt(0).lt(1),
  bootstrapUnit: z.enum(["study", "patient"]).optional(),
  datasetId: z.string(),
  datasetFingerprint: z.string(),
  modelId: z.string(),
  modelFingerprint: z.string(),
  executionProvider: z.string(),
  softwareVersion: z.string(),
  hardware: z.string(),
  scoringKernel: z.string(),
  level: z.number(),
  direction,
  queries: z.number().int().min(1),
  candidates: z.number().int().min(1),
  excludedStudies: z.number().int().min(0),
  metrics: z.record(z.string(), z.number()),
  ci: z.record(z.string(), interval),
  ranks: z.array(z.number().int().min(1)),
  chance: z.record(z.string(), z.number()).optional(),
  ties: z
    .object({
      queries: z.number().int().min(0),
      optimistic: z.record(z.string(), z.number()),
      pessimistic: z.record(z.string(), z.number()),
      tied: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1), z.number().int().min(1)])),
    })
    .optional(),
  startedAt: z.string(),
  endedAt: z.string(),
});

export const runRecordSchema = z.object({
  kind: z.literal("run"),
  format: z.literal(RUN_FORMAT),
  runId: z.string(),
  protocolVersion: z.string(),
  protocolKey: z.string().regex(/^[0-9a-f]{64}$/),
  protocol: protocolSchema,
  dataset: z.object({ id: z.string(), fingerprint: z.string() }),
  models: z.array(z.object({ id: z.string(), fingerprint: z.string(), executionProvider: z.string() })),
  software: z.object({
    package: z.string(),
    version: z.string(),
    node: z.string(),
    sharp: z.string(),
    onnxruntime: z.string(),
  }),
  hardware: z.object({
    platform: z.string(),
    arch: z.string(),
    cpu: z.string(),
    cores: z.number(),
    memoryBytes: z.number(),
    accelerator: z.string().optional(),
  }),
  scoringKernel: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  counts: z.object({
    studies: z.number().int(),
    excludedStudies: z.number().int(),
    excludedImages: z.number().int(),
    otherViewImages: z.number().int(),
    imageQueries: z.number().int(),
    textQueries: z.number().int(),
    textCandidates: z.number().int(),
    distractorTexts: z.number().int(),
    undecodableImages: z.number().int().optional(),
    undecodableStudies: z.number().int().optional(),
  }),
  queries: z.object({ "image->text": z.array(queryRef), "text->image": z.array(queryRef) }),
});

export interface Mismatch {
  what: string;
  claimed: number | string | undefined;
  recomputed: number | string | undefined;
}

/**
 * Recomputes one result record from its ranks (and the run's query list for its direction) and lists
 * every disagreement beyond `tolerance` (absolute): what the leaderboard server refuses a submission for.
 */
export function verifyResult(
  record: ResultRecord,
  queries: readonly QueryRef[],
  tolerance = 1e-9,
): Mismatch[] {
  const out: Mismatch[] = [];
  if (record.ranks.length !== queries.length || record.queries !== queries.length) {
    out.push({ what: "query count", claimed: record.ranks.length, recomputed: queries.length });
    return out;
  }
  const worst = record.ranks.reduce((a, b) => Math.max(a, b), 0);
  if (worst > record.candidates)
    out.push({ what: "rank beyond the candidate count", claimed: worst, recomputed: record.candidates });
  const { metrics, ci } = recomputeMetrics(record.ranks, queries, {
    recallAt: record.recallAt,
    bootstrap: {
      samples: record.bootstrapSamples,
      confidence: record.confidence,
      seed: record.seed,
      direction: record.direction as Direction,
    },
  });
  const close = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && Math.abs(a - b) <= tolerance;
  for (const name of metricNames(record.recallAt)) {
    if (!close(record.metrics[name], metrics[name])) {
      out.push({ what: name, claimed: record.metrics[name], recomputed: metrics[name] });
    }
    for (const bound of ["low", "high"] as const) {
      if (!close(record.ci[name]?.[bound], ci?.[name]?.[bound])) {
        out.push({
          what: `${name} ${bound}`,
          claimed: record.ci[name]?.[bound],
          recomputed: ci?.[name]?.[bound],
        });
      }
    }
  }
  out.push(...verifyTies(record, close));
  return out;
}

/**
 * Ties are found on scores, which are not stored: what is stored is each tied query's rank range
 * ([query, optimistic, pessimistic]). Verification checks that every headline rank lies in its range,
 * that the tie count is the number of ranges, and recomputes the optimistic and pessimistic metrics
 * from the ranges; whether the scores really tied needs the embeddings (re-run the benchmark).
 */
function verifyTies(
  record: ResultRecord,
  close: (a: number | undefined, b: number | undefined) => boolean,
): Mismatch[] {
  const ties = record.ties;
  if (ties === undefined) return [];
  const out: Mismatch[] = [];
  if (ties.queries !== ties.tied.length) {
    out.push({ what: "tied queries", claimed: ties.queries, recomputed: ties.tied.length });
  }
  let range: ReturnType<typeof tieRange>;
  try {
    range = tieRange(record.ranks, ties.tied as TiedQuery[], record.recallAt);
  } catch (error) {
    out.push({ what: "tie ranges", claimed: "consistent", recomputed: (error as Error).message });
    return out;
  }
  for (const side of ["optimistic", "pessimistic"] as const) {
    for (const name of metricNames(record.recallAt)) {
      if (!close(ties[side][name], range[side][name])) {
        out.push({ what: `${name} ${side}`, claimed: ties[side][name], recomputed: range[side][name] });
      }
    }
  }
  return out;
}

/**
 * Parses and checks a record file (e.g. a leaderboard submission): shapes, the protocol key against the
 * protocol, every record's parameters against the run, and every metric recomputed from its ranks.
 * Returns the typed file and the list of problems (empty when everything holds).
 */
export function checkRecordFile(json: unknown, tolerance = 1e-9): { file: RecordFile; problems: string[] } {
  const parsed = z
    .object({
      format: z.literal(FILE_FORMAT),
      run: runRecordSchema,
      results: z.array(resultRecordSchema),
      summaries: z.array(z.unknown()),
    })
    .parse(json);
  const run = parsed.run as RunRecord;
  const problems: string[] = [];
  const key = protocolKey(run.protocol);
  if (key !== run.protocolKey)
    problems.push(`run protocolKey ${run.protocolKey} is not the key of its protocol (${key})`);
  for (const r of parsed.results as ResultRecord[]) {
    const where = `${r.modelId} ${r.corruption} ${r.level} ${r.direction}`;
    if (r.protocolKey !== key) problems.push(`${where}: protocolKey differs from the run's`);
    if (r.datasetFingerprint !== run.dataset.fingerprint)
      problems.push(`${where}: dataset fingerprint differs from the run's`);
    // Every protocol parameter, not only seed and family: the metrics below are recomputed with the
    // record's own recallAt, bootstrap samples and confidence, so those must be the run's.
    const expected = protocolFields(run.protocol);
    const differing = (Object.keys(expected) as (keyof typeof expected)[]).filter(
      (k) => JSON.stringify(r[k]) !== JSON.stringify(expected[k]),
    );
    if (differing.length > 0) {
      problems.push(`${where}: parameters differ from the run's protocol (${differing.join(", ")})`);
    }
    if (!run.protocol.levels.includes(r.level))
      problems.push(`${where}: level is not one of the run's levels`);
    for (const m of verifyResult(r, run.queries[r.direction], tolerance)) {
      problems.push(`${where}: ${m.what} claimed ${m.claimed}, recomputed ${m.recomputed}`);
    }
  }
  return { file: parsed as unknown as RecordFile, problems };
}
