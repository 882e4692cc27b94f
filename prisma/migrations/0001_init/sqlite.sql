-- CreateTable
CREATE TABLE "Dataset" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "adapter" TEXT NOT NULL,
    "sourcePath" TEXT NOT NULL,
    "fingerprint" TEXT,
    "status" TEXT NOT NULL DEFAULT 'ingesting',
    "summaryJson" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Split" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "fingerprint" TEXT,
    "studyCount" INTEGER NOT NULL DEFAULT 0,
    "imageCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Split_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Study" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "datasetId" TEXT NOT NULL,
    "splitId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "patientId" TEXT,
    "labelsJson" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Study_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Study_splitId_fkey" FOREIGN KEY ("splitId") REFERENCES "Split" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "studyId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "view" TEXT,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    CONSTRAINT "Image_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Report" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "studyId" TEXT NOT NULL,
    "fullText" TEXT NOT NULL,
    "findings" TEXT,
    "impression" TEXT,
    "sha256" TEXT NOT NULL,
    CONSTRAINT "Report_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Model" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "bundlePath" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "dimension" INTEGER NOT NULL,
    "license" TEXT NOT NULL,
    "manifestJson" TEXT NOT NULL,
    "addedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "verifiedAt" DATETIME
);

-- CreateTable
CREATE TABLE "IndexJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelId" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "modality" TEXT NOT NULL,
    "collection" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "cursor" TEXT,
    "total" INTEGER NOT NULL DEFAULT 0,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    CONSTRAINT "IndexJob_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "IndexJob_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BenchmarkRun" (
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
    CONSTRAINT "BenchmarkRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BenchmarkRunModel" (
    "runId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "modelFingerprint" TEXT NOT NULL,

    PRIMARY KEY ("runId", "modelId"),
    CONSTRAINT "BenchmarkRunModel_runId_fkey" FOREIGN KEY ("runId") REFERENCES "BenchmarkRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "BenchmarkRunModel_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BenchmarkQuery" (
    "runId" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "direction" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,

    PRIMARY KEY ("runId", "direction", "ordinal"),
    CONSTRAINT "BenchmarkQuery_runId_fkey" FOREIGN KEY ("runId") REFERENCES "BenchmarkRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BenchmarkResult" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "corruption" TEXT NOT NULL,
    "level" REAL NOT NULL,
    "direction" TEXT NOT NULL,
    "queries" INTEGER NOT NULL,
    "recallAt1" REAL NOT NULL,
    "recallAt5" REAL NOT NULL,
    "recallAt10" REAL NOT NULL,
    "mrr" REAL NOT NULL,
    "medianRank" REAL NOT NULL,
    "meanRank" REAL NOT NULL,
    "metricsJson" TEXT NOT NULL,
    "ranks" BLOB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "BenchmarkResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "BenchmarkRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LeaderboardEntry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelName" TEXT NOT NULL,
    "modelFingerprint" TEXT NOT NULL,
    "datasetName" TEXT NOT NULL,
    "datasetFingerprint" TEXT NOT NULL,
    "protocolVersion" TEXT NOT NULL,
    "protocolKey" TEXT NOT NULL,
    "paramsJson" TEXT NOT NULL,
    "metricsJson" TEXT NOT NULL,
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "runId" TEXT,
    "submissionId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LeaderboardEntry_submissionId_fkey" FOREIGN KEY ("submissionId") REFERENCES "Submission" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Submission" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "submitter" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'received',
    "reason" TEXT,
    "payloadJson" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "Dataset_name_key" ON "Dataset"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Split_datasetId_name_key" ON "Split"("datasetId", "name");

-- CreateIndex
CREATE INDEX "Study_splitId_idx" ON "Study"("splitId");

-- CreateIndex
CREATE UNIQUE INDEX "Study_datasetId_externalId_key" ON "Study"("datasetId", "externalId");

-- CreateIndex
CREATE INDEX "Image_sha256_idx" ON "Image"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "Image_studyId_externalId_key" ON "Image"("studyId", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "Report_studyId_key" ON "Report"("studyId");

-- CreateIndex
CREATE INDEX "IndexJob_modelId_datasetId_modality_status_idx" ON "IndexJob"("modelId", "datasetId", "modality", "status");

-- CreateIndex
CREATE UNIQUE INDEX "BenchmarkResult_runId_modelId_corruption_level_direction_key" ON "BenchmarkResult"("runId", "modelId", "corruption", "level", "direction");

-- CreateIndex
CREATE UNIQUE INDEX "LeaderboardEntry_submissionId_key" ON "LeaderboardEntry"("submissionId");

-- CreateIndex
CREATE INDEX "LeaderboardEntry_protocolKey_idx" ON "LeaderboardEntry"("protocolKey");

-- CreateIndex
CREATE UNIQUE INDEX "LeaderboardEntry_modelFingerprint_datasetFingerprint_protocolKey_key" ON "LeaderboardEntry"("modelFingerprint", "datasetFingerprint", "protocolKey");

