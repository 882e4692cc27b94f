import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generate } from "@graphql-codegen/cli";
import { afterAll, expect, it } from "vitest";
import config from "../codegen.ts";

/** The committed client must be what codegen writes today from the API's schema and our operations. */

const root = path.resolve(import.meta.dirname, "..");
const out = mkdtempSync(path.join(tmpdir(), "cxr-api-client-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it.each(Object.keys(config.generates))(
  "the generated client in %s matches apps/api/schema.graphql and its operations",
  async (target) => {
    const scratch = path.join(out, target.replaceAll("/", "_"), "/");
    const cwd = process.cwd();
    process.chdir(root);
    let files: { filename: string; content: string }[];
    try {
      files = await generate({ ...config, generates: { [scratch]: config.generates[target]! } }, false);
    } finally {
      process.chdir(cwd);
    }
    const committed = path.join(root, target);
    const names = files.map((f) => path.basename(f.filename)).sort();
    expect(names).toEqual(readdirSync(committed).sort());
    for (const file of files) {
      const current = readFileSync(path.join(committed, path.basename(file.filename)), "utf8");
      if (current !== file.content)
        writeFileSync(path.join(scratch, path.basename(file.filename)), file.content);
      expect(
        current,
        `${target}${path.basename(file.filename)} is stale: run pnpm --filter @cxr/api-client generate`,
      ).toBe(file.content);
    }
  },
);
