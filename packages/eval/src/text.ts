/**
 * The one text-field vocabulary of `cxr index` and `cxr bench` (table in packages/eval/README.md,
 * "Text fields"). Section fields fall back to the other section and never to the full text, so a
 * benchmark's text set is what protocol v1 says; `full` is the whole report (free-text reports
 * without sections).
 */
export const TEXT_FIELDS = ["impression", "findings", "findings+impression", "longest", "full"] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

/** Where a selected text came from (stored with index points). */
export type TextSource = "impression" | "findings" | "findings+impression" | "fullText";

/** One line for --help of both commands. */
export const TEXT_FIELD_HELP =
  "report text: impression (else findings), findings (else impression), findings+impression, longest, full (the whole report); table in packages/eval/README.md#text-fields";

/** Whitespace normalisation: every run of whitespace (\s, Unicode) becomes one space; trimmed. Case kept. */
export function normalizeWhitespace(text: string | null | undefined): string {
  return (text ?? "").replace(/\s+/gu, " ").trim();
}

export interface ReportSections {
  findings?: string | null;
  impression?: string | null;
  /** The whole report as ingested (needed by the "full" field only). */
  fullText?: string | null;
}

/**
 * The report text a protocol uses, after whitespace normalisation, or null when the study has none
 * (the study is then excluded and counted).
 *
 * - impression: the impression; the findings when the impression is empty.
 * - findings: the findings; the impression when the findings are empty.
 * - findings+impression: the non-empty ones of findings, impression, joined by one space, in that order.
 * - longest: the longer (in UTF-16 code units) of findings and impression; the impression on a tie.
 * - full: the whole report text.
 */
export function selectText(report: ReportSections, field: TextField): string | null {
  return selectTextWithSource(report, field)?.text ?? null;
}

/** `selectText` and the section the text came from; null when the study has no text for the field. */
export function selectTextWithSource(
  report: ReportSections,
  field: TextField,
): { text: string; source: TextSource } | null {
  const f = normalizeWhitespace(report.findings);
  const i = normalizeWhitespace(report.impression);
  let out: { text: string; source: TextSource };
  switch (field) {
    case "impression":
      out = i ? { text: i, source: "impression" } : { text: f, source: "findings" };
      break;
    case "findings":
      out = f ? { text: f, source: "findings" } : { text: i, source: "impression" };
      break;
    case "findings+impression": {
      const both = [f, i].filter((s) => s.length > 0);
      out = {
        text: both.join(" "),
        source: both.length === 2 ? "findings+impression" : f ? "findings" : "impression",
      };
      break;
    }
    case "longest":
      out = f.length > i.length ? { text: f, source: "findings" } : { text: i, source: "impression" };
      break;
    case "full":
      out = { text: normalizeWhitespace(report.fullText), source: "fullText" };
      break;
  }
  return out.text.length > 0 ? out : null;
}

/** Compares strings by UTF-16 code units (the order candidate ids are tie-broken in). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface TextCorpus {
  /** Distinct normalised texts, sorted by code units; a candidate's id is its text, its index its tie order. */
  texts: string[];
  /** Index of each text in `texts`. */
  indexOf: Map<string, number>;
  /** How many of `texts` come only from distractor splits. */
  distractorOnly: number;
}

/**
 * The candidate corpus: the distinct texts of the test split after whitespace normalisation, plus the
 * distinct distractor texts (normalised) not already present. Sorted so that index order = id order.
 */
export function buildTextCorpus(
  testTexts: Iterable<string>,
  distractorTexts: Iterable<string> = [],
): TextCorpus {
  const test = new Set<string>();
  for (const t of testTexts) {
    const n = normalizeWhitespace(t);
    if (n) test.add(n);
  }
  const all = new Set(test);
  for (const t of distractorTexts) {
    const n = normalizeWhitespace(t);
    if (n) all.add(n);
  }
  const texts = [...all].sort(compareCodeUnits);
  const indexOf = new Map<string, number>();
  for (const [i, t] of texts.entries()) indexOf.set(t, i);
  return { texts, indexOf, distractorOnly: all.size - test.size };
}
