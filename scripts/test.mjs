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
  ["typecheck web", ["exec", "tsc", "-p", "apps/web/tsconfig.json"]],
  ["migrations", ["db:check"]],
]) {
  if (step(title, "pnpm", args) !== 0) failures.push(title);
}

// Each tier is its own vitest run, so that its duration is printed and a slow tier is seen.
const dir = mkdtempSync(path.join(tmpdir(), "cxr-vitest-"));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const tier of ["unit", "integration", "e2e"]) {
  const report = path.join(dir, `${tier}.json`);
  const status = step(`tests (${tier})`, "pnpm", [
    "exec",
    "vitest",
    "run",
    "--project",
    tier,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ]);
  try {
    const json = JSON.parse(readFileSync(report, "utf8"));
    passed += json.numPassedTests;
    failed += json.numFailedTests;
    skipped += json.numPendingTests + json.numTodoTests;
    // A tier that ran no test is a broken configuration, not a pass.
    if (json.numTotalTests === 0) failures.push(`tests (${tier}): no test ran`);
  } catch {
    failed += 1;
  }
  if (status !== 0) failures.push(`tests (${tier})`);
}
rmSync(dir, { recursive: true, force: true });
// Printed so that a run creeping towards CI's budget is noticed before it fails on time.
console.log(`\ndurations: ${durations.map(([t, s]) => `${t} ${s.toFixed(0)} s`).join(", ")}`);
if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(", ")}`);
console.log(
  `\n${passed} passed, ${failed + (failures.length > 0 && failed === 0 ? 1 : 0)} failed, ${skipped} skipped`,
);
process.exit(failures.length > 0 ? 1 : 0);
