import { StoreError } from "./errors.ts";

/**
 * Collection naming: one collection per (model, modality), always reached through a stable alias.
 * A (re-)index writes a new versioned collection and swaps the alias when it is complete, so
 * searches keep working on the previous version throughout.
 *
 *   alias:      <model>__<modality>            e.g. demo-clip__images
 *   collection: <model>__<modality>__v<N>      e.g. demo-clip__images__v3
 */

const PART_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function part(value: string, what: string): string {
  if (!PART_RE.test(value) || value.includes("__")) {
    throw new StoreError("INVALID_ARGUMENT", `${what} "${value}" cannot be part of a collection name`);
  }
  return value;
}

export function collectionAlias(model: string, modality: string): string {
  return `${part(model, "model")}__${part(modality, "modality")}`;
}

export function versionedCollection(model: string, modality: string, version: number): string {
  if (!Number.isInteger(version) || version < 1) {
    throw new StoreError("INVALID_ARGUMENT", `collection version must be a positive integer, got ${version}`);
  }
  return `${collectionAlias(model, modality)}__v${version}`;
}

/** The version number of a versioned collection name of this alias, or null. */
export function collectionVersion(alias: string, collection: string): number | null {
  const m = collection.startsWith(`${alias}__v`) ? /^(\d+)$/.exec(collection.slice(alias.length + 3)) : null;
  return m === null ? null : Number(m[1]);
}
