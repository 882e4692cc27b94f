#!/usr/bin/env node
// The whole test suite, as the README and CI run it: lint and format check, type check, migration
// drift check, then every test. Ends with one plain summary line ("N passed, N failed, N skipped").
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const durations = [];
function step(title, cmd, args) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(" ")}`);
  const started = performance.now();
  const result = spawnSync(cmd, args, { stdio: "inherit" });
  durations.push([title, (performance.now() - started) / 1000]);
  return result.status ?? 1;
}

const failures = [];
for (const [title, args] of [
  ["lint", ["exec", "biome", "check", "."]],
  ["typecheck", ["exec", "tsc", "-p", "tsconfig.json"]],
  ["migrations", ["db:check"]],
]) {
  if (step(title, "pnpm", args) !== 0) failures.push(title);
}

const dir = mkdtempSync(path.join(tmpdir(), "cxr-vitest-"));
const report = path.join(dir, "report.json");
const status = step("tests", "pnpm", [
  "exec",
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed = json.numPassedTests;
  failed = json.numFailedTests;
  skipped = json.numPendingTests + json.numTodoTests;
} catch {
  failed += 1;
}
rmSync(dir, { recursive: true, force: true });
if (status !== 0) failures.push("tests");
// Printed so that a run creeping towards CI's budget is noticed before it fails on time.
console.log(`\ndurations: ${durations.map(([t, s]) => `${t} ${s.toFixed(0)} s`).join(", ")}`);
if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(", ")}`);
console.log(
  `\n${passed} passed, ${failed + (failures.length > 0 && failed === 0 ? 1 : 0)} failed, ${skipped} skipped`,
);
process.exit(failures.length > 0 ? 1 : 0);
