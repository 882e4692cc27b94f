import path from "node:path";
import { isFile, locateInside } from "../io.ts";
import { normalizeWhitespace, parseReport } from "../sections.ts";
import { type ImageRecord, type ReportRecord, type SkipEvent, skip } from "../types.ts";

/**
 * Groups the rows of a source that has one row per image into studies, streaming: a first pass
 * counts the rows of each key, the second holds a study's rows only until its last one arrives.
 * Rows without a key (errors, rows that name no study) pass through in place.
 */
export async function* groupRows<T>(
  source: () => AsyncIterable<T>,
  keyOf: (item: T) => string | undefined,
): AsyncGenerator<{ key: string; items: T[] } | { key: undefined; item: T }> {
  const counts = new Map<string, number>();
  for await (const item of source()) {
    const key = keyOf(item);
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const open = new Map<string, T[]>();
  for await (const item of source()) {
    const key = keyOf(item);
    if (key === undefined) {
      yield { key: undefined, item };
      continue;
    }
    const expected = counts.get(key);
    if (expected === undefined) continue; // the file changed between passes: the row is new; ignore
    const items = open.get(key) ?? [];
    items.push(item);
    if (items.length >= expected) {
      open.delete(key);
      counts.delete(key);
      yield { key, items };
    } else open.set(key, items);
  }
  // rows that vanished between the passes leave partial groups: emit them as they are
  for (const [key, items] of open) yield { key, items };
}

/** Rejects a repeated study id: the first occurrence wins. */
export class SeenIds {
  private readonly seen = new Set<string>();
  /** A skip event when `id` was seen before; otherwise remembers it. */
  check(id: string, where: string): SkipEvent | undefined {
    if (this.seen.has(id)) {
      return skip("study", id, "duplicate-id", `study id ${id} appears again (${where}); the first is kept`);
    }
    this.seen.add(id);
    return undefined;
  }
}

export interface ImageCandidate {
  externalId: string;
  /** Relative to the root (or absolute inside it); several spellings may be tried in order. */
  paths: string[];
  view: string | null;
}

/**
 * Resolves image candidates inside the root: those that escape it or are missing become skip
 * events (level image), the rest image records.
 */
export async function resolveImages(
  root: string,
  studyId: string,
  candidates: ImageCandidate[],
): Promise<{ images: ImageRecord[]; skips: SkipEvent[] }> {
  const images: ImageRecord[] = [];
  const skips: SkipEvent[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    let found: string | undefined;
    let outside: "escapes" | "link-outside" | undefined;
    for (const relative of candidate.paths) {
      const located = await locateInside(root, relative);
      if (!located.ok) {
        outside = located.why;
        break;
      }
      if (await isFile(located.path)) {
        found = located.path;
        break;
      }
    }
    const label = `${studyId}/${candidate.externalId}`;
    if (outside === "escapes") {
      skips.push(skip("image", label, "path-outside-root", "the image path leads outside the dataset root"));
    } else if (outside === "link-outside") {
      skips.push(
        skip(
          "image",
          label,
          "link-outside-root",
          "the image is a symbolic link (or lies under one) whose target is outside the dataset root",
        ),
      );
    } else if (found === undefined) {
      skips.push(
        skip("image", label, "missing-file", `image not found: ${path.normalize(candidate.paths[0] ?? "")}`),
      );
    } else if (!seen.has(found)) {
      seen.add(found);
      images.push({ externalId: candidate.externalId, path: found, view: candidate.view });
    }
  }
  return { images, skips };
}

function orNull(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const normalised = normalizeWhitespace(text);
  return normalised === "" ? null : normalised;
}

/**
 * A report from a source that keeps sections apart (IU XML and CSV, CheXpert Plus, manifests):
 * the full text is the labelled sections joined ("FINDINGS: ...\n\nIMPRESSION: ..."), unless the
 * source also has a full text; findings and impression are taken as given, and parsed out of the
 * full text only when the source gives neither.
 */
export function reportFromParts(parts: {
  fullText?: string | null;
  sections?: [label: string, text: string | null | undefined][];
  findings?: string | null;
  impression?: string | null;
}): ReportRecord {
  const composed = (parts.sections ?? [])
    .filter(([, text]) => orNull(text) !== null)
    .map(([label, text]) => `${label}: ${text!.trim()}`)
    .join("\n\n");
  const given = parts.fullText?.trim() ? parts.fullText : undefined;
  const fullText = given ?? composed;
  let findings = orNull(parts.findings);
  let impression = orNull(parts.impression);
  if (findings === null && impression === null && given !== undefined) {
    const parsed = parseReport(given);
    findings = parsed.findings;
    impression = parsed.impression;
  }
  return { fullText, findings, impression };
}

export function lowerKeys(row: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(row)) out[k.trim().toLowerCase()] = v;
  return out;
}

/** The first non-empty value among the given column names. */
export function pick(row: Record<string, unknown>, names: string[]): string | undefined {
  for (const name of names) {
    const value = row[name];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    if (typeof value === "number") return String(value);
  }
  return undefined;
}
