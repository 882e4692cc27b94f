-- DropIndex
DROP INDEX "LeaderboardEntry_submissionId_key";

-- DropIndex
DROP INDEX "LeaderboardEntry_protocolKey_idx";

-- DropIndex
DROP INDEX "LeaderboardEntry_modelFingerprint_datasetFingerprint_protoc_key";

-- AlterTable
ALTER TABLE "LeaderboardEntry" DROP COLUMN "datasetFingerprint",
DROP COLUMN "datasetName",
DROP COLUMN "paramsJson",
DROP COLUMN "protocolKey",
DROP COLUMN "protocolVersion",
DROP COLUMN "verified",
ADD COLUMN     "boardId" TEXT NOT NULL,
ADD COLUMN     "checkJson" TEXT,
ADD COLUMN     "checkedAt" TIMESTAMP(3),
ADD COLUMN     "citation" TEXT,
ADD COLUMN     "inDomain" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "license" TEXT NOT NULL,
ADD COLUMN     "provenance" TEXT NOT NULL,
ADD COLUMN     "recordJson" TEXT NOT NULL,
ADD COLUMN     "supersededAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Submission" ADD COLUMN     "contentHash" TEXT NOT NULL,
ALTER COLUMN "status" SET DEFAULT 'accepted';

-- CreateTable
CREATE TABLE "LeaderboardBoard" (
    "id" TEXT NOT NULL,
    "datasetName" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "datasetFingerprint" TEXT NOT NULL,
    "protocolVersion" TEXT NOT NULL,
    "protocolKey" TEXT NOT NULL,
    "paramsJson" TEXT NOT NULL,
    "queriesJson" TEXT NOT NULL,
    "datasetAccess" TEXT NOT NULL DEFAULT 'open',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LeaderboardBoard_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "LeaderboardBoard_datasetFingerprint_protocolKey_key" ON "LeaderboardBoard"("datasetFingerprint", "protocolKey");

-- CreateIndex
CREATE INDEX "LeaderboardEntry_boardId_modelFingerprint_idx" ON "LeaderboardEntry"("boardId", "modelFingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "Submission_contentHash_key" ON "Submission"("contentHash");

-- AddForeignKey
ALTER TABLE "LeaderboardEntry" ADD CONSTRAINT "LeaderboardEntry_boardId_fkey" FOREIGN KEY ("boardId") REFERENCES "LeaderboardBoard"("id") ON DELETE CASCADE ON UPDATE CASCADE;

