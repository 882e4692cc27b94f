// Writes the merged schema to apps/api/schema.graphql (run after changing a module's typeDefs;
// test/schema.test.ts fails while the file and the code differ).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printMergedSchema } from "../src/schema.ts";

const file = fileURLToPath(new URL("../schema.graphql", import.meta.url));
writeFileSync(file, printMergedSchema());
console.log(`wrote ${file}`);
