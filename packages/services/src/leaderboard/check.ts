import {
  DIRECTIONS,
  FILE_FORMAT,
  metricNames,
  protocolFields,
  protocolKey,
  type QueryRef,
  RESULT_FORMAT,
  type RecordFile,
  type ResultRecord,
  RUN_FORMAT,
  resultRecordSchema,
  runRecordSchema,
  sha256Hex,
  verifyResult,
} from "@cxr/eval";
import { LeaderboardError } from "./errors.ts";

/** Default largest record file a submission may carry (bytes of its JSON text). */
export const DEFAULT_SUBMISSION_BYTES = 32 * 1024 * 1024;

/** Names shown on the board (model, dataset, run ids): no markup, no spreadsheet formula. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9 ._:/()+-]{0,127}$/;

export function checkSafeName(value: string, field: string): void {
  if (!SAFE_NAME.test(value)) {
    throw new LeaderboardError(
      "UNSAFE_TEXT",
      `${field} must be letters, digits and . _ : / ( ) + - (at most 128, not starting with a sign or @), without markup`,
      field,
    );
  }
}

interface OuterFile {
  format: string;
  run: { format: string };
  results: { format: string }[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The envelope, before the format versions are compared (so that a v2 file says "wrong format"). */
function outerShape(json: unknown): OuterFile {
  const bad = (field: string, what: string) =>
    new LeaderboardError("INVALID_SHAPE", `${field || "(root)"}: expected ${what}`, field || null);
  if (!isObject(json)) throw bad("", "an object");
  if (typeof json.format !== "string") throw bad("format", "a string");
  if (!isObject(json.run)) throw bad("run", "an object");
  if (typeof json.run.format !== "string") throw bad("run.format", "a string");
  if (!Array.isArray(json.results)) throw bad("results", "an array");
  json.results.forEach((r, i) => {
    if (!isObject(r) || typeof r.format !== "string") throw bad(`results[${i}].format`, "a string");
  });
  return json as unknown as OuterFile;
}

function path(parts: readonly PropertyKey[]): string {
  return parts
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

function shapeError(
  error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] },
  prefix: string,
): LeaderboardError {
  const issue = error.issues[0]!;
  const field = path([...(prefix ? [prefix] : []), ...issue.path]).replace(/^\./, "");
  return new LeaderboardError("INVALID_SHAPE", `${field || "(root)"}: ${issue.message}`, field || null);
}

/**
 * The first half of the checks of a submitted record file, in a fixed order, stopping at the first
 * failure with a typed reason naming the field: size, JSON, format versions, shape, names, protocol
 * key and parameters, completeness. Returns the file and the sha256 of its bytes.
 */
export function readSubmission(
  text: string,
  maxBytes: number = DEFAULT_SUBMISSION_BYTES,
): { file: RecordFile; contentHash: string } {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxBytes)
    throw new LeaderboardError(
      "PAYLOAD_TOO_LARGE",
      `the record file is ${bytes} bytes; the limit is ${maxBytes}`,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LeaderboardError("MALFORMED_JSON", `the record file is not JSON: ${(error as Error).message}`);
  }
  const f = outerShape(json);
  if (f.format !== FILE_FORMAT)
    throw new LeaderboardError(
      "WRONG_FORMAT",
      `format is "${f.format}"; this server reads ${FILE_FORMAT}`,
      "format",
    );
  if (f.run.format !== RUN_FORMAT)
    throw new LeaderboardError(
      "WRONG_FORMAT",
      `run.format is "${f.run.format}"; this server reads ${RUN_FORMAT}`,
      "run.format",
    );
  f.results.forEach((r, i) => {
    if (r.format !== RESULT_FORMAT)
      throw new LeaderboardError(
        "WRONG_FORMAT",
        `results[${i}].format is "${r.format}"`,
        `results[${i}].format`,
      );
  });
  const run = runRecordSchema.safeParse(f.run);
  if (!run.success) throw shapeError(run.error, "run");
  const results: ResultRecord[] = f.results.map((r, i) => {
    const parsed = resultRecordSchema.safeParse(r);
    if (!parsed.success) throw shapeError(parsed.error, `results[${i}]`);
    return parsed.data as ResultRecord;
  });
  const file = { format: FILE_FORMAT, run: run.data, results, summaries: [] } as unknown as RecordFile;

  checkSafeName(file.run.runId, "run.runId");
  checkSafeName(file.run.dataset.id, "run.dataset.id");
  file.run.models.forEach((m, i) => {
    checkSafeName(m.id, `run.models[${i}].id`);
  });
  results.forEach((r, i) => {
    checkSafeName(r.modelId, `results[${i}].modelId`);
  });

  const key = protocolKey(file.run.protocol);
  if (key !== file.run.protocolKey)
    throw new LeaderboardError(
      "PROTOCOL_MISMATCH",
      `run.protocolKey is not sha256 of the canonical protocol (${key})`,
      "run.protocolKey",
    );
  const expected = protocolFields(file.run.protocol);
  const models = new Map(file.run.models.map((m) => [m.id, m]));
  const seen = new Set<string>();
  results.forEach((r, i) => {
    const at = `results[${i}]`;
    if (r.protocolKey !== key)
      throw new LeaderboardError(
        "PROTOCOL_MISMATCH",
        `${at}.protocolKey differs from the run's`,
        `${at}.protocolKey`,
      );
    if (r.protocolVersion !== file.run.protocolVersion)
      throw new LeaderboardError(
        "PROTOCOL_MISMATCH",
        `${at}.protocolVersion differs from the run's`,
        `${at}.protocolVersion`,
      );
    for (const k of Object.keys(expected) as (keyof typeof expected)[]) {
      if (JSON.stringify(r[k]) !== JSON.stringify(expected[k]))
        throw new LeaderboardError(
          "PROTOCOL_MISMATCH",
          `${at}.${k} differs from the run's protocol`,
          `${at}.${k}`,
        );
    }
    if (r.datasetFingerprint !== file.run.dataset.fingerprint)
      throw new LeaderboardError(
        "PROTOCOL_MISMATCH",
        `${at}.datasetFingerprint differs from the run's`,
        `${at}.datasetFingerprint`,
      );
    const model = models.get(r.modelId);
    if (model === undefined || model.fingerprint !== r.modelFingerprint)
      throw new LeaderboardError(
        "PROTOCOL_MISMATCH",
        `${at}.modelFingerprint is not the run's model`,
        `${at}.modelFingerprint`,
      );
    if (!file.run.protocol.levels.includes(r.level))
      throw new LeaderboardError(
        "PROTOCOL_MISMATCH",
        `${at}.level is not one of the protocol's levels`,
        `${at}.level`,
      );
    const cell = `${r.modelId}\u0000${r.level}\u0000${r.direction}`;
    if (seen.has(cell))
      throw new LeaderboardError("INCOMPLETE", `${at} repeats a (model, level, direction)`, at);
    seen.add(cell);
  });
  for (const m of file.run.models)
    for (const level of file.run.protocol.levels)
      for (const direction of DIRECTIONS)
        if (!seen.has(`${m.id}\u0000${level}\u0000${direction}`))
          throw new LeaderboardError(
            "INCOMPLETE",
            `no result for ${m.id} at level ${level}, ${direction}`,
            "results",
          );

  return { file, contentHash: sha256Hex(text) };
}

/**
 * The second half of the checks: the query list against the server's own (when it holds the split),
 * then the ranks, then every claimed number recomputed from them.
 */
export function checkClaims(
  file: RecordFile,
  expectedQueries: Record<string, readonly QueryRef[]> | null = null,
): void {
  const results = file.results;
  if (expectedQueries) {
    for (const direction of DIRECTIONS) {
      const mine = expectedQueries[direction] ?? [];
      const theirs = file.run.queries[direction];
      const i = firstDifference(mine, theirs);
      if (i >= 0)
        throw new LeaderboardError(
          "QUERY_LIST_MISMATCH",
          `run.queries["${direction}"][${i}] differs from this server's query list for the split (${mine.length} queries here, ${theirs.length} submitted)`,
          `run.queries.${direction}[${i}]`,
        );
    }
  }

  results.forEach((r, i) => {
    const at = `results[${i}]`;
    const queries = file.run.queries[r.direction];
    if (r.ranks.length !== queries.length || r.queries !== queries.length)
      throw new LeaderboardError(
        "INVALID_RANKS",
        `${at}.ranks has ${r.ranks.length} ranks for ${queries.length} queries`,
        `${at}.ranks`,
      );
    const bad = r.ranks.findIndex((x) => !(Number.isInteger(x) && x >= 1 && x <= r.candidates));
    if (bad >= 0)
      throw new LeaderboardError(
        "INVALID_RANKS",
        `${at}.ranks[${bad}] is outside 1..${r.candidates}`,
        `${at}.ranks[${bad}]`,
      );
    // Exact: the recomputation runs the same arithmetic, so one unit in the last place is a difference.
    const mismatches = verifyResult(r, queries, 0);
    const first = mismatches[0];
    if (first !== undefined) {
      const field = fieldOf(first.what, at, r.recallAt);
      throw new LeaderboardError(
        "CLAIM_MISMATCH",
        `${field} claims ${first.claimed}; the ranks give ${first.recomputed}`,
        field,
      );
    }
  });
}

/** Every check (readSubmission, then checkClaims) in one call. */
export function checkSubmission(
  text: string,
  options: { maxBytes?: number; expectedQueries?: Record<string, readonly QueryRef[]> | null } = {},
): { file: RecordFile; contentHash: string } {
  const read = readSubmission(text, options.maxBytes);
  checkClaims(read.file, options.expectedQueries ?? null);
  return read;
}

function firstDifference(a: readonly QueryRef[], b: readonly QueryRef[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i]?.id !== b[i]?.id || a[i]?.group !== b[i]?.group) return i;
  return -1;
}

/** verifyResult's "what" as a path into the record: "recall@1" -> metrics.recall@1, "mrr low" -> ci.mrr.low. */
function fieldOf(what: string, at: string, recallAt: readonly number[]): string {
  const names = metricNames(recallAt);
  const [name, part] = what.split(" ");
  if (name !== undefined && names.includes(name)) {
    if (part === undefined) return `${at}.metrics.${name}`;
    if (part === "low" || part === "high") return `${at}.ci.${name}.${part}`;
    return `${at}.ties.${part}.${name}`;
  }
  if (what === "tied queries") return `${at}.ties.queries`;
  if (what === "tie ranges") return `${at}.ties.tied`;
  return `${at}.${what.replace(/\s+/g, "")}`;
}
