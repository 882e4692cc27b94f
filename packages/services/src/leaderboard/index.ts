export * from "./board.ts";
export { checkSafeName, checkSubmission, DEFAULT_SUBMISSION_BYTES } from "./check.ts";
export { isLeaderboardError, LeaderboardError, type LeaderboardErrorCode } from "./errors.ts";
export { exportView, neutraliseCell } from "./export.ts";
export { type RankedEntry, type RankedInput, type RankingOptions, rankWithUncertainty } from "./ranking.ts";
export { verifyEntry } from "./verify.ts";
