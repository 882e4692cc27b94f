/**
 * Global ids for `node(id)`: base64url of "<Type>:<database id>", opaque to clients. A database id
 * alone is not enough because ids of different types may collide (model ids are chosen names).
 */

export const NODE_TYPES = [
  "Model",
  "Dataset",
  "Study",
  "Image",
  "BenchmarkRun",
  "LeaderboardBoard",
  "LeaderboardEntry",
  "Submission",
  "Job",
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`, "utf8").toString("base64url");
}

export function fromGlobalId(globalId: string): { type: NodeType; id: string } | null {
  if (globalId.length > 512 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const text = Buffer.from(globalId, "base64url").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  const type = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (!(NODE_TYPES as readonly string[]).includes(type) || id === "") return null;
  return { type: type as NodeType, id };
}

/** A global id of `type`, or (for clients that kept database ids) the id itself. */
export function idOf(type: NodeType, value: string): string {
  const parsed = fromGlobalId(value);
  return parsed !== null && parsed.type === type ? parsed.id : value;
}
