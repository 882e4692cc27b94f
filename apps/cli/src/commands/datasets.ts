import { parseHttpUrl } from "@cxr/config";
import {
  DATASET_ADAPTERS,
  type DatasetPullJobEvent,
  defaultDatasetName,
  EmptyIngestError,
  type IngestProgress,
  type IngestSummary,
  listDatasets,
  PULLABLE_DATASETS,
  type PulledDataset,
  showDataset,
  synthesizeDataset,
} from "@cxr/services";
import type { Command } from "commander";
import { output, withServices } from "../context.ts";
import { CliError } from "../errors.ts";
import { followQueuedJob, runJob, useQueue } from "../foreground.ts";
import { createProgress } from "../progress.ts";

/**
 * `cxr ingest`, `cxr synth`, `cxr datasets list|show|pull`: thin commands over @cxr/services'
 * dataset use cases.
 * Exit codes: a missing or unreadable source, an unknown adapter or dataset -> 2; a download that
 * fails -> 1. Skipped items do not fail an ingest: they are counted and listed with reasons; an
 * ingest that took no study at all (EmptyIngestError) prints its summary and exits 1.
 * Nothing here prints report text or pixels.
 */

const short = (hash: string | null | undefined) => (hash ? hash.slice(0, 12) : "-");

function summaryText(s: IngestSummary, listed = 20): string {
  const lines = [
    `${s.name} (${s.adapter}, ${s.sourcePath}): ${s.status}`,
    `  added ${s.added}, updated ${s.updated ?? 0}, unchanged ${s.existing}; now ${s.studies} studies, ${s.images} images`,
    ...(s.updated > 0
      ? [
          `  updated: ${Object.entries(s.changes)
            .filter(([, n]) => n > 0)
            .map(([what, n]) => `${what} ${n}`)
            .join(", ")} (indexes of this dataset are rebuilt by the next \`cxr index\`)`,
        ]
      : []),
    ...(s.studiesWithoutImages > 0
      ? [
          `  ${s.studiesWithoutImages} studies have no image (text only: report candidates, never image positives)`,
        ]
      : []),
    `  fingerprint ${s.fingerprint ?? (s.status === "failed" ? "- (failed: no usable study)" : "- (incomplete: run again to resume)")}`,
    ...s.splits.map(
      (p) =>
        `  split ${p.name}: ${p.studies} studies, ${p.images} images, fingerprint ${short(p.fingerprint)}`,
    ),
  ];
  const reasons = Object.entries(s.skipped.byReason);
  if (reasons.length > 0) {
    lines.push(
      `  skipped: ${s.skipped.study} studies, ${s.skipped.image} images, ${s.skipped.record} records`,
      ...reasons.map(([reason, n]) => `    ${reason}: ${n}`),
      ...s.skippedItems.slice(0, listed).map((i) => `    - ${i.level} ${i.item}: ${i.reason} (${i.detail})`),
    );
    const more =
      s.skipped.study + s.skipped.image + s.skipped.record - Math.min(listed, s.skippedItems.length);
    if (more > 0)
      lines.push(`    ... ${more} more (all in --json and in \`cxr datasets show ${s.name} --json\`)`);
  }
  return lines.join("\n");
}

function positiveInt(name: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1)
      throw new CliError(`${name} expects a positive whole number, got "${raw}"`);
    return Number(raw);
  };
}

export function registerDatasetCommands(program: Command): void {
  program
    .command("ingest")
    .description(`write a dataset into the database (adapters: ${DATASET_ADAPTERS.join(", ")})`)
    .argument("<adapter>", "dataset layout: mimic-cxr-jpg, iu-xray, iu-csv, chexpert-plus or manifest")
    .argument("<path>", "dataset root (for manifest: the folder or the manifest file)")
    .option("--name <name>", "dataset name in the database (default: the folder's name)")
    .option("--split <split>", "split for sources without one (IU X-ray, manifests without a split column)")
    .option("--text-only", "keep studies whose images are all missing (MIMIC, CheXpert Plus)")
    .option("--images <dir>", "image folder, where the layout allows another (IU X-ray)")
    .option("--reports <dir>", "report folder (MIMIC mimic-cxr-reports, IU ecgen-radiology)")
    .option(
      "--local",
      "run here, in this process, even when REDIS_URL is set (default then: queue it for `cxr worker`, which must see the same path, and follow it)",
    )
    .option("--json", "print the summary as JSON")
    .action(
      async (
        adapterName: string,
        root: string,
        opts: {
          local?: boolean;
          name?: string;
          split?: string;
          textOnly?: boolean;
          images?: string;
          reports?: string;
          json?: boolean;
        },
      ) => {
        const name = opts.name ?? defaultDatasetName(root);
        const progress = createProgress(`ingest ${name}`, { unit: "studies" });
        const parameters = {
          adapter: adapterName,
          root,
          name,
          ...(opts.split === undefined ? {} : { split: opts.split }),
          ...(opts.textOnly === undefined ? {} : { textOnly: opts.textOnly }),
          ...(opts.images === undefined ? {} : { imagesDir: opts.images }),
          ...(opts.reports === undefined ? {} : { reportsDir: opts.reports }),
        };
        const summary = await withServices(async (services) => {
          if (useQueue(services, opts.local)) {
            // The row keeps the whole summary of an ingest.
            const job = await followQueuedJob(services, "ingest", parameters, (p) =>
              progress.tick(p.done, p.total ?? undefined),
            );
            return job.result as IngestSummary;
          }
          const { result } = await runJob<IngestSummary>(
            services,
            "ingest",
            parameters,
            (p: IngestProgress) => progress.tick(p.processed, p.total),
          );
          return result;
        }).catch((error: unknown) => {
          // The summary of an ingest that took nothing is printed too; the error sets the exit code.
          if (error instanceof EmptyIngestError)
            output(opts.json, error.summary, () => summaryText(error.summary));
          throw error;
        });
        progress.done(
          `${summary.added} added, ${summary.updated} updated, ${summary.existing} unchanged, ${summary.skipped.study} studies skipped`,
        );
        output(opts.json, summary, () => summaryText(summary));
      },
    );

  program
    .command("synth")
    .description("generate synthetic chest radiographs with reports and labels, in the manifest layout")
    .requiredOption("--out <dir>", "output folder (manifest.jsonl, images/, synth.json)")
    .option("--studies <n>", "number of studies", positiveInt("--studies"), 2000)
    .option("--seed <seed>", "seed: same seed, same bytes", "0")
    .option("--size <px>", "image side in pixels", positiveInt("--size"), 256)
    .option("--json", "print the summary as JSON")
    .action(async (opts: { out: string; studies: number; seed: string; size: number; json?: boolean }) => {
      const progress = createProgress("synth", { unit: "studies", total: opts.studies });
      const summary = await synthesizeDataset({
        out: opts.out,
        studies: opts.studies,
        seed: opts.seed,
        size: opts.size,
        onProgress: (done, total) => progress.tick(done, total),
      });
      progress.done(`${summary.studies} studies`);
      output(opts.json, summary, () =>
        [
          `wrote ${summary.studies} studies to ${summary.out} in ${(summary.elapsedMs / 1000).toFixed(1)}s`,
          `  splits: ${Object.entries(summary.splits)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`,
          `  positives: ${Object.entries(summary.positives)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`,
          `  next: cxr ingest manifest ${summary.out}`,
        ].join("\n"),
      );
    });

  const datasets = program
    .command("datasets")
    .description("datasets in the database, and public ones to pull");

  datasets
    .command("list")
    .description("datasets in the database with their splits and fingerprints")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const list = await withServices((services) => listDatasets(services));
      output(opts.json, list, () =>
        list.length === 0
          ? "no datasets yet: `cxr synth --out data/synth && cxr ingest manifest data/synth`, or `cxr datasets pull iu-xray`"
          : list
              .map(
                (d) =>
                  `${d.name}  ${d.adapter}  ${d.status}  ${d.studies} studies  fingerprint ${short(d.fingerprint)}  splits ${d.splits
                    .map((s) => `${s.name}:${s.studies}`)
                    .join(" ")}`,
              )
              .join("\n"),
      );
    });

  datasets
    .command("show")
    .description("one dataset: splits, fingerprints, section counts and the last ingest's skipped items")
    .argument("<name>")
    .option("--json", "print as JSON")
    .action(async (name: string, opts: { json?: boolean }) => {
      const shown = await withServices((services) => showDataset(services, name));
      output(opts.json, shown, () =>
        [
          `${shown.name} (${shown.adapter}, ${shown.sourcePath}): ${shown.status}, ${shown.studies} studies`,
          `  fingerprint ${shown.fingerprint ?? "-"}${shown.fingerprintVersion === 1 ? " (version 1, written before fingerprints covered pairing and sections: ingest again to update)" : ""}`,
          `  reports with findings ${shown.sections.findings}, impression ${shown.sections.impression}, both ${shown.sections.both}`,
          ...shown.splits.map(
            (s) =>
              `  split ${s.name}: ${s.studies} studies, ${s.images} images, fingerprint ${s.fingerprint ?? "-"}`,
          ),
          ...(shown.summary ? ["last ingest:", summaryText(shown.summary)] : []),
        ].join("\n"),
      );
    });

  datasets
    .command("pull")
    .description(`download a public dataset, verify, unpack and ingest it (${PULLABLE_DATASETS.join(", ")})`)
    .argument("<dataset>", "iu-xray")
    .option("--dir <dir>", "where to keep it (default: <CXR_DATA_DIR>/datasets/<dataset>)")
    .option(
      "--base-url <url>",
      "a mirror of the archives' folder (default: the public location; env CXR_<DATASET>_BASE_URL)",
    )
    .option("--sha256 <name=hex...>", "expected sha256 of an archive, e.g. NLMCXR_png.tgz=ab12...")
    .option("--name <name>", "dataset name in the database (default: the dataset's)")
    .option("--no-ingest", "download and unpack only")
    .option(
      "--local",
      "run here, in this process, even when REDIS_URL is set (default then: queue it for `cxr worker`, and follow it)",
    )
    .option("--json", "print the result as JSON")
    .action(
      async (
        datasetName: string,
        opts: {
          dir?: string;
          baseUrl?: string;
          sha256?: string[];
          name?: string;
          ingest: boolean;
          local?: boolean;
          json?: boolean;
        },
      ) => {
        const sha256: Record<string, string> = {};
        for (const pair of opts.sha256 ?? []) {
          const m = /^([^=]+)=([0-9a-fA-F]{64})$/.exec(pair);
          if (!m) throw new CliError(`--sha256 expects NAME=64 hex digits, got "${pair}"`);
          sha256[m[1]!] = m[2]!.toLowerCase();
        }
        const baseUrl = opts.baseUrl === undefined ? undefined : parseHttpUrl("--base-url", opts.baseUrl);
        const parameters = {
          dataset: datasetName,
          ...(opts.dir === undefined ? {} : { dir: opts.dir }),
          ...(baseUrl === undefined ? {} : { baseUrl }),
          sha256,
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ingest: opts.ingest,
        };
        // One bar per archive and phase, then one for the ingest; a bar is closed when the next opens.
        const bars = new Map<string, ReturnType<typeof createProgress>>();
        let open: ReturnType<typeof createProgress> | undefined;
        const tick = (label: string, unit: string, done: number, total: number | undefined) => {
          let bar = bars.get(label);
          if (!bar) {
            open?.done();
            bar = createProgress(label, { unit, total });
            bars.set(label, bar);
            open = bar;
          }
          bar.tick(done, total);
        };
        // A pull is one job: download, verify, unpack, ingest; Ctrl-C leaves it resumable.
        const pulled = await withServices(async (services) => {
          if (useQueue(services, opts.local)) {
            const job = await followQueuedJob(services, "dataset-pull", parameters, (p) =>
              tick(p.phase, p.unit, p.done, p.total ?? undefined),
            );
            return job.result as PulledDataset;
          }
          const { result } = await runJob<PulledDataset>(
            services,
            "dataset-pull",
            parameters,
            (e: DatasetPullJobEvent) =>
              e.step === "download"
                ? tick(
                    `${e.progress.phase} ${e.progress.file}`,
                    "bytes",
                    e.progress.received,
                    e.progress.total,
                  )
                : tick(
                    `ingest ${opts.name ?? datasetName}`,
                    "studies",
                    e.progress.processed,
                    e.progress.total,
                  ),
          );
          return result;
        });
        open?.done();
        const summary: IngestSummary | undefined = pulled.ingest ?? undefined;
        const dir = pulled.dir;
        output(opts.json, pulled, () =>
          [
            `${pulled.dataset} in ${dir} (${pulled.license})`,
            ...pulled.files.map(
              (f) =>
                `  ${f.name}: ${f.action}, ${f.bytes} bytes, sha256 ${f.sha256}${f.unpacked ? ", unpacked" : ""}`,
            ),
            ...(summary ? [summaryText(summary)] : ["  not ingested (--no-ingest)"]),
          ].join("\n"),
        );
      },
    );
}
