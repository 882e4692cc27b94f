import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { printMergedSchema } from "../src/schema.ts";

it("the checked-in schema.graphql is the schema the code serves (run `pnpm --filter @cxr/api schema:write`)", () => {
  const file = fileURLToPath(new URL("../schema.graphql", import.meta.url));
  expect(readFileSync(file, "utf8")).toBe(printMergedSchema());
});
