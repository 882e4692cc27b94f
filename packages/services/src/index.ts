// Use cases shared by the CLI and the API (README.md). One folder per domain.

export * from "./bench/index.ts";
export * from "./errors/index.ts";
export * from "./index-job/index.ts";
export * from "./models/index.ts";
export * from "./search/index.ts";
