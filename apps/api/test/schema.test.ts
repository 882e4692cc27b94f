import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildSchema, lexicographicSortSchema, printSchema } from "graphql/index.js";
import { expect, it } from "vitest";
import { printMergedSchema } from "../src/schema.ts";

it("the checked-in schema.graphql is the schema the code serves (run `pnpm --filter @cxr/api schema:write`)", () => {
  const file = fileURLToPath(new URL("../schema.graphql", import.meta.url));
  // compared as schemas, not as text: the workspace formatter may lay the file out differently
  const checkedIn = `${printSchema(lexicographicSortSchema(buildSchema(readFileSync(file, "utf8"))))}\n`;
  expect(checkedIn).toBe(printMergedSchema());
});
