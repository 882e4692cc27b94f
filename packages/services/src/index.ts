// Use cases shared by the CLI and the API (README.md). One folder per domain.

// A developer tool, not a use case: `cxr parity` checks our tokenizers and preprocessing against
// the reference implementations' outputs. Re-exported so faces need no import below services.
export { formatParity, ParityReferenceError, type ParityReport, runParity } from "@cxr/encoders";
// The benchmark's protocol vocabulary and record shapes, as faces parse, print and serve them.
export {
  CORRUPTION_FAMILIES,
  type CorruptionFamily,
  DIRECTIONS,
  type Direction,
  OCCLUSION_FILLS,
  OCCLUSION_PATTERNS,
  type ResultRecord,
  type SummaryRecord,
  VIEWS,
} from "@cxr/eval";
export * from "./bench/index.ts";
export * from "./context/index.ts";
export * from "./datasets/index.ts";
// Read side and uploads for the API (the CLI may use them too).
export * from "./datasets-read/index.ts";
export * from "./errors/index.ts";
export * from "./health/index.ts";
export * from "./images-read/index.ts";
export * from "./index-job/index.ts";
export * from "./jobs/index.ts";
export * from "./leaderboard/index.ts";
export * from "./migrate-store/index.ts";
export * from "./models/index.ts";
export * from "./models-read/index.ts";
export * from "./search/index.ts";
export * from "./tokens/index.ts";
export * from "./uploads/index.ts";
