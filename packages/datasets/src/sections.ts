/**
 * Splits a free-text radiology report into its sections (MIMIC-CXR style: "FINDINGS:",
 * "IMPRESSION:", "FINDINGS AND IMPRESSION:", "CONCLUSION:", ...).
 *
 * Rules, in order:
 * - A header starts a line. Known headers (list below) are recognised in any case, with a colon,
 *   a dash, or alone on their line ("Findings", "IMPRESSION.", "Impression -  text"); alone on a
 *   line only in capitals or after a blank line, since "findings." may end a wrapped sentence.
 * - An unknown ALL-CAPS name followed by a colon is a header only at the start of the text or after
 *   a blank line, so that capitalised words and de-identification placeholders inside wrapped text
 *   ("XXXX:", "___:") never split a section.
 * - A section runs to the next header; its text is whitespace-normalised (runs of spaces and line
 *   breaks become one space). Placeholders (___ in MIMIC, XXXX in IU) are kept verbatim.
 * - impression: the IMPRESSION section(s); failing that FINDINGS AND IMPRESSION; failing that
 *   CONCLUSION. findings: the FINDINGS section(s). Empty sections give null.
 * - `impressionToEnd` reproduces CXR-RePaiR's extraction: from the IMPRESSION (or FINDINGS AND
 *   IMPRESSION) header to the end of the report, later sections included.
 */

export type SectionKind = "findings" | "impression" | "findings-and-impression" | "conclusion" | "other";

export interface Section {
  /** Normalised header, e.g. "FINDINGS AND IMPRESSION"; "" for text before the first header. */
  name: string;
  kind: SectionKind;
  /** Whitespace-normalised text of the section. */
  text: string;
  /** Offset of the header (or of the text, for the preamble) in the original report. */
  offset: number;
}

export interface ParsedReport {
  findings: string | null;
  impression: string | null;
  sections: Section[];
}

export interface ParseOptions {
  /** CXR-RePaiR: impression runs from its header to the end of the report. Default false. */
  impressionToEnd?: boolean;
}

const KINDS: Record<string, SectionKind> = {
  FINDINGS: "findings",
  FINDING: "findings",
  IMPRESSION: "impression",
  IMPRESSIONS: "impression",
  CONCLUSION: "conclusion",
  CONCLUSIONS: "conclusion",
  "FINDINGS AND IMPRESSION": "findings-and-impression",
  "FINDINGS AND IMPRESSIONS": "findings-and-impression",
  "IMPRESSION AND FINDINGS": "findings-and-impression",
};

/** Other headers of chest radiograph reports (MIMIC-CXR, IU X-ray, CheXpert), any case. */
const OTHER_HEADERS = new Set([
  "FINAL REPORT",
  "WET READ",
  "ADDENDUM",
  "EXAMINATION",
  "EXAM",
  "TYPE OF EXAMINATION",
  "PROCEDURE",
  "INDICATION",
  "INDICATIONS",
  "CLINICAL INDICATION",
  "HISTORY",
  "CLINICAL HISTORY",
  "CLINICAL INFORMATION",
  "CLINICAL DATA",
  "REASON FOR EXAM",
  "REASON FOR EXAMINATION",
  "REASON FOR STUDY",
  "TECHNIQUE",
  "COMPARISON",
  "COMPARISONS",
  "REFERENCE EXAM",
  "NOTIFICATION",
  "RECOMMENDATION",
  "RECOMMENDATIONS",
]);

export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Upper-cases a header and unifies its spelling: "Findings/Impression" -> "FINDINGS AND IMPRESSION". */
export function normalizeHeader(raw: string): string {
  return raw
    .toUpperCase()
    .replace(/\(S\)/g, "S")
    .replace(/\s*(&|\/|\+)\s*/g, " AND ")
    .replace(/[^A-Z0-9 ]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function kindOf(name: string): SectionKind | undefined {
  const kind = KINDS[name];
  if (kind !== undefined) return kind;
  return OTHER_HEADERS.has(name) ? "other" : undefined;
}

const COLON_HEADER = /^[ \t]*([A-Za-z][A-Za-z0-9 ()/&+'-]{0,48}?)[ \t]*:(.*)$/;
const DASH_HEADER = /^[ \t]*([A-Za-z][A-Za-z ()/&+]{0,48}?)[ \t]+[-\u2013\u2014][ \t]+(.*)$/;
const BARE_HEADER = /^[ \t]*([A-Za-z][A-Za-z ()/&+]{0,48}?)[ \t]*[:.-]?[ \t]*$/;
const ALL_CAPS = /^[A-Z][A-Z ()/&-]{2,47}$/;
const PLACEHOLDER = /^(X+|_+)( (X+|_+))*$/;

interface Header {
  name: string;
  kind: SectionKind;
  /** Text after the header on the same line. */
  rest: string;
}

function matchHeader(line: string, afterBlank: boolean): Header | undefined {
  const colon = COLON_HEADER.exec(line);
  if (colon) {
    const raw = colon[1]!.trim();
    const name = normalizeHeader(raw);
    const kind = kindOf(name);
    if (kind !== undefined) return { name, kind, rest: colon[2]! };
    if (afterBlank && ALL_CAPS.test(raw) && !PLACEHOLDER.test(raw) && name.length >= 3) {
      return { name, kind: "other", rest: colon[2]! };
    }
  }
  const bare = BARE_HEADER.exec(line);
  // A header word alone on a line ("findings.") may be the tail of a wrapped sentence: take it as a
  // header only when written in capitals or after a blank line.
  if (bare && (afterBlank || bare[1] === bare[1]!.toUpperCase())) {
    const name = normalizeHeader(bare[1]!);
    const kind = kindOf(name);
    if (kind !== undefined) return { name, kind, rest: "" };
  }
  const dash = DASH_HEADER.exec(line);
  if (dash && (afterBlank || /^[ \t]*[A-Z]/.test(line))) {
    const name = normalizeHeader(dash[1]!);
    const kind = kindOf(name);
    if (kind !== undefined && kind !== "other") return { name, kind, rest: dash[2]! };
  }
  return undefined;
}

export function parseSections(report: string): Section[] {
  const sections: Section[] = [];
  let current: { name: string; kind: SectionKind; offset: number; parts: string[] } = {
    name: "",
    kind: "other",
    offset: 0,
    parts: [],
  };
  const flush = () => {
    const text = normalizeWhitespace(current.parts.join("\n"));
    if (current.name !== "" || text !== "") {
      sections.push({ name: current.name, kind: current.kind, text, offset: current.offset });
    }
  };
  let offset = 0;
  let afterBlank = true;
  // Lines with their breaks, so an offset counts a CRLF as the two characters it is.
  const parts = report.split(/(\r\n|\r|\n)/);
  for (let p = 0; p < parts.length; p += 2) {
    const line = parts[p]!;
    const header = matchHeader(line, afterBlank);
    if (header) {
      flush();
      current = { name: header.name, kind: header.kind, offset, parts: [header.rest] };
    } else {
      current.parts.push(line);
    }
    afterBlank = line.trim() === "";
    offset += line.length + (parts[p + 1]?.length ?? 0);
  }
  flush();
  return sections;
}

function joined(sections: Section[], kind: SectionKind): string | null {
  const text = sections
    .filter((s) => s.kind === kind)
    .map((s) => s.text)
    .filter((t) => t !== "")
    .join(" ");
  return text === "" ? null : text;
}

export function parseReport(report: string, options: ParseOptions = {}): ParsedReport {
  const sections = parseSections(report);
  const findings = joined(sections, "findings");
  let impression: string | null = null;
  if (options.impressionToEnd) {
    const start = sections.find((s) => s.kind === "impression" || s.kind === "findings-and-impression");
    if (start) {
      const tail = report.slice(start.offset).split(/\r\n|\r|\n/);
      const first = matchHeader(tail[0]!, true);
      const text = normalizeWhitespace([first ? first.rest : tail[0]!, ...tail.slice(1)].join("\n"));
      impression = text === "" ? null : text;
    }
  } else {
    impression =
      joined(sections, "impression") ??
      joined(sections, "findings-and-impression") ??
      joined(sections, "conclusion");
  }
  return { findings, impression, sections };
}
