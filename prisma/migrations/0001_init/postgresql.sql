-- CreateTable
CREATE TABLE "Dataset" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "adapter" TEXT NOT NULL,
    "sourcePath" TEXT NOT NULL,
    "fingerprint" TEXT,
    "status" TEXT NOT NULL DEFAULT 'ingesting',
    "summaryJson" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Split" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "fingerprint" TEXT,
    "studyCount" INTEGER NOT NULL DEFAULT 0,
    "imageCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Split_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Study" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "splitId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "patientId" TEXT,
    "labelsJson" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Study_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "view" TEXT,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,

    CONSTRAINT "Image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Report" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "fullText" TEXT NOT NULL,
    "findings" TEXT,
    "impression" TEXT,
    "sha256" TEXT NOT NULL,

    CONSTRAINT "Report_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Model" (
    "id" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "bundlePath" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "dimension" INTEGER NOT NULL,
    "license" TEXT NOT NULL,
    "manifestJson" TEXT NOT NULL,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "verifiedAt" TIMESTAMP(3),

    CONSTRAINT "Model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IndexJob" (
    "id" TEXT NOT NULL,
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
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "IndexJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BenchmarkRun" (
    "id" TEXT NOT NULL,
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
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "BenchmarkRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BenchmarkRunModel" (
    "runId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "modelFingerprint" TEXT NOT NULL,

    CONSTRAINT "BenchmarkRunModel_pkey" PRIMARY KEY ("runId","modelId")
);

-- CreateTable
CREATE TABLE "BenchmarkQuery" (
    "runId" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "direction" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,

    CONSTRAINT "BenchmarkQuery_pkey" PRIMARY KEY ("runId","direction","ordinal")
);

-- CreateTable
CREATE TABLE "BenchmarkResult" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "corruption" TEXT NOT NULL,
    "level" DOUBLE PRECISION NOT NULL,
    "direction" TEXT NOT NULL,
    "queries" INTEGER NOT NULL,
    "recallAt1" DOUBLE PRECISION NOT NULL,
    "recallAt5" DOUBLE PRECISION NOT NULL,
    "recallAt10" DOUBLE PRECISION NOT NULL,
    "mrr" DOUBLE PRECISION NOT NULL,
    "medianRank" DOUBLE PRECISION NOT NULL,
    "meanRank" DOUBLE PRECISION NOT NULL,
    "metricsJson" TEXT NOT NULL,
    "ranks" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BenchmarkResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeaderboardEntry" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LeaderboardEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Submission" (
    "id" TEXT NOT NULL,
    "submitter" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'received',
    "reason" TEXT,
    "payloadJson" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Submission_pkey" PRIMARY KEY ("id")
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
CREATE UNIQUE INDEX "LeaderboardEntry_modelFingerprint_datasetFingerprint_protoc_key" ON "LeaderboardEntry"("modelFingerprint", "datasetFingerprint", "protocolKey");

-- AddForeignKey
ALTER TABLE "Split" ADD CONSTRAINT "Split_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Study" ADD CONSTRAINT "Study_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Study" ADD CONSTRAINT "Study_splitId_fkey" FOREIGN KEY ("splitId") REFERENCES "Split"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Image" ADD CONSTRAINT "Image_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Report" ADD CONSTRAINT "Report_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IndexJob" ADD CONSTRAINT "IndexJob_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IndexJob" ADD CONSTRAINT "IndexJob_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkRun" ADD CONSTRAINT "BenchmarkRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkRunModel" ADD CONSTRAINT "BenchmarkRunModel_runId_fkey" FOREIGN KEY ("runId") REFERENCES "BenchmarkRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkRunModel" ADD CONSTRAINT "BenchmarkRunModel_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkQuery" ADD CONSTRAINT "BenchmarkQuery_runId_fkey" FOREIGN KEY ("runId") REFERENCES "BenchmarkRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkResult" ADD CONSTRAINT "BenchmarkResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "BenchmarkRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaderboardEntry" ADD CONSTRAINT "LeaderboardEntry_submissionId_fkey" FOREIGN KEY ("submissionId") REFERENCES "Submission"("id") ON DELETE SET NULL ON UPDATE CASCADE;

