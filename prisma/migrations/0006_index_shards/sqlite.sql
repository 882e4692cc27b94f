-- CreateTable
CREATE TABLE "IndexShard" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "indexJobId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "after" TEXT,
    "upTo" TEXT NOT NULL,
    "cursor" TEXT,
    "total" INTEGER NOT NULL DEFAULT 0,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "IndexShard_indexJobId_fkey" FOREIGN KEY ("indexJobId") REFERENCES "IndexJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "IndexShard_indexJobId_index_key" ON "IndexShard"("indexJobId", "index");

