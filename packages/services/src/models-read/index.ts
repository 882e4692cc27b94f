import type { Database } from "@cxr/db";
import type { VectorStore } from "@cxr/store";
import { collectionAlias } from "../index-job/collections.ts";
import { MODALITIES, type Modality } from "../index-job/items.ts";

/**
 * Where a model is indexed: for each modality whose alias points at a collection, the completed
 * index job that wrote that collection (dataset, when) and how many points it holds now.
 */

export interface ModelIndex {
  modality: Modality;
  dataset: string;
  collection: string;
  points: number;
  completedAt: Date | null;
  /** The dataset changed since this index was built (its fingerprint differs). */
  stale: boolean;
}

export async function modelIndexes(
  db: Pick<Database, "prisma">,
  store: VectorStore,
  modelId: string,
): Promise<ModelIndex[]> {
  const out: ModelIndex[] = [];
  for (const modality of MODALITIES) {
    const collection = await store.resolveAlias(collectionAlias(modelId, modality));
    if (collection === null) continue;
    const jobs = await db.prisma.indexJob.findMany({
      where: { modelId, modality, collection, status: "completed" },
      include: { dataset: { select: { name: true, fingerprint: true } } },
      orderBy: { startedAt: "desc" },
    });
    const points = await store.count(collection);
    for (const job of jobs) {
      out.push({
        modality,
        dataset: job.dataset.name,
        collection,
        points,
        completedAt: job.finishedAt,
        stale: job.datasetFingerprint !== null && job.datasetFingerprint !== job.dataset.fingerprint,
      });
    }
  }
  return out;
}

export { bundlesPresent, modelProviders } from "./runtime.ts";
