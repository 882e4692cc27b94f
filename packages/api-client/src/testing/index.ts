// The documents the API's end-to-end tests send (apps/api/test), typed against the schema.
export * from "./generated/graphql.ts";
