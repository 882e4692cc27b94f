import {
  collectionAlias,
  collectionVersion,
  type Filter,
  type VectorStore,
  versionedCollection,
} from "@cxr/store";
import type { Modality } from "./items.ts";

/**
 * Versioned collections behind one alias per (model, modality), holding every indexed dataset
 * (points carry `dataset` in their payload; searches filter on it).
 *
 *   alias      <model>__<modality>          what searches use
 *   collection <model>__<modality>__v<N>    what an index job writes
 *
 * An index job always writes a collection version of its own and the alias moves to it only when it
 * is complete, so the live collection is never half-written and searches keep working throughout.
 * Other datasets' points are carried over from the live version at the end of the job (with their
 * vectors: no re-encoding), just before the swap.
 */

export { collectionAlias };

/** The next unused version number of this alias, above every version the store or a job names. */
export async function nextVersion(
  store: VectorStore,
  alias: string,
  knownCollections: string[],
): Promise<number> {
  const names = [...(await store.listCollections()), ...knownCollections];
  const live = await store.resolveAlias(alias);
  if (live !== null) names.push(live);
  let max = 0;
  for (const name of names) {
    const v = collectionVersion(alias, name);
    if (v !== null && v > max) max = v;
  }
  return max + 1;
}

export function versionName(model: string, modality: Modality, version: number): string {
  return versionedCollection(model, modality, version);
}

export const datasetFilter = (dataset: string): Filter => ({ must: [{ key: "dataset", match: dataset }] });

/**
 * Makes `own` hold, besides `dataset`'s points, exactly the other datasets' points of the live
 * collection that were encoded by the same model bundle (same fingerprint). Idempotent: a resumed
 * job runs it again. Returns the points copied and the datasets left behind (encoded by another
 * bundle: they need re-indexing).
 */
export async function carryOtherDatasets(
  store: VectorStore,
  own: string,
  live: string | null,
  dataset: string,
  modelFingerprint: string,
): Promise<{ copied: number; leftBehind: string[] }> {
  if (live === null || live === own) return { copied: 0, leftBehind: [] };
  const others: Filter = { mustNot: [{ key: "dataset", match: dataset }] };
  // Anything of another dataset in our version comes from an earlier, interrupted carry-over.
  await store.delete(own, { filter: others });
  const same: Filter = {
    must: [{ key: "modelFingerprint", match: modelFingerprint }],
    mustNot: [{ key: "dataset", match: dataset }],
  };
  let copied = 0;
  let cursor: string | null = null;
  do {
    const page = await store.scroll(live, { cursor, limit: 1000, filter: same, withVector: true });
    if (page.points.length > 0) {
      await store.upsert(
        own,
        page.points.map((p) => ({ id: p.id, vector: p.vector!, payload: p.payload })),
      );
      copied += page.points.length;
    }
    cursor = page.next;
  } while (cursor !== null);
  const leftBehind = new Set<string>();
  const differentModel: Filter = {
    mustNot: [
      { key: "modelFingerprint", match: modelFingerprint },
      { key: "dataset", match: dataset },
    ],
  };
  // Only the (usually zero) points of another bundle are listed, to name their datasets.
  cursor = null;
  do {
    const page = await store.scroll(live, { cursor, limit: 1000, filter: differentModel });
    for (const p of page.points) if (typeof p.payload.dataset === "string") leftBehind.add(p.payload.dataset);
    cursor = page.next;
  } while (cursor !== null);
  return { copied, leftBehind: [...leftBehind].sort() };
}

/**
 * Drops versions of this alias that nothing uses any more: not the live one, not the one it
 * replaced (a search that resolved the alias just before the swap may still read it), and not one
 * an unfinished job is writing. Returns the dropped names.
 */
export async function dropUnusedVersions(
  store: VectorStore,
  alias: string,
  keep: Array<string | null>,
): Promise<string[]> {
  const kept = new Set(keep.filter((k): k is string => k !== null));
  const dropped: string[] = [];
  for (const name of await store.listCollections()) {
    if (collectionVersion(alias, name) === null || kept.has(name)) continue;
    if (await store.dropCollection(name)) dropped.push(name);
  }
  return dropped;
}

/**
 * Drops every collection version and alias of a model (all modalities): for when the model is
 * removed from the registry. Returns the dropped collection names.
 */
export async function dropModelCollections(store: VectorStore, model: string): Promise<string[]> {
  const dropped: string[] = [];
  for (const modality of ["images", "reports"] as const) {
    const alias = collectionAlias(model, modality);
    await store.deleteAlias(alias);
    for (const name of await store.listCollections()) {
      if (collectionVersion(alias, name) !== null && (await store.dropCollection(name))) dropped.push(name);
    }
  }
  return dropped;
}
