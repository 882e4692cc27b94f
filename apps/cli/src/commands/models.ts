import { parseHttpUrl } from "@cxr/config";
import {
  addModel,
  DEFAULT_HF_ENDPOINT,
  describeModel,
  listModels,
  type PullProgress as ModelPullProgress,
  type ModelRecord,
  modelSource,
  type PulledModel,
  pullInstructions,
  removeModel,
  verifyModel,
} from "@cxr/services";
import type { Command } from "commander";
import { output, withServices } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { runJob } from "../foreground.ts";
import { createProgress, type Progress } from "../progress.ts";

/**
 * `cxr models ...`: thin commands over @cxr/services' model registry. Exit codes: a bundle that
 * cannot be used, an unknown id or a duplicate -> 2 (one line naming the file and the field);
 * a registered model that fails `verify`, or a download that fails -> 1.
 */

const short = (hash: string) => hash.slice(0, 12);

function describe(model: ModelRecord): string {
  return `${model.id} ${model.version} (${model.name}): dimension ${model.dimension}, license ${model.license}, fingerprint ${short(model.fingerprint)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function registerModelCommands(program: Command): void {
  const models = program
    .command("models")
    .description("model bundles: add a folder, list, show the card, verify, remove, pull CLIP from the hub");

  models
    .command("add <dir>")
    .description(
      "check a bundle folder (manifest, every sha256, both ONNX graphs, self-test), copy it under CXR_MODELS_DIR and record it",
    )
    .option("--json", "print the result as JSON")
    .action(async (dir: string, opts: { json?: boolean }) => {
      const added = await withServices(async (services) =>
        addModel(await services.database(), services.config, dir),
      );
      const checks = added.check.selfTest.checks;
      output(opts.json, added, () =>
        [
          `added ${describe(added.model)}`,
          `  bundle     ${added.model.bundlePath}${added.copied ? " (copied)" : " (in place)"}`,
          `  self-test  ${checks.filter((c) => c.ok).length}/${checks.length} checks passed (image on ${added.check.providers.image}, text on ${added.check.providers.text})`,
        ].join("\n"),
      );
    });

  models
    .command("list")
    .description("the registered models")
    .option("--json", "print the models as JSON")
    .action(async (opts: { json?: boolean }) => {
      const list = await withServices(async (services) => listModels(await services.database()));
      output(opts.json, list, () =>
        list.length === 0
          ? "no models registered (add one with `cxr models add <dir>` or `cxr models pull clip-vit-b32`)"
          : table([
              ["ID", "VERSION", "DIM", "LICENSE", "VERIFIED", "FINGERPRINT", "NAME"],
              ...list.map((m) => [
                m.id,
                m.version,
                String(m.dimension),
                m.license,
                m.verifiedAt ? m.verifiedAt.toISOString().slice(0, 19).replace("T", " ") : "never",
                short(m.fingerprint),
                m.name,
              ]),
            ]),
      );
    });

  models
    .command("show <id>")
    .description(
      "a model's manifest summary and its model card (source, paper, license, intended use); the card of a known model that is not registered yet",
    )
    .option("--json", "print the details as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const found = await withServices(async (services) => describeModel(await services.database(), id));
      if (!found.registered) {
        output(opts.json, { registered: false, id: found.id, card: found.card, source: found.source }, () =>
          [
            `${found.id}: not registered here (${found.source?.pullable ? `\`cxr models pull ${found.id}\`` : `\`cxr models pull ${found.id}\` says where to get it`}); its model card:`,
            "",
            found.card,
          ].join("\n"),
        );
        return;
      }
      const details = found;
      const { model, summary, card } = details;
      output(
        opts.json,
        {
          registered: true,
          model,
          summary,
          card,
          ...(details.cardError ? { cardError: details.cardError } : {}),
        },
        () =>
          [
            describe(model),
            `  family       ${summary.family}`,
            `  bundle       ${model.bundlePath}`,
            `  added        ${model.addedAt.toISOString()}; verified ${model.verifiedAt?.toISOString() ?? "never"}`,
            ...Object.entries(summary.source).map(([k, v]) => `  source.${k.padEnd(7)}${v}`),
            `  image        ${summary.image.onnx}: ${summary.image.input} [${summary.image.shape.join(", ")}] -> ${summary.image.output}`,
            ...summary.image.preprocess.map((s, i) => `    ${i + 1}. ${s}`),
            `  text         ${summary.text.onnx}: ${Object.values(summary.text.inputs).join(", ")} (${summary.text.dtype}) -> ${summary.text.output}`,
            `  tokenizer    ${summary.text.tokenizer.file}: maxLength ${summary.text.tokenizer.maxLength}, truncation ${summary.text.tokenizer.truncation}, padding ${summary.text.tokenizer.padding} (id ${summary.text.tokenizer.padId})`,
            `  normalize    ${summary.normalize}`,
            "",
            card ?? `(model card unreadable: ${details.cardError})`,
          ].join("\n"),
      );
    });

  models
    .command("verify <id>")
    .description("re-check a registered model: every sha256, the fingerprint, both graphs and the self-test")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const verified = await withServices(async (services) =>
        verifyModel(await services.database(), services.config, id),
      );
      const checks = verified.check.selfTest.checks;
      output(opts.json, verified, () =>
        [
          `verified ${describe(verified.model)}`,
          `  files      ${verified.model.bundlePath}: every sha256 matches the manifest; fingerprint unchanged`,
          `  self-test  ${checks.filter((c) => c.ok).length}/${checks.length} checks passed (image on ${verified.check.providers.image}, text on ${verified.check.providers.text})`,
          ...checks.map((c) => `    ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`),
        ].join("\n"),
      );
    });

  models
    .command("remove <id>")
    .description(
      "forget a model (its index jobs, vector collections and benchmark entries go with it) and delete its copy under CXR_MODELS_DIR",
    )
    .option("--keep-files", "keep the bundle folder")
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { json?: boolean; keepFiles?: boolean }) => {
      const removed = await withServices(async (services) =>
        removeModel(await services.database(), services.config, id, {
          keepFiles: opts.keepFiles ?? false,
          store: services.store(),
        }),
      );
      output(opts.json, removed, () =>
        [
          removed.deletedFiles
            ? `removed ${removed.id} and deleted ${removed.bundlePath}`
            : `removed ${removed.id} (files kept at ${removed.bundlePath})`,
          ...removed.droppedCollections.map((c) => `dropped vector collection ${c}`),
        ].join("\n"),
      );
    });

  models
    .command("pull <id>")
    .description(
      "clip-vit-b32: download the ready ONNX export (Xenova/clip-vit-base-patch32) and add it; other ids: where to get the checkpoint and how to export it",
    )
    .option(
      "--endpoint <url>",
      `Hugging Face hub base URL (default: $CXR_HF_ENDPOINT or ${DEFAULT_HF_ENDPOINT})`,
    )
    .option("--json", "print the result as JSON")
    .action(async (id: string, opts: { json?: boolean; endpoint?: string }) => {
      const source = modelSource(id);
      if (source !== undefined && !source.pullable) {
        output(opts.json, source, () => pullInstructions(id) ?? "");
        throw new CliError(
          `${id}: no ready ONNX export to download: fetch the checkpoint and run the export command above`,
          EXIT.environment,
        );
      }
      const baseUrl = opts.endpoint === undefined ? undefined : parseHttpUrl("--endpoint", opts.endpoint);
      const bars = new Map<string, Progress>();
      // A job in this process (the bundle is written to this machine's models folder): its row and
      // progress; Ctrl-C leaves it resumable, and the same command goes on from the partial files.
      const pulled = await withServices(
        async (services) =>
          (
            await runJob<PulledModel>(
              services,
              "model-pull",
              { modelId: id, ...(baseUrl === undefined ? {} : { baseUrl }) },
              (p: ModelPullProgress) => {
                let bar = bars.get(p.file);
                if (!bar) {
                  bar = createProgress(`pull ${p.file} (${p.index}/${p.count})`, { unit: "bytes" });
                  bars.set(p.file, bar);
                }
                bar.tick(p.received, p.total);
              },
            )
          ).result,
      ).finally(() => {
        for (const bar of bars.values()) bar.done();
      });
      const checks = pulled.check.selfTest.checks;
      output(opts.json, pulled, () =>
        [
          `pulled ${describe(pulled.model)}`,
          `  from       ${pulled.source}`,
          ...pulled.downloads.map(
            (d) =>
              `  ${d.file.padEnd(24)} ${String(d.size).padStart(11)} bytes  sha256 ${short(d.sha256)}${d.announcedSha256 ? " (matches the hub's)" : ""}${d.cached ? " (from an earlier run)" : d.resumedFrom > 0 ? ` (resumed at byte ${d.resumedFrom})` : ""}`,
          ),
          `  bundle     ${pulled.model.bundlePath}`,
          `  self-test  ${checks.filter((c) => c.ok).length}/${checks.length} checks passed`,
        ].join("\n"),
      );
    });
}
