import type { Database } from "@cxr/db";
import { LeaderboardError } from "./errors.ts";

/** A stored submission as faces show it: who, which record file (its hash), when; never its content. */
export interface SubmissionSummary {
  id: string;
  submitter: string | null;
  contentHash: string;
  createdAt: Date;
}

const SUMMARY = { id: true, submitter: true, contentHash: true, createdAt: true } as const;

/** Every submission, newest first (ties by id). */
export function listSubmissions(db: Pick<Database, "prisma">): Promise<SubmissionSummary[]> {
  return db.prisma.submission.findMany({ orderBy: [{ createdAt: "desc" }, { id: "asc" }], select: SUMMARY });
}

/** One submission; UNKNOWN_SUBMISSION (not-found) when there is none with this id. */
export async function getSubmission(db: Pick<Database, "prisma">, id: string): Promise<SubmissionSummary> {
  const row = await db.prisma.submission.findUnique({ where: { id }, select: SUMMARY });
  if (row === null) throw new LeaderboardError("UNKNOWN_SUBMISSION", `no submission "${id}"`);
  return row;
}

/** The ids of the leaderboard entries a submission created. */
export async function submissionEntryIds(
  db: Pick<Database, "prisma">,
  submissionId: string,
): Promise<string[]> {
  const rows = await db.prisma.leaderboardEntry.findMany({ where: { submissionId }, select: { id: true } });
  return rows.map((r) => r.id);
}
