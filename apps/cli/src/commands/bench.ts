import path from "node:path";
import {
  type BenchProgress,
  type BenchResult,
  type BenchRunSummary,
  BOOTSTRAP_UNITS,
  type BootstrapUnit,
  CORRUPTION_FAMILIES,
  type CorruptionFamily,
  DIRECTIONS,
  listBenchRuns,
  loadBenchRun,
  OCCLUSION_FILLS,
  OCCLUSION_PATTERNS,
  type ResultRecord,
  recomputeFromDatabase,
  type SummaryRecord,
  TEXT_FIELD_HELP,
  TEXT_FIELDS,
  type TextField,
  VIEWS,
} from "@cxr/services";
import { type Command, Option } from "commander";
import { output, withServices } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { followQueuedJob, rowProgress, runJob, useQueue } from "../foreground.ts";
import { createProgress, type Progress } from "../progress.ts";

/**
 * `cxr bench`, `cxr bench list`, `cxr bench show <runId>`, `cxr bench verify <runId>`: thin commands
 * over @cxr/services' benchmark service. Exit codes: bad arguments, unknown model/dataset/split/run,
 * a model that cannot be loaded -> 2; a run that ran and failed (it stays resumable: run the same
 * command again) or a verification that found a disagreement -> 1. Nothing printed carries report
 * text or pixels: ids, counts and numbers only.
 */

function list(flag: string) {
  return (raw: string): string[] => {
    const items = raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (items.length === 0) throw new CliError(`${flag} expects a comma-separated list, got "${raw}"`);
    return items;
  };
}

function numbers(flag: string) {
  return (raw: string): number[] =>
    list(flag)(raw).map((s) => {
      const v = Number(s);
      if (!Number.isFinite(v)) throw new CliError(`${flag} expects numbers, got "${s}"`);
      return v;
    });
}

function wholeNumber(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim()) || Number(raw) > max)
      throw new CliError(`${flag} expects a whole number 0..${max}, got "${raw}"`);
    return Number(raw);
  };
}

/** Three decimals; a value that rounds to zero prints as 0.000, never -0.000. */
const f3 = (v: number | null | undefined) =>
  v === null || v === undefined || Number.isNaN(v) ? "–" : (Math.abs(v) < 0.0005 ? 0 : v).toFixed(3);
const f1 = (v: number | null | undefined) =>
  v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(1);

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) =>
    r
      .map((v, c) => v.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
}

function levelLabel(corruption: string, level: number): string {
  return corruption === "occlusion" ? `p=${level}` : `s=${level}`;
}

/** Per model: a table of per-level values with intervals for each direction, and the robustness summaries. */
export function describeResults(
  results: readonly ResultRecord[],
  summaries: readonly SummaryRecord[],
  models: readonly string[],
): string {
  const lines: string[] = [];
  for (const model of models) {
    const mine = results.filter((r) => r.modelId === model);
    if (mine.length === 0) {
      lines.push(`${model}: no results yet`, "");
      continue;
    }
    const first = mine[0]!;
    lines.push(
      `${model}  (fingerprint ${first.modelFingerprint.slice(0, 12)}, ${first.executionProvider}, ${first.corruption})`,
    );
    for (const direction of DIRECTIONS) {
      const rows = mine.filter((r) => r.direction === direction).sort((a, b) => a.level - b.level);
      if (rows.length === 0) continue;
      const r0 = rows[0]!;
      // Chance from the real positive sets (stored since records carry it); an older image->text
      // record has one positive per query, so K / candidates is exact there.
      const chance =
        r0.chance?.["recall@5"] ?? (direction === "image->text" ? Math.min(1, 5 / r0.candidates) : undefined);
      lines.push(
        `  ${direction}: ${r0.queries} queries, ${r0.candidates} candidates (chance Recall@5 ${f3(chance)}${r0.chance ? `, MRR ${f3(r0.chance.mrr)}` : ""})`,
      );
      const metricCols = ["recall@1", "recall@5", "recall@10", "mrr"];
      const header = [
        "  level",
        "R@1 [95% CI]",
        "R@5 [95% CI]",
        "R@10 [95% CI]",
        "MRR [95% CI]",
        "median",
        "mean",
        "tied",
        "R@5 over ties",
        "MRR over ties",
      ];
      const range = (r: ResultRecord, m: string) =>
        r.ties ? `${f3(r.ties.pessimistic[m])}–${f3(r.ties.optimistic[m])}` : "–";
      const body = rows.map((r) => [
        `  ${levelLabel(r.corruption, r.level)}`,
        ...metricCols.map((m) => `${f3(r.metrics[m])} [${f3(r.ci[m]?.low)}, ${f3(r.ci[m]?.high)}]`),
        f1(r.metrics.medianRank),
        f1(r.metrics.meanRank),
        r.ties ? `${r.ties.queries}/${r.queries}` : "–",
        range(r, "recall@5"),
        range(r, "mrr"),
      ]);
      lines.push(...table([header, ...body]));
      if (rows.some((r) => (r.ties?.queries ?? 0) > 0))
        lines.push(
          "  (tied: queries whose positive has exactly the score of another candidate; values follow the tie rule, the ranges break every tie for/against the positive)",
        );
      const sums = summaries.filter(
        (s) =>
          s.modelId === model &&
          s.direction === direction &&
          ["recall@1", "recall@5", "recall@10", "mrr"].includes(s.metric),
      );
      if (sums.length > 0) {
        const levels = sums[0]!.relativeDrop.map((d) => d.level).filter((l) => l !== 0);
        const ref = sums.find((s) => s.referenceModel !== null)?.referenceModel ?? null;
        const head = [
          "  robustness",
          "clean",
          ...levels.map((l) => `drop ${levelLabel(first.corruption, l)}`),
          "AUC",
          "rel. robustness",
          ref ? `CE vs ${ref}` : "CE (no reference)",
        ];
        const rowsS = sums.map((s) => [
          `  ${s.metric}`,
          f3(s.clean),
          ...levels.map((l) => f3(s.relativeDrop.find((d) => d.level === l)?.value)),
          f3(s.auc),
          f3(s.relativeRobustness),
          f3(s.corruptionError),
        ]);
        lines.push(...table([head, ...rowsS]));
      }
    }
    lines.push("");
  }
  return lines.join("\n").trimEnd();
}

/** Results for JSON output: everything of the record but the per-query ranks (they are in run.json and the database). */
function withoutRanks(results: readonly ResultRecord[]) {
  return results.map(({ ranks: _ranks, ...rest }) => rest);
}

function describeRun(r: BenchRunSummary): string {
  const models = r.models.map((m) => m.id).join(",");
  const state =
    r.status === "completed" ? "completed" : `${r.status} (${r.results / 2}/${r.expectedResults / 2} cells)`;
  return `${r.runId}  ${r.startedAt.slice(0, 19)}Z  ${state}  ${r.dataset}/${r.split}  ${models}  ${r.corruption} ${r.levels.join(",")} seed ${r.seed} ${r.textField}`;
}

export function benchProgress(): {
  onProgress: (e: BenchProgress) => void;
  finish: (summary: string) => void;
} {
  let bar: Progress | undefined;
  let images = 0;
  let pendingCells = 0;
  const done = new Map<string, number>();
  return {
    onProgress(e) {
      if (e.phase === "start") {
        images = e.images;
        pendingCells = e.cells - e.cellsDone;
        bar = createProgress(`bench ${e.runId}${e.resumed ? " (resumed)" : ""}`, {
          total: pendingCells * images,
          unit: "images encoded",
        });
        if (e.resumed)
          process.stderr.write(
            `continuing run ${e.runId}: ${e.cellsDone}/${e.cells} (model, level) cells done earlier\n`,
          );
        bar.tick(0);
      } else if (e.phase === "encode" && bar) {
        done.set(`${e.modelId}\u0000${e.level}`, e.done);
        bar.tick([...done.values()].reduce((a, b) => a + b, 0));
      }
    },
    finish(summary) {
      bar?.done(summary);
    },
  };
}

/**
 * A subcommand's options merged with `cxr bench`'s: commander gives an option both define (--json,
 * --reference) to the parent when it follows the subcommand's name.
 */
function sharedOpts(cmd: Command): { json?: boolean; reference?: string } {
  return cmd.optsWithGlobals<{ json?: boolean; reference?: string }>();
}

export function registerBenchCommands(program: Command): void {
  const bench = program
    .command("bench")
    .description(
      "run the occlusion-robustness benchmark (protocol v1) on an ingested split: render, encode, score every model at every level; store the run and its per-query ranks; write JSON, CSV and an HTML report (resumable: run the same command again after a kill)",
    )
    .option("--models <ids>", "registered models, comma-separated (cxr models list)", list("--models"))
    .option("--dataset <name>", "an ingested dataset (cxr datasets list)")
    .option("--split <split>", "the split whose pairs are the test set", "test")
    .addOption(
      new Option("--corruption <family>", "corruption family")
        .choices(CORRUPTION_FAMILIES)
        .default("occlusion"),
    )
    .option(
      "--levels <list>",
      "levels, comma-separated: occlusion fractions in [0,1] (default 0,0.1,0.2,0.3,0.4,0.5) or severities 0..5",
      numbers("--levels"),
    )
    .option(
      "--seed <n>",
      "seed of the occlusion permutations, noise and bootstrap",
      wholeNumber("--seed", 2 ** 32 - 1),
    )
    .addOption(new Option("--text-field <field>", TEXT_FIELD_HELP).choices(TEXT_FIELDS))
    .option("--grid <n>", "occlusion grid G (G x G cells; default 8)", wholeNumber("--grid", 64))
    .addOption(new Option("--fill <fill>", "occlusion fill (default black)").choices(OCCLUSION_FILLS))
    .addOption(
      new Option("--pattern <pattern>", "occlusion pattern (default cells)").choices(OCCLUSION_PATTERNS),
    )
    .option("--views <list>", "image views: frontal, lateral (default frontal)", list("--views"))
    .option(
      "--distractors <splits>",
      "further splits whose reports join the candidate corpus",
      list("--distractors"),
    )
    .option(
      "--bootstrap <n>",
      "bootstrap replicates for the intervals (protocol default 1000)",
      wholeNumber("--bootstrap", 100_000),
    )
    .option(
      "--reference <model>",
      "reference model of the corruption error (default clip when in the run; none for none)",
    )
    .addOption(
      new Option(
        "--bootstrap-unit <unit>",
        "what the bootstrap resamples: study (protocol v1 default) or patient (a patient's studies move together; recorded in the protocol)",
      ).choices(BOOTSTRAP_UNITS),
    )
    .option(
      "--exclude-undecodable",
      "decode every image first; record those that cannot be decoded in the protocol (excludedImages, counted) and benchmark the rest (default: such an image stops the run, named)",
    )
    .option("--batch <n>", "images per encoder batch", wholeNumber("--batch", 4096))
    .option("--out <dir>", "output folder (default <CXR_DATA_DIR>/runs/<runId>)")
    .option("--no-cache", "do not keep the rendered corrupted images (default: <CXR_DATA_DIR>/corruptions)")
    .option(
      "--cache-max-mb <n>",
      "size limit of the corruption cache; least recently used images are evicted (default 4096; see cxr cache list|prune)",
      wholeNumber("--cache-max-mb", 1024 ** 3),
    )
    .option(
      "--local",
      "run here, in this process, even when REDIS_URL is set (default then: queue it for `cxr worker`, cells spread over the workers, and follow it)",
    )
    .option("--json", "print the result as JSON")
    .action(
      async (opts: {
        local?: boolean;
        models?: string[];
        dataset?: string;
        split: string;
        corruption: CorruptionFamily;
        levels?: number[];
        seed?: number;
        textField?: TextField;
        bootstrapUnit?: BootstrapUnit;
        excludeUndecodable?: boolean;
        grid?: number;
        fill?: (typeof OCCLUSION_FILLS)[number];
        pattern?: (typeof OCCLUSION_PATTERNS)[number];
        views?: string[];
        distractors?: string[];
        bootstrap?: number;
        reference?: string;
        batch?: number;
        out?: string;
        cache: boolean;
        cacheMaxMb?: number;
        json?: boolean;
      }) => {
        if (!opts.models) throw new CliError("--models is required (e.g. --models demo-cxr)");
        if (!opts.dataset) throw new CliError("--dataset is required (see cxr datasets list)");
        const isView = (v: string): v is (typeof VIEWS)[number] => (VIEWS as readonly string[]).includes(v);
        for (const v of opts.views ?? []) {
          if (!isView(v)) throw new CliError(`--views: "${v}" is not frontal or lateral`);
        }
        if (opts.bootstrap === 0) throw new CliError("--bootstrap must be at least 1");
        if (opts.batch === 0) throw new CliError("--batch must be at least 1");
        const parameters = {
          models: opts.models!,
          dataset: opts.dataset!,
          split: opts.split,
          corruption: opts.corruption,
          ...(opts.levels ? { levels: opts.levels } : {}),
          ...(opts.seed === undefined ? {} : { seed: opts.seed }),
          ...(opts.textField ? { textField: opts.textField } : {}),
          ...(opts.grid === undefined ? {} : { grid: opts.grid }),
          ...(opts.fill ? { fill: opts.fill } : {}),
          ...(opts.pattern ? { pattern: opts.pattern } : {}),
          ...(opts.views ? { views: opts.views.filter(isView) } : {}),
          ...(opts.distractors ? { distractorSplits: opts.distractors } : {}),
          ...(opts.bootstrap === undefined ? {} : { bootstrapSamples: opts.bootstrap }),
          ...(opts.bootstrapUnit ? { bootstrapUnit: opts.bootstrapUnit } : {}),
          ...(opts.excludeUndecodable ? { excludeUndecodable: true } : {}),
          ...(opts.reference === undefined
            ? {}
            : { referenceModel: opts.reference === "none" ? null : opts.reference }),
          ...(opts.batch === undefined ? {} : { batchSize: opts.batch }),
          // Resolved here: the job's parameters must not depend on where it executes.
          ...(opts.out ? { outDir: path.resolve(opts.out) } : {}),
          cache: opts.cache,
          ...(opts.cacheMaxMb === undefined ? {} : { cacheMaxBytes: opts.cacheMaxMb * 1024 ** 2 }),
        };
        const queued = await withServices(async (services) => {
          if (!useQueue(services, opts.local)) return undefined;
          const bar = rowProgress(`bench ${opts.models!.join(",")}`, "cells");
          const job = await followQueuedJob(services, "bench", parameters, bar.onProgress);
          const summary = job.result as {
            runId: string;
            resumed: boolean;
            resumedCells: number;
            outDir: string;
            files: BenchResult["files"];
            undecodable: number;
          };
          bar.finish("done");
          const detail = await loadBenchRun(
            await services.database(),
            summary.runId,
            opts.reference === undefined
              ? {}
              : { referenceModel: opts.reference === "none" ? null : opts.reference },
          );
          return { jobId: job.id, summary, detail };
        });
        if (queued !== undefined) {
          const { jobId, summary, detail } = queued;
          const { run } = detail;
          output(
            opts.json,
            {
              jobId,
              ...summary,
              run,
              results: withoutRanks(detail.results),
              summaries: detail.summaries,
            },
            () =>
              [
                `job ${jobId}, on the workers: ${describeRun(run)}`,
                "",
                describeResults(
                  detail.results,
                  detail.summaries,
                  run.models.map((m) => m.id),
                ),
                "",
                `written: ${summary.files.json}`,
                `         ${summary.files.csv}, ${summary.files.report}`,
              ].join("\n"),
          );
          return;
        }
        const progress = benchProgress();
        const { result } = await withServices((services) =>
          runJob<BenchResult>(services, "bench", parameters, progress.onProgress),
        );
        progress.finish(
          `${result.record.results.length / 2} (model, level) cells${result.resumedCells > 0 ? `, ${result.resumedCells} from the earlier process` : ""}`,
        );
        const { run } = result.record;
        output(
          opts.json,
          {
            runId: result.runId,
            resumed: result.resumed,
            resumedCells: result.resumedCells,
            outDir: result.outDir,
            files: result.files,
            protocolVersion: run.protocolVersion,
            protocolKey: run.protocolKey,
            protocol: run.protocol,
            dataset: run.dataset,
            models: run.models,
            counts: run.counts,
            undecodable: result.undecodable,
            scoringKernel: run.scoringKernel,
            startedAt: run.startedAt,
            endedAt: run.endedAt,
            results: withoutRanks(result.record.results),
            summaries: result.record.summaries,
          },
          () =>
            [
              `run ${result.runId}${result.resumed ? ` (continued; ${result.resumedCells} cells from the earlier process)` : ""}: ${run.dataset.id}/${run.protocol.corpus.split}, protocol ${run.protocolVersion} ${run.protocolKey.slice(0, 12)}, seed ${run.protocol.seed}, text ${run.protocol.textField}`,
              `  ${run.counts.imageQueries} image queries, ${run.counts.textCandidates} candidate texts, ${run.counts.excludedStudies} studies excluded (no ${run.protocol.textField} text), ${run.counts.otherViewImages} images of other views, bootstrap by ${run.protocol.bootstrap.unit ?? "study"}`,
              ...(run.counts.undecodableImages
                ? [
                    `  ${run.counts.undecodableImages} undecodable images excluded (recorded in the protocol; ${run.counts.undecodableStudies ?? 0} studies lost every image):`,
                    ...result.undecodable.map((u) => `    ${u.image}: ${u.reason}`),
                  ]
                : []),
              "",
              describeResults(
                result.record.results,
                result.record.summaries,
                run.models.map((m) => m.id),
              ),
              "",
              `written: ${result.files.json}`,
              `         ${result.files.csv}, ${result.files.report}`,
            ].join("\n"),
        );
      },
    );

  bench
    .command("list")
    .description("benchmark runs in the database, newest first")
    .option("--json", "print as JSON")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = sharedOpts(cmd);
      const runs = await withServices(async (services) => listBenchRuns(await services.database()));
      output(opts.json, runs, () =>
        runs.length === 0
          ? "no benchmark runs yet (cxr bench --models ... --dataset ...)"
          : runs.map(describeRun).join("\n"),
      );
    });

  bench
    .command("show")
    .description("one run: its parameters, counts, per-level values with intervals and robustness summaries")
    .argument("<runId>", "a run id (cxr bench list)")
    .option(
      "--reference <model>",
      "reference model of the corruption error (default clip when in the run; none for none)",
    )
    .option("--json", "print as JSON (with the per-query ranks)")
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const opts = sharedOpts(cmd);
      const detail = await withServices(async (services) =>
        loadBenchRun(
          await services.database(),
          runId,
          opts.reference === undefined
            ? {}
            : { referenceModel: opts.reference === "none" ? null : opts.reference },
        ),
      );
      const { run } = detail;
      output(opts.json, detail, () =>
        [
          describeRun(run),
          `  protocol ${run.protocolVersion} ${run.protocolKey}`,
          `  dataset fingerprint ${run.datasetFingerprint}`,
          ...run.models.map((m) => `  model ${m.id} ${m.fingerprint}`),
          `  ${run.softwareVersion}, ${run.executionProvider ?? "?"}, ${run.hardware ?? "?"}`,
          run.counts
            ? `  ${run.counts.imageQueries} image queries, ${run.counts.textCandidates} candidate texts, ${run.counts.excludedStudies} studies excluded`
            : "",
          run.outputDir ? `  files in ${run.outputDir}` : "",
          run.error ? `  error: ${run.error}` : "",
          "",
          describeResults(
            detail.results,
            detail.summaries,
            run.models.map((m) => m.id),
          ),
        ]
          .filter((l, i, all) => l !== "" || all[i - 1] !== "")
          .join("\n"),
      );
    });

  bench
    .command("verify")
    .description(
      "recompute every stored metric and interval of a run from its stored per-query ranks; exits 1 on any disagreement",
    )
    .argument("<runId>", "a run id (cxr bench list)")
    .option("--json", "print as JSON")
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const opts = sharedOpts(cmd);
      const report = await withServices(async (services) =>
        recomputeFromDatabase(await services.database(), runId),
      );
      output(opts.json, report, () =>
        report.ok
          ? `${runId}: all ${report.checked} stored results agree with their recomputation from the stored ranks`
          : [
              `${runId}: ${report.mismatches.length} disagreement(s)${report.protocolKeyOk ? "" : "; the protocol key is not the hash of the stored parameters"}`,
              ...report.mismatches
                .slice(0, 20)
                .map(
                  (m) =>
                    `  ${m.modelId} ${m.corruption} ${m.level} ${m.direction}: ${m.what} stored ${m.claimed}, recomputed ${m.recomputed}`,
                ),
            ].join("\n"),
      );
      if (!report.ok) process.exitCode = EXIT.failed;
    });
}
