-- CreateTable
CREATE TABLE "LeaderboardBoard" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetName" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "datasetFingerprint" TEXT NOT NULL,
    "protocolVersion" TEXT NOT NULL,
    "protocolKey" TEXT NOT NULL,
    "paramsJson" TEXT NOT NULL,
    "queriesJson" TEXT NOT NULL,
    "datasetAccess" TEXT NOT NULL DEFAULT 'open',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_LeaderboardEntry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "boardId" TEXT NOT NULL,
    "modelName" TEXT NOT NULL,
    "modelFingerprint" TEXT NOT NULL,
    "license" TEXT NOT NULL,
    "inDomain" BOOLEAN NOT NULL DEFAULT false,
    "provenance" TEXT NOT NULL,
    "citation" TEXT,
    "runId" TEXT,
    "recordJson" TEXT NOT NULL,
    "metricsJson" TEXT NOT NULL,
    "checkJson" TEXT,
    "checkedAt" DATETIME,
    "supersededAt" DATETIME,
    "submissionId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LeaderboardEntry_boardId_fkey" FOREIGN KEY ("boardId") REFERENCES "LeaderboardBoard" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "LeaderboardEntry_submissionId_fkey" FOREIGN KEY ("submissionId") REFERENCES "Submission" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_LeaderboardEntry" ("createdAt", "id", "metricsJson", "modelFingerprint", "modelName", "runId", "submissionId") SELECT "createdAt", "id", "metricsJson", "modelFingerprint", "modelName", "runId", "submissionId" FROM "LeaderboardEntry";
DROP TABLE "LeaderboardEntry";
ALTER TABLE "new_LeaderboardEntry" RENAME TO "LeaderboardEntry";
CREATE INDEX "LeaderboardEntry_boardId_modelFingerprint_idx" ON "LeaderboardEntry"("boardId", "modelFingerprint");
CREATE TABLE "new_Submission" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "submitter" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'accepted',
    "reason" TEXT,
    "contentHash" TEXT NOT NULL,
    "payloadJson" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Submission" ("createdAt", "id", "payloadJson", "reason", "status", "submitter") SELECT "createdAt", "id", "payloadJson", "reason", "status", "submitter" FROM "Submission";
DROP TABLE "Submission";
ALTER TABLE "new_Submission" RENAME TO "Submission";
CREATE UNIQUE INDEX "Submission_contentHash_key" ON "Submission"("contentHash");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "LeaderboardBoard_datasetFingerprint_protocolKey_key" ON "LeaderboardBoard"("datasetFingerprint", "protocolKey");

