import {
  type AcceptResult,
  DIRECTIONS,
  type Direction,
  entryDrillDown,
  getEntry,
  type LeaderboardView,
  leaderboardView,
  listBoards,
  PROVENANCES,
  type Provenance,
  publishRun,
  runRecordText,
  type VerifyJobResult,
} from "@cxr/services";
import { type Command, Option } from "commander";
import { output, withServices } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { runJob } from "../foreground.ts";
import { benchProgress } from "./bench.ts";

/**
 * `cxr leaderboard publish|list|show|verify` over @cxr/services' leaderboard, and `cxr submit` (a client of
 * another server's GraphQL `submitRun`). Names, ids and numbers only; never report text.
 */

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? "–" : v.toFixed(3));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((v, c) => v.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function describeView(view: LeaderboardView): string {
  if (view.rows.length === 0) return "no leaderboard entries yet (cxr leaderboard publish <runId>)";
  const out: string[] = [];
  let board = "";
  let rows: string[][] = [];
  const flush = () => {
    if (rows.length > 1) out.push(table(rows), "");
  };
  for (const r of view.rows) {
    if (r.board.id !== board) {
      flush();
      board = r.board.id;
      out.push(`board ${board}: ${r.board.datasetName} (${r.board.description})`);
      out.push(
        `  protocol ${r.board.protocolKey.slice(0, 12)}…  sorted by ${view.metric}, ${view.direction}, level ${view.level ?? r.board.protocol.levels[0]}`,
      );
      rows = [["rank", "model", view.metric, "95% interval", "provenance", "license", "in-domain", "entry"]];
    }
    rows.push([
      r.rankLabel ?? (r.entry.supersededAt ? "superseded" : "–"),
      r.entry.modelName,
      f3(r.value),
      r.low === null ? "–" : `${f3(r.low)}–${f3(r.high)}`,
      r.entry.provenance,
      r.entry.license,
      r.entry.inDomain ? "yes" : "no",
      r.entry.id,
    ]);
  }
  flush();
  out.push(
    `as of ${view.asOf}; ranks "a-b": entries whose difference is not significant at 95% share ranks (paired bootstrap over studies)`,
  );
  return out.join("\n");
}

function acceptedText(result: AcceptResult): string {
  return result.duplicate
    ? `already on board ${result.boardId} (${result.entryIds.join(", ")}); nothing written`
    : `published to board ${result.boardId}: ${result.entryIds.length} entr${result.entryIds.length === 1 ? "y" : "ies"} (${result.entryIds.join(", ")})`;
}

export function registerLeaderboardCommands(program: Command): void {
  const board = program
    .command("leaderboard")
    .description("the local leaderboard: boards per protocol, ranked with uncertainty");

  board
    .command("publish")
    .description("publish a finished local benchmark run to the local board")
    .argument("<runId>", "a run id (cxr bench list)")
    .option("--in-domain <models>", "comma-separated models trained on this dataset's train split")
    .option("--json", "print as JSON")
    .action(async (runId: string, opts: { inDomain?: string; json?: boolean }) => {
      const inDomain = Object.fromEntries(
        (opts.inDomain ?? "")
          .split(",")
          .filter(Boolean)
          .map((m) => [m.trim(), true]),
      );
      const result = await withServices(async (s) => publishRun(await s.database(), runId, { inDomain }));
      output(opts.json, result, () => acceptedText(result));
    });

  board
    .command("list")
    .description("every board with its entries, ranked")
    .option("--board <key>", "one board (its 16-digit key)")
    .addOption(
      new Option(
        "--metric <name>",
        "sort metric: recall@K, mrr, medianRank, meanRank, or auc:<metric> (over the levels)",
      ).default("recall@1"),
    )
    .addOption(new Option("--direction <d>", "direction").choices([...DIRECTIONS]).default("image->text"))
    .option("--level <p>", "level (default: the board's clean level)")
    .addOption(new Option("--provenance <p>", "only this provenance").choices([...PROVENANCES]))
    .option("--as-of <time>", "the board as it was at this ISO time")
    .option("--json", "print as JSON")
    .action(
      async (opts: {
        board?: string;
        metric: string;
        direction: Direction;
        level?: string;
        provenance?: Provenance;
        asOf?: string;
        json?: boolean;
      }) => {
        const asOf = opts.asOf === undefined ? null : new Date(opts.asOf);
        if (asOf !== null && Number.isNaN(asOf.getTime()))
          throw new CliError(`--as-of expects an ISO time, got "${opts.asOf}"`);
        const level = opts.level === undefined ? null : Number(opts.level);
        if (level !== null && !Number.isFinite(level))
          throw new CliError(`--level expects a number, got "${opts.level}"`);
        const view = await withServices(async (s) =>
          leaderboardView(await s.database(), {
            board: opts.board ?? null,
            metric: opts.metric,
            direction: opts.direction,
            level,
            provenance: opts.provenance ? [opts.provenance] : null,
            asOf,
          }),
        );
        if (opts.json) {
          const boards = await withServices(async (s) => listBoards(await s.database()));
          output(
            true,
            { ...view, boards: boards.filter((b) => view.rows.some((r) => r.board.id === b.id)) },
            () => "",
          );
        } else output(false, view, () => describeView(view));
      },
    );

  board
    .command("show")
    .description(
      "one entry: provenance, per-level values with intervals, and which queries fall from hit to miss",
    )
    .argument("<entryId>", "an entry id (cxr leaderboard list)")
    .option("--k <k>", "hit = rank <= k for the drill-down", "1")
    .option("--json", "print as JSON")
    .action(async (entryId: string, opts: { k: string; json?: boolean }) => {
      const k = Number(opts.k);
      const { entry, drill } = await withServices(async (s) => {
        const db = await s.database();
        return { entry: await getEntry(db, entryId), drill: await entryDrillDown(db, entryId, k) };
      });
      output(opts.json, { entry, drillDown: drill }, () => {
        const lines = [
          `entry ${entry.id}: ${entry.modelName} on board ${entry.boardId}`,
          `  provenance ${entry.provenance}${entry.citation ? ` (${entry.citation})` : ""}; license ${entry.license}; in-domain ${entry.inDomain ? "yes" : "no"}`,
          `  model ${entry.modelFingerprint}; run ${entry.runId ?? "–"}; created ${entry.createdAt}${entry.supersededAt ? `; superseded ${entry.supersededAt}` : ""}`,
        ];
        const names = Object.keys(entry.cells[0]?.metrics ?? {});
        const rows = [["direction", "level", ...names]];
        for (const c of entry.cells)
          rows.push([
            c.direction,
            String(c.level),
            ...names.map((n) =>
              c.ci[n] ? `${f3(c.metrics[n])} [${f3(c.ci[n]!.low)}, ${f3(c.ci[n]!.high)}]` : f3(c.metrics[n]),
            ),
          ]);
        lines.push(table(rows));
        for (const step of drill)
          lines.push(
            `  ${step.direction} ${step.from} -> ${step.to}: ${step.fallen.length} hit@${k} -> miss, ${step.risen.length} miss -> hit`,
          );
        if (entry.check)
          lines.push(
            `  check: ${entry.check.outcome} by run ${entry.check.runId}, ${entry.check.differences.length} differing cells`,
          );
        return lines.join("\n");
      });
    });

  board
    .command("verify")
    .description(
      "re-run an entry's benchmark here (as a job: same bundle and split fingerprints) and mark it verified or disputed",
    )
    .argument("<entryId>", "an entry id (cxr leaderboard list)")
    .option("--json", "print as JSON")
    .action(async (entryId: string, opts: { json?: boolean }) => {
      const progress = benchProgress();
      const { job, result, entry } = await withServices(async (s) => {
        const executed = await runJob<VerifyJobResult>(s, "verify", { entryId }, progress.onProgress);
        return { ...executed, entry: await getEntry(await s.database(), entryId) };
      });
      progress.finish(`verification of entry ${entryId}`);
      output(opts.json, { jobId: job.id, ...result, check: entry.check }, () => {
        const lines = [
          `entry ${entryId}: ${result.outcome} (job ${job.id}, the server's run ${result.runId})`,
        ];
        for (const d of entry.check?.differences ?? [])
          lines.push(
            `  ${d.direction} level ${d.level}: ${d.queries.length} queries differ (${d.queries.slice(0, 5).join(", ")}${d.queries.length > 5 ? ", …" : ""}); ${Object.entries(
              d.deltas,
            )
              .map(([m, v]) => `${m} ${v >= 0 ? "+" : ""}${v.toFixed(4)}`)
              .join(", ")}`,
          );
        return lines.join("\n");
      });
      if (result.outcome === "disputed") process.exitCode = EXIT.failed;
    });

  program
    .command("submit")
    .description("submit a local run's record file to a leaderboard server (GraphQL submitRun)")
    .argument("<runId>", "a run id (cxr bench list)")
    .requiredOption("--server <url>", "the server, e.g. https://board.example.org")
    .option("--token <token>", "a token with the submit scope (or CXR_TOKEN)")
    .option("--license <model=license...>", "weight license per model, e.g. demo-cxr=MIT")
    .option("--json", "print as JSON")
    .action(
      async (runId: string, opts: { server: string; token?: string; license?: string[]; json?: boolean }) => {
        let url: URL;
        try {
          url = new URL("/graphql", opts.server);
        } catch {
          throw new CliError(`--server expects a URL, got "${opts.server}"`);
        }
        const licenses = (opts.license ?? []).map((pair) => {
          const [model, license] = pair.split("=");
          if (!model || !license) throw new CliError(`--license expects model=license, got "${pair}"`);
          return { model, license };
        });
        const recordFile = await withServices(async (s) => runRecordText(await s.database(), runId));
        const token = opts.token ?? process.env.CXR_TOKEN;
        const res = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({
            query: `mutation Submit($input: SubmitRunInput!) { submitRun(input: $input) {
            __typename ... on SubmissionAccepted { submissionId boardId entryIds duplicate }
            ... on SubmissionRefused { reason field message } } }`,
            variables: { input: { recordFile, licenses } },
          }),
        }).catch((error: unknown) => {
          throw new CliError(`cannot reach ${url.origin}: ${(error as Error).message}`);
        });
        const body = (await res.json().catch(() => null)) as {
          data?: { submitRun?: Record<string, unknown> };
          errors?: { message: string; extensions?: { code?: string } }[];
          message?: string;
        } | null;
        const answer = body?.data?.submitRun;
        if (answer === undefined) {
          const e = body?.errors?.[0];
          throw new CliError(
            `the server refused the request (HTTP ${res.status}): ${e ? `${e.extensions?.code ?? ""} ${e.message}` : (body?.message ?? "no answer")}`,
          );
        }
        output(opts.json, answer, () =>
          answer.__typename === "SubmissionAccepted"
            ? `${answer.duplicate ? "already submitted" : "accepted"}: submission ${answer.submissionId} on board ${answer.boardId}`
            : `refused (${answer.reason}${answer.field ? ` at ${answer.field}` : ""}): ${answer.message}`,
        );
        if (answer.__typename !== "SubmissionAccepted") process.exitCode = EXIT.failed;
      },
    );
}
