import { createHash } from "node:crypto";

/**
 * Deterministic point ids. Qdrant accepts only UUIDs or unsigned integers as point ids, so every
 * implementation uses UUIDs made from a stable string key (e.g. "mimic-cxr/image/<dicom id>"):
 * re-upserting the same item yields the same id and replaces the point instead of duplicating it.
 * This is RFC 4122 UUID version 5 (SHA-1, name-based) under a fixed namespace of this project.
 */

/** Namespace UUID of cxr-retrieval point ids (itself a v5 UUID of "cxr-retrieval" in the URL namespace). */
export const POINT_ID_NAMESPACE = "6f1c3d1e-8a4b-5c7d-9e0f-1a2b3c4d5e6f";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

/** UUID v5 of `name` in `namespace` (RFC 4122 §4.3). */
export function uuidV5(name: string, namespace: string = POINT_ID_NAMESPACE): string {
  if (!UUID_RE.test(namespace)) throw new TypeError(`namespace must be a lowercase UUID, got "${namespace}"`);
  const hash = createHash("sha1").update(uuidBytes(namespace)).update(name, "utf8").digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The point id of an item, from its stable key. Same key, same id, in every store. */
export function pointId(key: string): string {
  if (key.length === 0) throw new TypeError("a point key must not be empty");
  return uuidV5(key);
}

/** True for the canonical (lowercase, hyphenated) UUID form every store accepts and returns. */
export function isPointId(id: string): boolean {
  return UUID_RE.test(id);
}
