import { existsSync } from "node:fs";
import path from "node:path";
import { formatParity, runParity } from "@cxr/services";
import type { Command } from "commander";
import { output } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";

/**
 * `cxr parity --reference <dir> [--json]`: tokenizer and image-preprocessing parity against the
 * shared reference vectors (issue 3). Exits 1 when a goal is missed, 2 when the folder is unusable.
 */
export function registerParityCommand(program: Command): void {
  program
    .command("parity")
    .description(
      "check tokenizers (ids, truncation, padding, masks) and image preprocessing against the reference vectors; exits 1 when a goal is missed",
    )
    .requiredOption("--reference <dir>", "the reference data folder (tokenizers/, vectors/)")
    .option("--json", "print the full report as JSON")
    .option("--extras", "also report variants that are not goals (cxr_repair_antialias)")
    .action(async (opts: { reference: string; json?: boolean; extras?: boolean }) => {
      const dir = path.resolve(opts.reference);
      if (!existsSync(dir))
        throw new CliError(`--reference ${opts.reference}: no such folder`, EXIT.environment);
      const report = await runParity(dir, { extras: opts.extras ?? false });
      output(opts.json, report, () => formatParity(report));
      if (!report.ok) process.exitCode = EXIT.failed;
    });
}
