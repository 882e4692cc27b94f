import type { CodegenConfig } from "@graphql-codegen/cli";

// The typed client, checked against the API's schema and written under src/ (committed;
// test/fresh.test.ts fails when it is stale):
// - src/generated/: every operation the web UI sends (src/operations.graphql);
// - src/testing/generated/: the operations the API's end-to-end tests send
//   (src/testing/operations.graphql), exported as @cxr/api-client/testing so that the web's client
//   does not carry them.
const output = {
  preset: "client" as const,
  presetConfig: { fragmentMasking: false },
  config: {
    useTypeImports: true,
    documentMode: "string",
    enumsAsTypes: true,
    scalars: { ID: "string" },
  },
};

const config: CodegenConfig = {
  schema: "../../apps/api/schema.graphql",
  generates: {
    "src/generated/": { ...output, documents: ["src/operations.graphql"] },
    "src/testing/generated/": { ...output, documents: ["src/testing/operations.graphql"] },
  },
  silent: true,
};
export default config;
