#!/usr/bin/env -S npx tsx
import { Command, CommanderError } from "commander";
import { argumentLimitViolation } from "./argument-limit.ts";
import { registerBenchCommands } from "./commands/bench.ts";
import { registerCacheCommands } from "./commands/cache.ts";
import { registerDatasetCommands } from "./commands/datasets.ts";
import { registerDbCommands } from "./commands/db.ts";
import { registerDoctorCommand } from "./commands/doctor.ts";
import { registerIndexSearchCommands } from "./commands/index-search.ts";
import { registerJobCommands } from "./commands/jobs.ts";
import { registerLeaderboardCommands } from "./commands/leaderboard.ts";
import { registerMigrateStoreCommand } from "./commands/migrate-store.ts";
import { registerModelCommands } from "./commands/models.ts";
import { registerParityCommand } from "./commands/parity.ts";
import { registerServeCommand } from "./commands/serve.ts";
import { registerTokenCommands } from "./commands/tokens.ts";
import { registerWorkerCommand } from "./commands/worker.ts";
import { config } from "./context.ts";
import { EXIT, failureText } from "./errors.ts";
import { interruptJob } from "./foreground.ts";

const program = new Command()
  .name("cxr")
  .description("cxr-retrieval: cross-modal retrieval of chest X-rays and reports, and a robustness benchmark")
  .option("--verbose", "print stack traces and debug detail")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride()
  // Validate the configuration once, before any command runs, but not for --help.
  .hook("preAction", () => {
    config();
  });

registerDbCommands(program);
registerDoctorCommand(program);
registerIndexSearchCommands(program);
registerModelCommands(program);
registerDatasetCommands(program);
registerParityCommand(program);
registerBenchCommands(program);
registerLeaderboardCommands(program);
registerCacheCommands(program);
registerServeCommand(program);
registerJobCommands(program);
registerMigrateStoreCommand(program);
registerTokenCommands(program);
registerWorkerCommand(program);

/** One clear line per failure; the stack's frames only with --verbose. */
function fail(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed the message (or the help/version text).
    return error.exitCode === 0 ? EXIT.ok : EXIT.environment;
  }
  const { code, text } = failureText(error, process.argv.includes("--verbose"));
  process.stderr.write(text);
  return code;
}

// Ctrl-C: a running job stops at its next safe point and is left resumable (foreground.ts);
// anything else, or a second Ctrl-C, exits at once.
process.on("SIGINT", () => {
  if (!interruptJob()) process.exit(EXIT.interrupted);
});

// Before any command runs, so before any ONNX session opens (argument-limit.ts says why).
const overLimit = argumentLimitViolation(process.argv.slice(2));
if (overLimit !== null) {
  process.stderr.write(`cxr: ${overLimit}\n`);
  process.exit(EXIT.environment);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = fail(error);
}
