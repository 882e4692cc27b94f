-- CreateTable
CREATE TABLE "IndexShard" (
    "id" TEXT NOT NULL,
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
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "IndexShard_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "IndexShard_indexJobId_index_key" ON "IndexShard"("indexJobId", "index");

-- AddForeignKey
ALTER TABLE "IndexShard" ADD CONSTRAINT "IndexShard_indexJobId_fkey" FOREIGN KEY ("indexJobId") REFERENCES "IndexJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

