-- CreateTable
CREATE TABLE "Job" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "parametersJson" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "progressJson" TEXT,
    "resultJson" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "owner" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_IndexJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelId" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "modality" TEXT NOT NULL,
    "collection" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "datasetFingerprint" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "cursor" TEXT,
    "total" INTEGER NOT NULL DEFAULT 0,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    "jobId" TEXT,
    CONSTRAINT "IndexJob_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "IndexJob_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "IndexJob_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_IndexJob" ("alias", "collection", "cursor", "datasetFingerprint", "datasetId", "error", "failed", "finishedAt", "id", "modality", "modelId", "processed", "startedAt", "status", "total", "updatedAt") SELECT "alias", "collection", "cursor", "datasetFingerprint", "datasetId", "error", "failed", "finishedAt", "id", "modality", "modelId", "processed", "startedAt", "status", "total", "updatedAt" FROM "IndexJob";
DROP TABLE "IndexJob";
ALTER TABLE "new_IndexJob" RENAME TO "IndexJob";
CREATE INDEX "IndexJob_modelId_datasetId_modality_status_idx" ON "IndexJob"("modelId", "datasetId", "modality", "status");
CREATE TABLE "new_BenchmarkRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "protocolVersion" TEXT NOT NULL,
    "paramsJson" TEXT NOT NULL,
    "protocolKey" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "datasetFingerprint" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "softwareVersion" TEXT NOT NULL,
    "executionProvider" TEXT,
    "hardware" TEXT,
    "countsJson" TEXT,
    "outputDir" TEXT,
    "error" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "jobId" TEXT,
    CONSTRAINT "BenchmarkRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "BenchmarkRun_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_BenchmarkRun" ("countsJson", "datasetFingerprint", "datasetId", "error", "executionProvider", "finishedAt", "hardware", "id", "outputDir", "paramsJson", "protocolKey", "protocolVersion", "softwareVersion", "split", "startedAt", "status") SELECT "countsJson", "datasetFingerprint", "datasetId", "error", "executionProvider", "finishedAt", "hardware", "id", "outputDir", "paramsJson", "protocolKey", "protocolVersion", "softwareVersion", "split", "startedAt", "status" FROM "BenchmarkRun";
DROP TABLE "BenchmarkRun";
ALTER TABLE "new_BenchmarkRun" RENAME TO "BenchmarkRun";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Job_key_status_idx" ON "Job"("key", "status");

-- CreateIndex
CREATE INDEX "Job_status_createdAt_idx" ON "Job"("status", "createdAt");

