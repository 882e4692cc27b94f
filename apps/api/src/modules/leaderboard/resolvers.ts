import {
  type BoardInfo,
  boardQueries,
  DEFAULT_SUBMISSION_BYTES,
  type Direction,
  type EntryInfo,
  entryDrillDown,
  entryRecord,
  getBoard,
  getEntry,
  isLeaderboardError,
  leaderboardView,
  listBoards,
  listSubmissions,
  type Provenance,
  submissionEntryIds,
  submitRecordFile,
} from "@cxr/services";
import { GraphQLError } from "graphql/index.js";
import { toGraphQLError } from "../../errors.ts";
import { idOf, toGlobalId } from "../../ids.ts";
import { afterOf, listPage, pageSize, type RequestContext } from "../../request.ts";

/**
 * Who is acting, for the submission record. The scope itself is checked before any resolver runs
 * (src/access.ts: submitRun needs `submit`, verifyEntry `admin`); this only names the subject: the
 * token's id, or "open" on a server that runs without tokens (loopback, or --allow-open).
 */
export function requireScope(
  ctx: RequestContext,
  _scope: "read" | "run" | "submit" | "admin",
): { subject: string } {
  const p = ctx.principal;
  return { subject: p.kind === "token" ? `token:${p.tokenId}` : p.kind };
}

/** Why a verification cannot run here: answered as VerificationRefused (an unknown entry stays NOT_FOUND). */
const VERIFY_REFUSALS: string[] = ["NO_BUNDLE", "NO_DATASET", "FINGERPRINT_MISMATCH", "NOT_VERIFIABLE"];

const DIRECTION_IN: Record<string, Direction> = {
  IMAGE_TO_TEXT: "image->text",
  TEXT_TO_IMAGE: "text->image",
};
const directionOut = (d: string) => (d === "image->text" ? "IMAGE_TO_TEXT" : "TEXT_TO_IMAGE");

function parseAsOf(value: string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const t = new Date(value);
  if (Number.isNaN(t.getTime()))
    throw new GraphQLError("asOf is not an ISO time", {
      extensions: { code: "BAD_USER_INPUT", reason: "INVALID_ARGUMENT" },
    });
  return t;
}

const mapped = <T>(p: Promise<T>) =>
  p.catch((error: unknown) => {
    throw toGraphQLError(error);
  });

const metricsOf = (metrics: Record<string, number>, ci: Record<string, { low: number; high: number }> = {}) =>
  Object.entries(metrics).map(([name, value]) => ({
    name,
    value,
    low: ci[name]?.low ?? null,
    high: ci[name]?.high ?? null,
  }));

type EntryParent = EntryInfo & { asOf?: Date | null };

interface FilterArgs {
  filter?: {
    board?: string | null;
    dataset?: string | null;
    split?: string | null;
    textField?: string | null;
    corruption?: string | null;
    provenance?: string[] | null;
    license?: string | null;
    inDomain?: boolean | null;
  } | null;
  sort?: { metric?: string | null; level?: number | null; direction?: string | null } | null;
  asOf?: string | null;
  includeSuperseded?: boolean | null;
}

/** The service's view query from GraphQL (or export route) arguments. */
export function viewQueryOf(args: FilterArgs) {
  const f = args.filter ?? {};
  return {
    board: f.board ?? null,
    dataset: f.dataset ?? null,
    split: f.split ?? null,
    textField: f.textField ?? null,
    corruption: f.corruption ?? null,
    provenance: f.provenance ? (f.provenance.map((p) => p.toLowerCase()) as Provenance[]) : null,
    license: f.license ?? null,
    inDomain: f.inDomain ?? null,
    metric: args.sort?.metric ?? null,
    level: args.sort?.level ?? null,
    direction: DIRECTION_IN[args.sort?.direction ?? "IMAGE_TO_TEXT"] ?? "image->text",
    asOf: parseAsOf(args.asOf),
    includeSuperseded: args.includeSuperseded ?? false,
  };
}

export const leaderboardResolvers = {
  Query: {
    leaderboardBoards: (_: unknown, __: unknown, ctx: RequestContext) => mapped(listBoards(ctx.services.db)),
    leaderboardBoard: (_: unknown, args: { key: string }, ctx: RequestContext) =>
      mapped(getBoard(ctx.services.db, idOf("LeaderboardBoard", args.key))),
    leaderboardEntries: async (
      _: unknown,
      args: FilterArgs & { first?: number | null; after?: string | null },
      ctx: RequestContext,
    ) => {
      const first = pageSize(args.first, ctx.limits, 50);
      const after = afterOf(args.after);
      const view = await mapped(leaderboardView(ctx.services.db, viewQueryOf(args)));
      const rows = view.rows.map((r) => ({
        ...r,
        entry: { ...r.entry, asOf: args.asOf ? new Date(view.asOf) : null },
      }));
      return {
        ...listPage(rows, (r) => r.entry.id, first, after, "after names no row of this view"),
        asOf: view.asOf,
        metric: view.metric,
        direction: directionOut(view.direction),
      };
    },
    leaderboardEntry: async (_: unknown, args: { id: string; asOf?: string | null }, ctx: RequestContext) => {
      const asOf = parseAsOf(args.asOf);
      return { ...(await mapped(getEntry(ctx.services.db, idOf("LeaderboardEntry", args.id), asOf))), asOf };
    },
    leaderboardSubmissions: async (
      _: unknown,
      args: { first?: number | null; after?: string | null },
      ctx: RequestContext,
    ) => {
      const first = pageSize(args.first, ctx.limits);
      const after = afterOf(args.after);
      const all = await mapped(listSubmissions(ctx.services.db));
      return listPage(all, (s) => s.id, first, after, "after names no submission");
    },
  },
  Mutation: {
    submitRun: async (
      _: unknown,
      args: {
        input: {
          recordFile: string;
          licenses?: { model: string; license: string }[] | null;
          inDomain?: string[] | null;
        };
      },
      ctx: RequestContext,
    ) => {
      const { subject } = requireScope(ctx, "submit");
      try {
        const result = await submitRecordFile(ctx.services.db, args.input.recordFile, {
          submitter: subject,
          maxBytes: ctx.limits.submissionBytes ?? DEFAULT_SUBMISSION_BYTES,
          licenses: Object.fromEntries((args.input.licenses ?? []).map((l) => [l.model, l.license])),
          inDomain: Object.fromEntries((args.input.inDomain ?? []).map((m) => [m, true])),
        });
        return { __typename: "SubmissionAccepted", ...result };
      } catch (error) {
        if (isLeaderboardError(error))
          return {
            __typename: "SubmissionRefused",
            reason: error.code,
            field: error.field,
            message: error.message,
          };
        throw toGraphQLError(error);
      }
    },
    verifyEntry: async (_: unknown, args: { id: string }, ctx: RequestContext) => {
      requireScope(ctx, "admin");
      const id = idOf("LeaderboardEntry", args.id);
      try {
        // prepare (typed refusals, nothing written) + enqueue on the server's runner; returns at once
        const job = await ctx.services.services.jobs.start("verify", { entryId: id });
        return { __typename: "Job", ...job };
      } catch (error) {
        if (isLeaderboardError(error) && VERIFY_REFUSALS.includes(error.code))
          return {
            __typename: "VerificationRefused",
            reason: error.code,
            field: error.field,
            message: error.message,
          };
        throw toGraphQLError(error);
      }
    },
  },
  SubmitRunResult: {
    __resolveType: (r: { __typename: string }) => r.__typename,
  },
  VerifyEntryResult: {
    __resolveType: (r: { __typename: string }) => r.__typename,
  },
  LeaderboardBoard: {
    id: (b: BoardInfo) => toGlobalId("LeaderboardBoard", b.id),
    key: (b: BoardInfo) => b.id,
    dataset: (b: BoardInfo) => b.datasetName,
    textField: (b: BoardInfo) => b.protocol.textField,
    corruption: (b: BoardInfo) => b.protocol.corruption.family,
    levels: (b: BoardInfo) => b.protocol.levels,
    seed: (b: BoardInfo) => b.protocol.seed,
    views: (b: BoardInfo) => b.protocol.views,
    recallAt: (b: BoardInfo) => b.protocol.recallAt,
    bootstrapSamples: (b: BoardInfo) => b.protocol.bootstrap.samples,
    confidence: (b: BoardInfo) => b.protocol.bootstrap.confidence,
    protocolJson: (b: BoardInfo) => JSON.stringify(b.protocol),
    entryCount: (b: BoardInfo) => b.entries,
    queries: async (b: BoardInfo, args: { direction: string }, ctx: RequestContext) =>
      (await mapped(boardQueries(ctx.services.db, b.id, DIRECTION_IN[args.direction] ?? "image->text"))).map(
        (q) => ({ id: q.id, study: q.group }),
      ),
  },
  LeaderboardEntry: {
    id: (e: EntryParent) => toGlobalId("LeaderboardEntry", e.id),
    entryId: (e: EntryParent) => e.id,
    model: (e: EntryParent) => e.modelName,
    provenance: (e: EntryParent) => e.provenance.toUpperCase(),
    board: (e: EntryParent, _: unknown, ctx: RequestContext) =>
      ctx.once(`board:${e.boardId}`, () => mapped(getBoard(ctx.services.db, e.boardId))),
    cells: (e: EntryParent) =>
      e.cells.map((c) => ({
        direction: directionOut(c.direction),
        level: c.level,
        metrics: metricsOf(c.metrics, c.ci),
      })),
    check: (e: EntryParent) =>
      e.check === null
        ? null
        : {
            outcome: e.check.outcome.toUpperCase(),
            runId: e.check.runId,
            differences: e.check.differences.map((d) => ({
              direction: directionOut(d.direction),
              level: d.level,
              queries: d.queries,
              deltas: metricsOf(d.deltas),
            })),
          },
    drillDown: async (e: EntryParent, args: { k?: number | null }, ctx: RequestContext) =>
      (await mapped(entryDrillDown(ctx.services.db, e.id, args.k ?? 1))).map((s) => ({
        ...s,
        direction: directionOut(s.direction),
        fallen: s.fallen.map((q) => ({ id: q.id, study: q.group })),
        risen: s.risen.map((q) => ({ id: q.id, study: q.group })),
      })),
    ranks: async (e: EntryParent, args: { direction: string; level: number }, ctx: RequestContext) => {
      const record = await ctx.once(`entry-record:${e.id}`, () => mapped(entryRecord(ctx.services.db, e.id)));
      const direction = DIRECTION_IN[args.direction];
      return record?.results.find((r) => r.direction === direction && r.level === args.level)?.ranks ?? [];
    },
  },
  Submission: {
    id: (s: { id: string }) => toGlobalId("Submission", s.id),
    submissionId: (s: { id: string }) => s.id,
    createdAt: (s: { createdAt: Date }) => s.createdAt.toISOString(),
    entries: async (s: { id: string }, _: unknown, ctx: RequestContext) => {
      const ids = await mapped(submissionEntryIds(ctx.services.db, s.id));
      return Promise.all(
        ids.map(async (id) => ({ ...(await mapped(getEntry(ctx.services.db, id))), asOf: null })),
      );
    },
  },
};
