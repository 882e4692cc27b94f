export * from "./board.ts";
export {
  checkClaims,
  checkSafeName,
  checkSubmission,
  DEFAULT_SUBMISSION_BYTES,
  readSubmission,
} from "./check.ts";
export { isLeaderboardError, LeaderboardError, type LeaderboardErrorCode } from "./errors.ts";
export { exportView, neutraliseCell } from "./export.ts";
export { type RankedEntry, type RankedInput, type RankingOptions, rankWithUncertainty } from "./ranking.ts";
export {
  getSubmission,
  listSubmissions,
  type SubmissionSummary,
  submissionEntryIds,
} from "./submissions.ts";
export {
  finishVerification,
  planVerification,
  type VerificationPlan,
  verifyEntry,
} from "./verify.ts";
