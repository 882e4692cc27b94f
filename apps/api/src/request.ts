import type { Principal } from "@cxr/services";
import { GraphQLError } from "graphql/index.js";
import type { ApiServices } from "./context.ts";
import type { ApiLimits } from "./limits.ts";

/** What every resolver receives: the services, the limits, and a per-request memo. */
export interface RequestContext {
  services: ApiServices;
  limits: ApiLimits;
  requestId: string;
  /** Who is asking (a token's scopes, everyone on an open server, or nobody): see access.ts. */
  principal: Principal;
  /** One promise per key for the life of a request: a study or run named by many hits is read once. */
  once<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export function requestContext(
  services: ApiServices,
  limits: ApiLimits,
  requestId: string,
  principal: Principal,
): RequestContext {
  const memo = new Map<string, Promise<unknown>>();
  return {
    services,
    limits,
    requestId,
    principal,
    once<T>(key: string, load: () => Promise<T>): Promise<T> {
      let value = memo.get(key) as Promise<T> | undefined;
      if (value === undefined) {
        value = load();
        memo.set(key, value);
      }
      return value;
    },
  };
}

/** `first` checked against the page size cap. */
export function pageSize(first: number | null | undefined, limits: ApiLimits, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > limits.pageSize) {
    throw new GraphQLError(`first must be 1..${limits.pageSize}, got ${n}`, {
      extensions: { code: "BAD_USER_INPUT", reason: "PAGE_SIZE" },
    });
  }
  return n;
}

export function cursorOf(id: string): string {
  return Buffer.from(`c:${id}`, "utf8").toString("base64url");
}

export function afterOf(cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const text = /^[A-Za-z0-9_-]{1,512}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  if (!text.startsWith("c:")) {
    throw new GraphQLError("after is not a cursor this API returned", {
      extensions: { code: "BAD_USER_INPUT", reason: "INVALID_CURSOR" },
    });
  }
  return text.slice(2);
}

/** A Relay connection over items already in order. */
export function connection<T>(
  items: T[],
  idOf: (item: T) => string,
  hasNextPage: boolean,
  totalCount: number,
) {
  const edges = items.map((node) => ({ cursor: cursorOf(idOf(node)), node }));
  return {
    edges,
    totalCount,
    pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/**
 * One page of a list already in order, as a Relay connection: the items after the one `after`
 * names (its id), at most `first`. An `after` naming no item is INVALID_CURSOR (`missing` says why).
 */
export function listPage<T>(
  all: T[],
  idOf: (item: T) => string,
  first: number,
  after: string | undefined,
  missing = "after names no item of this list",
) {
  let start = 0;
  if (after !== undefined) {
    start = all.findIndex((item) => idOf(item) === after) + 1;
    if (start === 0) {
      throw new GraphQLError(missing, { extensions: { code: "BAD_USER_INPUT", reason: "INVALID_CURSOR" } });
    }
  }
  return connection(all.slice(start, start + first), idOf, start + first < all.length, all.length);
}
