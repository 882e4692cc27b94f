import { StoreError } from "./errors.ts";
import { isPointId } from "./ids.ts";
import {
  type CollectionInfo,
  type CollectionSpec,
  type Condition,
  type Filter,
  MAX_K,
  MAX_SCROLL_LIMIT,
  type Point,
} from "./types.ts";

/** Shared input checks: every implementation rejects the same bad input with the same code, before writing. */

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkName(name: string, what: "collection" | "alias"): void {
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `${what} name must be 1-128 letters, digits, '_', '.', '-' starting with a letter or digit, got "${name}"`,
      what === "collection" ? { collection: String(name) } : {},
    );
  }
}

export function checkSpec(name: string, spec: CollectionSpec): string[] {
  checkName(name, "collection");
  if (!Number.isInteger(spec.dimension) || spec.dimension < 1 || spec.dimension > 65_536) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `dimension must be an integer in 1..65536, got ${spec.dimension}`,
      {
        collection: name,
      },
    );
  }
  if (spec.distance !== "cosine" && spec.distance !== "dot") {
    throw new StoreError("INVALID_ARGUMENT", `distance must be "cosine" or "dot", got "${spec.distance}"`, {
      collection: name,
    });
  }
  const fields = [...new Set(spec.indexedFields ?? [])];
  for (const field of fields) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(field)) {
      throw new StoreError("INVALID_ARGUMENT", `indexed field names must be identifiers, got "${field}"`, {
        collection: name,
      });
    }
  }
  return fields.sort();
}

/** Same dimension and distance; returns the requested indexed fields the collection does not index yet. */
export function checkSameSpec(
  existing: CollectionInfo,
  dimension: number,
  distance: string,
  fields: string[],
): string[] {
  if (existing.dimension !== dimension) {
    throw new StoreError(
      "DIMENSION_MISMATCH",
      `collection "${existing.name}" has dimension ${existing.dimension}, asked for ${dimension}`,
      { collection: existing.name },
    );
  }
  if (existing.distance !== distance) {
    throw new StoreError(
      "COLLECTION_CONFLICT",
      `collection "${existing.name}" uses ${existing.distance} distance, asked for ${distance}`,
      { collection: existing.name },
    );
  }
  return fields.filter((f) => !existing.indexedFields.includes(f));
}

export function checkVector(collection: CollectionInfo, vector: Float32Array, what: string): void {
  if (!(vector instanceof Float32Array)) {
    throw new StoreError("INVALID_ARGUMENT", `${what} must be a Float32Array`, {
      collection: collection.name,
    });
  }
  if (vector.length !== collection.dimension) {
    throw new StoreError(
      "DIMENSION_MISMATCH",
      `${what} has dimension ${vector.length}; collection "${collection.name}" has ${collection.dimension}`,
      { collection: collection.name },
    );
  }
  let norm = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i]!;
    if (!Number.isFinite(v)) {
      throw new StoreError("NAN_VALUE", `${what} holds ${v} at index ${i}`, { collection: collection.name });
    }
    norm += v * v;
  }
  if (collection.distance === "cosine" && norm === 0) {
    throw new StoreError("INVALID_ARGUMENT", `${what} is all zeros, which has no cosine direction`, {
      collection: collection.name,
    });
  }
}

export function checkPoints(collection: CollectionInfo, points: Point[]): void {
  if (!Array.isArray(points)) {
    throw new StoreError("INVALID_ARGUMENT", "points must be an array", { collection: collection.name });
  }
  const seen = new Set<string>();
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    checkId(p.id, collection.name);
    if (seen.has(p.id)) {
      throw new StoreError("INVALID_ARGUMENT", `point id ${p.id} appears twice in one upsert`, {
        collection: collection.name,
      });
    }
    seen.add(p.id);
    checkVector(collection, p.vector, `point ${p.id} vector`);
    if (p.payload === null || typeof p.payload !== "object" || Array.isArray(p.payload)) {
      throw new StoreError("INVALID_ARGUMENT", `point ${p.id} payload must be an object`, {
        collection: collection.name,
      });
    }
    for (const field of collection.indexedFields) {
      const value = p.payload[field];
      if (value !== undefined && value !== null && typeof value !== "string") {
        throw new StoreError(
          "INVALID_ARGUMENT",
          `point ${p.id}: indexed field "${field}" must be a string, got ${JSON.stringify(value)}`,
          { collection: collection.name },
        );
      }
    }
  }
}

export function checkId(id: string, collection: string): void {
  if (typeof id !== "string" || !isPointId(id)) {
    throw new StoreError("INVALID_ID", `point ids must be lowercase UUIDs (use pointId(key)), got "${id}"`, {
      collection,
    });
  }
}

export function checkK(k: number, collection: string): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
    throw new StoreError("INVALID_K", `k must be an integer in 1..${MAX_K}, got ${k}`, { collection });
  }
}

export function checkScrollLimit(limit: number, collection: string): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCROLL_LIMIT) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `scroll limit must be an integer in 1..${MAX_SCROLL_LIMIT}, got ${limit}`,
      {
        collection,
      },
    );
  }
}

export function checkMinScore(minScore: number | undefined, collection: string): void {
  if (minScore !== undefined && !Number.isFinite(minScore)) {
    throw new StoreError("INVALID_ARGUMENT", `minScore must be a finite number, got ${minScore}`, {
      collection,
    });
  }
}

function conditions(filter: Filter): Condition[] {
  return [...(filter.must ?? []), ...(filter.mustNot ?? [])];
}

/** Filters may only name the collection's indexed fields, with string values. */
export function checkFilter(collection: CollectionInfo, filter: Filter | undefined): void {
  if (filter === undefined) return;
  if (filter === null || typeof filter !== "object") {
    throw new StoreError("INVALID_ARGUMENT", "filter must be an object { must?, mustNot? }", {
      collection: collection.name,
    });
  }
  for (const key of Object.keys(filter)) {
    if (key !== "must" && key !== "mustNot") {
      throw new StoreError("INVALID_ARGUMENT", `filter has unknown clause "${key}" (use must / mustNot)`, {
        collection: collection.name,
      });
    }
  }
  for (const c of conditions(filter)) {
    if (!collection.indexedFields.includes(c.key)) {
      throw new StoreError(
        "UNKNOWN_FILTER_FIELD",
        `collection "${collection.name}" cannot filter on "${c.key}"; indexed fields: ${collection.indexedFields.join(", ") || "none"}`,
        { collection: collection.name },
      );
    }
    if ("match" in c) {
      if (typeof c.match !== "string") {
        throw new StoreError("INVALID_ARGUMENT", `filter on "${c.key}": match must be a string`, {
          collection: collection.name,
        });
      }
    } else if (!Array.isArray(c.any) || c.any.some((v) => typeof v !== "string")) {
      throw new StoreError("INVALID_ARGUMENT", `filter on "${c.key}": any must be an array of strings`, {
        collection: collection.name,
      });
    }
  }
}

/** A compiled filter: given a field's value lookup, does the point pass? */
export function compileFilter(
  filter: Filter | undefined,
): ((value: (field: string) => string | null | undefined) => boolean) | null {
  if (filter === undefined) return null;
  const must = filter.must ?? [];
  const mustNot = filter.mustNot ?? [];
  if (must.length === 0 && mustNot.length === 0) return null;
  const holds = (c: Condition, v: string | null | undefined): boolean =>
    v !== null && v !== undefined && ("match" in c ? v === c.match : c.any.includes(v));
  return (value) => {
    for (const c of must) if (!holds(c, value(c.key))) return false;
    for (const c of mustNot) if (holds(c, value(c.key))) return false;
    return true;
  };
}
