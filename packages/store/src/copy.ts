import type { AliasInfo, VectorStore } from "./types.ts";

/**
 * Copies every collection (dimension, distance, indexed fields, every point with its payload) and
 * every alias from one store to another through the VectorStore interface: in practice the
 * embedded store of a single-user install moving to Qdrant. Points keep their ids, so the target
 * upserts replace rather than add: a second run, or a run after an interruption, leaves exactly one
 * point per source point.
 */

export interface CollectionCopy {
  collection: string;
  /** Points in the source collection. */
  points: number;
  /** Points in the target collection after the copy. */
  copied: number;
}

export interface CopyCollectionsResult {
  collections: CollectionCopy[];
  aliases: AliasInfo[];
}

export interface CopyCollectionsOptions {
  /** Points read per scroll page and written per upsert call (default 512). */
  pageSize?: number;
  /** Called after each page (collection, points copied so far, points in the collection). */
  onProgress?: (collection: string, done: number, total: number) => void;
}

export async function copyCollections(
  source: VectorStore,
  target: VectorStore,
  options: CopyCollectionsOptions = {},
): Promise<CopyCollectionsResult> {
  const pageSize = options.pageSize ?? 512;
  const collections: CollectionCopy[] = [];
  for (const name of await source.listCollections()) {
    const info = await source.getCollection(name);
    await target.ensureCollection(name, {
      dimension: info.dimension,
      distance: info.distance,
      indexedFields: info.indexedFields,
    });
    const total = await source.count(name);
    let cursor: string | null = null;
    let done = 0;
    do {
      const page = await source.scroll(name, { cursor, limit: pageSize, withVector: true });
      if (page.points.length > 0) {
        await target.upsert(
          name,
          page.points.map((p) => {
            if (p.vector === undefined) throw new Error(`${source.location} returned no vector for ${p.id}`);
            return { id: p.id, vector: p.vector, payload: p.payload };
          }),
        );
      }
      done += page.points.length;
      options.onProgress?.(name, done, total);
      cursor = page.next;
    } while (cursor !== null);
    collections.push({ collection: name, points: total, copied: await target.count(name) });
  }
  // Aliases after their collections exist; setAlias replaces an older target atomically.
  const aliases = await source.listAliases();
  for (const a of aliases) await target.setAlias(a.alias, a.collection);
  return { collections, aliases };
}
