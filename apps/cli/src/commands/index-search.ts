import { readFile } from "node:fs/promises";
import {
  type IndexProgress,
  type IndexResult,
  type ModalityIndexResult,
  type SearchFilter,
  type SearchHit,
  type SearchQuery,
  type SearchResult,
  search,
  TEXT_FIELD_HELP,
  TEXT_FIELDS,
  type TextField,
} from "@cxr/services";
import { type Command, Option } from "commander";
import { readQueryText } from "../argument-limit.ts";
import { output, withServices } from "../context.ts";
import { CliError } from "../errors.ts";
import { followQueuedJob, rowProgress, runJob, useQueue } from "../foreground.ts";
import { createProgress, type Progress } from "../progress.ts";

/**
 * `cxr index` and `cxr search`: thin commands over @cxr/services' index and search services.
 * Exit codes: bad arguments, unknown model/dataset, a model not indexed, an unusable query, a store
 * that cannot be reached -> 2; an index job that ran and failed (it stays resumable) -> 1.
 * Progress lines carry counts only; report text appears only in search results, for the user who asked.
 */

function positiveInt(flag: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new CliError(`${flag} expects a whole number, got "${raw}"`);
    return Number(raw);
  };
}

function number(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value))
      throw new CliError(`${flag} expects a number, got "${raw}"`);
    return value;
  };
}

/** A modality's result; through the queue the row keeps the number of failures, not their lines. */
type ModalityOutcome = Omit<ModalityIndexResult, "failures"> & {
  failures: ModalityIndexResult["failures"] | number;
};

function describeModality(r: ModalityOutcome, dataset: string, jobId?: string): string {
  const lines: string[] = [];
  if (r.status === "up-to-date") {
    lines.push(
      `${r.modality}: up to date, nothing to do (${r.points} points of ${dataset} in ${r.collection}, alias ${r.alias}; --reindex builds a new version)`,
    );
    return lines.join("\n");
  }
  lines.push(
    `${r.modality}: ${r.processed} written, ${r.failed} failed of ${r.total}${r.resumed ? " (resumed)" : ""} -> ${r.collection}, alias ${r.alias} now points at it`,
    `  points: ${r.points} of ${dataset}, ${r.collectionPoints} in the collection${r.carried > 0 ? ` (${r.carried} of other datasets carried over)` : ""}`,
  );
  if (r.rebuildReason) lines.push(`  new version: ${r.rebuildReason}`);
  if (r.previousCollection !== null)
    lines.push(`  replaced ${r.previousCollection} (kept until the next swap)`);
  if (r.dropped.length > 0) lines.push(`  dropped ${r.dropped.join(", ")}`);
  if (r.leftBehind.length > 0) {
    lines.push(
      `  not carried over (encoded by another bundle of this model; re-index them): ${r.leftBehind.join(", ")}`,
    );
  }
  if (typeof r.failures === "number") {
    if (r.failures > 0)
      lines.push(`  ${r.failures} failures (recorded by the workers; cxr jobs show ${jobId ?? "<id>"})`);
    return lines.join("\n");
  }
  const shown = r.failures.slice(0, 10);
  for (const f of shown) lines.push(`  failed ${f.item}: ${f.reason}`);
  if (r.failures.length > shown.length)
    lines.push(`  … and ${r.failures.length - shown.length} more failures (--json lists them all)`);
  return lines.join("\n");
}

function oneLine(text: string | null | undefined, max: number): string {
  const flat = (text ?? "").replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function describeHit(hit: SearchHit): string {
  const where = `${hit.dataset} ${hit.studyExternalId ?? hit.studyId}${hit.split ? ` (${hit.split})` : ""}`;
  const head = `${String(hit.rank).padStart(3)}. ${hit.score.toFixed(4)}  ${where}`;
  if (hit.report !== undefined) {
    if (hit.report === null) return `${head}  [report no longer in the database]`;
    // A report without recognised sections still shows: its full text.
    const text = hit.report.impression ?? hit.report.findings ?? hit.report.fullText;
    return `${head}\n       ${oneLine(text, 160)}`;
  }
  if (hit.image === null || hit.image === undefined) return `${head}  [image no longer in the database]`;
  return `${head}  ${hit.image.view ?? "?"}  ${hit.image.path}`;
}

function describeSearch(result: SearchResult): string {
  const lines: string[] = [];
  if (result.results.length > 1) {
    // Side by side: rank, then score and study of each model.
    const cell = (hit: SearchHit | undefined) =>
      hit === undefined ? "" : `${hit.score.toFixed(3)} ${hit.studyExternalId ?? hit.studyId}`;
    const rows = [["#", ...result.results.map((r) => r.model)]];
    const depth = Math.max(...result.results.map((r) => r.hits.length));
    for (let i = 0; i < depth; i++) rows.push([String(i + 1), ...result.results.map((r) => cell(r.hits[i]))]);
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    for (const row of rows)
      lines.push(
        row
          .map((v, c) => v.padEnd(widths[c]!))
          .join("  ")
          .trimEnd(),
      );
    lines.push("");
  }
  for (const r of result.results) {
    lines.push(`${r.model}: ${r.hits.length} ${result.target} from ${r.collection}`);
    for (const hit of r.hits) lines.push(describeHit(hit));
  }
  return lines.join("\n");
}

export function registerIndexSearchCommands(program: Command): void {
  program
    .command("index")
    .description(
      "encode a dataset's images and/or reports with a model into the model's vector collection (resumable; a re-index builds a new version and swaps it in when complete)",
    )
    .requiredOption("--model <id>", "a registered model (cxr models list)")
    .requiredOption("--dataset <name>", "an ingested dataset")
    .addOption(
      new Option("--modality <modality>", "what to encode")
        .choices(["images", "reports", "both"])
        .default("both"),
    )
    .option("--batch <n>", "items per batch (encode, write, record progress)", positiveInt("--batch"))
    .option("--reindex", "build a new collection version even when the index is up to date")
    .addOption(new Option("--text-field <field>", TEXT_FIELD_HELP).choices(TEXT_FIELDS).default("impression"))
    .option(
      "--local",
      "run here, in this process, even when REDIS_URL is set (default then: queue it for `cxr worker` and follow it)",
    )
    .option("--json", "print the result as JSON")
    .action(
      async (opts: {
        model: string;
        dataset: string;
        modality: "images" | "reports" | "both";
        batch?: number;
        reindex?: boolean;
        textField: TextField;
        local?: boolean;
        json?: boolean;
      }) => {
        const parameters = {
          modelId: opts.model,
          datasetName: opts.dataset,
          modality: opts.modality,
          ...(opts.batch === undefined ? {} : { batchSize: opts.batch }),
          reindex: opts.reindex === true,
          textField: opts.textField,
        };
        const queued = await withServices(async (services) => {
          if (!useQueue(services, opts.local)) return undefined;
          const bar = rowProgress(`index ${opts.model} ${opts.modality}`, "items");
          const job = await followQueuedJob(services, "index", parameters, bar.onProgress);
          const summary = job.result as { model: string; dataset: string; results: ModalityOutcome[] };
          bar.finish(summary.results.map((r) => `${r.modality} ${r.processed ?? 0} written`).join(", "));
          return { jobId: job.id, ...summary };
        });
        if (queued !== undefined) {
          output(opts.json, queued, () =>
            [
              `${queued.model} on ${queued.dataset} (job ${queued.jobId}, on the workers):`,
              ...queued.results.map((r) => describeModality(r, queued.dataset, queued.jobId)),
            ].join("\n"),
          );
          return;
        }
        const progress = new Map<string, Progress>();
        const onProgress = (p: IndexProgress) => {
          let bar = progress.get(p.modality);
          if (bar === undefined) {
            bar = createProgress(`index ${p.model} ${p.modality}`, { total: p.total, unit: "items" });
            progress.set(p.modality, bar);
          }
          if (p.phase === "encoding") bar.tick(p.processed + p.failed, p.total);
          else if (p.phase === "done") bar.done(`${p.processed} written, ${p.failed} failed`);
        };
        const { result } = await withServices((services) =>
          runJob<IndexResult>(services, "index", parameters, onProgress),
        );
        output(opts.json, result, () =>
          [
            `${result.model} on ${result.dataset}:`,
            ...result.results.map((r) => describeModality(r, result.dataset)),
          ].join("\n"),
        );
      },
    );

  program
    .command("search")
    .description(
      "search with an image (-> reports, or images with --target images), a text (-> images) or an indexed image id (-> images), with one model or several side by side",
    )
    .requiredOption("--model <ids>", "model id(s), comma-separated")
    .option("--image <file>", "query image (PNG, JPEG, DICOM)")
    .option("--text <text>", "query text (at most 16 KiB on the command line; longer: --text-file)")
    .option("--text-file <file>", "query text from a file, or from standard input with -")
    .option("--image-id <id>", "an indexed image (its neighbours, itself excluded)")
    .addOption(new Option("--target <modality>", "what to return").choices(["reports", "images"]))
    .option("--k <n>", "hits per model (1..1000)", number("--k"), 10)
    .option("--min-score <s>", "drop hits below this cosine similarity", number("--min-score"))
    .option("--dataset <names>", "only these datasets (comma-separated)")
    .option("--split <names>", "only these splits (comma-separated)")
    .option("--view <views>", "only these views, e.g. PA,AP (comma-separated)")
    .option("--json", "print the results as JSON")
    .action(
      async (opts: {
        model: string;
        image?: string;
        text?: string;
        textFile?: string;
        imageId?: string;
        target?: "reports" | "images";
        k: number;
        minScore?: number;
        dataset?: string;
        split?: string;
        view?: string;
        json?: boolean;
      }) => {
        const given = [opts.image, opts.text, opts.textFile, opts.imageId].filter(
          (v) => v !== undefined,
        ).length;
        if (given !== 1) {
          throw new CliError(
            "give exactly one of --image FILE, --text TEXT, --text-file FILE|- or --image-id ID",
          );
        }
        let query: SearchQuery;
        if (opts.image !== undefined) {
          try {
            query = { image: await readFile(opts.image) };
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            throw new CliError(
              `cannot read ${opts.image}: ${code === "ENOENT" ? "no such file" : (code ?? "read error")}`,
            );
          }
        } else if (opts.text !== undefined) query = { text: opts.text };
        else if (opts.textFile !== undefined) query = { text: await readQueryText(opts.textFile) };
        else query = { imageId: opts.imageId! };
        const list = (v: string | undefined) =>
          v
            ?.split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "");
        const filter: SearchFilter = {};
        const dataset = list(opts.dataset);
        const split = list(opts.split);
        const view = list(opts.view);
        if (dataset?.length) filter.dataset = dataset;
        if (split?.length) filter.split = split;
        if (view?.length) filter.view = view;
        const result = await withServices(async (services) =>
          search({
            db: await services.database(),
            store: services.store(),
            config: services.config,
            encoders: services.encoders,
            models: list(opts.model) ?? [],
            query,
            ...(opts.target === undefined ? {} : { target: opts.target }),
            k: opts.k,
            ...(Object.keys(filter).length > 0 ? { filter } : {}),
            ...(opts.minScore === undefined ? {} : { minScore: opts.minScore }),
          }),
        );
        output(opts.json, result, () => describeSearch(result));
      },
    );
}
