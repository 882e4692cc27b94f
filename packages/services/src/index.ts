// Use cases shared by the CLI and the API (README.md). One folder per domain.

export * from "./bench/index.ts";
// Read side and uploads for the API (the CLI may use them too).
export * from "./datasets-read/index.ts";
export * from "./images-read/index.ts";
export * from "./index-job/index.ts";
export * from "./models/index.ts";
export * from "./models-read/index.ts";
export * from "./search/index.ts";
export * from "./uploads/index.ts";
