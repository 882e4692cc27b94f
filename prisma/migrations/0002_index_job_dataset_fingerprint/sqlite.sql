-- AlterTable
ALTER TABLE "IndexJob" ADD COLUMN "datasetFingerprint" TEXT;

