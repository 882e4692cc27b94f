import type { CodegenConfig } from "@graphql-codegen/cli";

// The typed client: every operation the web UI sends (src/operations.graphql) checked against the
// API's schema, written to src/generated/ (committed; test/fresh.test.ts fails when it is stale).
const config: CodegenConfig = {
  schema: "../../apps/api/schema.graphql",
  documents: ["src/operations.graphql"],
  generates: {
    "src/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        documentMode: "string",
        enumsAsTypes: true,
        scalars: { ID: "string" },
      },
    },
  },
  silent: true,
};
export default config;
