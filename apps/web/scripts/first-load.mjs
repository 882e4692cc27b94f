#!/usr/bin/env node
// First-load JavaScript per page of the production build (.next, from `next build`): the root
// chunks every page loads plus the chunks of the page's own client entries (layout, page, error
// and not-found boundaries), gzip-compressed as served. Prints a table; exits 1 when a page is over
// its budget (apps/web/README.md, "Budget"). Usage: node apps/web/scripts/first-load.mjs [--json]
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { gzipSync } from "node:zlib";

const web = path.resolve(import.meta.dirname, "..");
const next = path.join(web, ".next");
/** kB (1000 bytes) gzip, per page; the README states the same numbers. */
export const BUDGET_KB = { default: 150, "/": 185, "/runs/[id]": 175 };

if (!existsSync(path.join(next, "BUILD_ID"))) {
  console.error("no production build: run `pnpm --filter @cxr/web build` first");
  process.exit(2);
}
const appDir = path.join(next, "server", "app");
const pages = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (name === "page_client-reference-manifest.js") pages.push(full);
  }
})(appDir);

const gz = new Map();
const size = (file) => {
  if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(path.join(next, file))).length);
  return gz.get(file);
};

const rows = [];
for (const manifestFile of pages) {
  const route = `/${path.relative(appDir, path.dirname(manifestFile))}`.replace(/\/$/, "") || "/";
  if (route.startsWith("/_")) continue;
  const sandbox = { globalThis: {} };
  vm.runInNewContext(readFileSync(manifestFile, "utf8"), sandbox);
  const manifest = Object.values(sandbox.globalThis.__RSC_MANIFEST)[0];
  const build = JSON.parse(
    readFileSync(path.join(path.dirname(manifestFile), "page", "build-manifest.json"), "utf8"),
  );
  const files = new Set(build.rootMainFiles);
  for (const list of Object.values(manifest.entryJSFiles ?? {})) for (const f of list) files.add(f);
  const bytes = [...files].reduce((sum, f) => sum + size(f), 0);
  const budget = BUDGET_KB[route] ?? BUDGET_KB.default;
  rows.push({
    route,
    kB: Math.round(bytes / 100) / 10,
    budget,
    files: files.size,
    over: bytes / 1000 > budget,
  });
}
rows.sort((a, b) => a.route.localeCompare(b.route));
if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
else {
  console.log("first-load JS per page (gzip, kB):");
  for (const r of rows) {
    console.log(
      `  ${r.route.padEnd(20)} ${String(r.kB).padStart(7)} / ${r.budget}${r.over ? "  OVER BUDGET" : ""}`,
    );
  }
}
process.exit(rows.some((r) => r.over) ? 1 : 0);
