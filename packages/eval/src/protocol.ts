import { z } from "zod";
import { canonicalJson } from "./canonical.ts";
import { sha256Hex } from "./hash.ts";
import { TEXT_FIELDS } from "./text.ts";

export const PROTOCOL_VERSION = "cxr-bench/1" as const;

/** Corruption families other than occlusion: levels are severities 0 (clean) to 5. */
export const SEVERITY_FAMILIES = [
  "gaussian_noise",
  "gaussian_blur",
  "contrast",
  "jpeg",
  "downsample",
] as const;
export type SeverityFamily = (typeof SEVERITY_FAMILIES)[number];
export type CorruptionFamily = "occlusion" | SeverityFamily;
/** Every corruption family, occlusion (the default) first. */
export const CORRUPTION_FAMILIES: readonly CorruptionFamily[] = ["occlusion", ...SEVERITY_FAMILIES];
export const OCCLUSION_FILLS = ["black", "mean", "noise"] as const;
export const OCCLUSION_PATTERNS = ["cells", "block"] as const;
export const VIEWS = ["frontal", "lateral"] as const;

export const DEFAULT_OCCLUSION_LEVELS = [0, 0.1, 0.2, 0.3, 0.4, 0.5] as const;
export const DEFAULT_SEVERITY_LEVELS = [0, 1, 2, 3, 4, 5] as const;

// The text-field vocabulary lives in text.ts (shared with the index).

/** What the bootstrap resamples: studies (protocol v1's default) or patients (all of a patient's studies move together). */
export const BOOTSTRAP_UNITS = ["study", "patient"] as const;
export type BootstrapUnit = (typeof BOOTSTRAP_UNITS)[number];

const occlusionSchema = z
  .object({
    family: z.literal("occlusion"),
    grid: z.number().int().min(1).max(64).default(8),
    fill: z.enum(OCCLUSION_FILLS).default("black"),
    pattern: z.enum(OCCLUSION_PATTERNS).default("cells"),
  })
  .strict();

const severitySchema = z.object({ family: z.enum(SEVERITY_FAMILIES) }).strict();

const corruptionSchema = z.discriminatedUnion("family", [occlusionSchema, severitySchema]);

const corpusSchema = z
  .object({
    /** The split whose pairs are the test set (queries, and the candidate texts). */
    split: z.string().min(1).default("test"),
    /** Further splits whose reports join the candidate corpus as distractors (recorded). */
    distractorSplits: z.array(z.string().min(1)).default([]),
  })
  .strict();

const bootstrapSchema = z
  .object({
    samples: z.number().int().min(1).max(100_000).default(1000),
    confidence: z.number().gt(0).lt(1).default(0.95),
    /** Absent = "study" (protocol v1): the default is never written, so v1 protocol keys are unchanged. */
    unit: z.enum(BOOTSTRAP_UNITS).optional(),
  })
  .strict();

export const protocolInputSchema = z
  .object({
    version: z.literal(PROTOCOL_VERSION).default(PROTOCOL_VERSION),
    corruption: corruptionSchema.default({ family: "occlusion", grid: 8, fill: "black", pattern: "cells" }),
    /** Occlusion: fractions in [0, 1]. Other families: integer severities 0..5. Default by family. */
    levels: z.array(z.number().finite()).min(1).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
    textField: z.enum(TEXT_FIELDS).default("impression"),
    corpus: corpusSchema.default({ split: "test", distractorSplits: [] }),
    views: z.array(z.enum(VIEWS)).min(1).default(["frontal"]),
    recallAt: z.array(z.number().int().min(1)).min(1).default([1, 5, 10]),
    bootstrap: bootstrapSchema.default({ samples: 1000, confidence: 0.95 }),
    /**
     * Image ids (as the benchmark's image ids) left out because they cannot be decoded: recorded, so
     * a run without them never shares a protocol key with one that has them. Absent when empty.
     */
    excludedImages: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const protocolSchema = protocolInputSchema.transform((p, ctx) => {
  const family = p.corruption.family;
  const raw =
    p.levels ?? (family === "occlusion" ? [...DEFAULT_OCCLUSION_LEVELS] : [...DEFAULT_SEVERITY_LEVELS]);
  for (const level of raw) {
    const ok =
      family === "occlusion" ? level >= 0 && level <= 1 : Number.isInteger(level) && level >= 0 && level <= 5;
    if (!ok) {
      ctx.addIssue({
        code: "custom",
        path: ["levels"],
        message:
          family === "occlusion"
            ? `occlusion level ${level} is outside [0, 1]`
            : `${family} level ${level} is not an integer severity in 0..5`,
      });
      return z.NEVER;
    }
  }
  const levels = [...new Set(raw)].sort((a, b) => a - b);
  const views = [...new Set(p.views)].sort();
  const recallAt = [...new Set(p.recallAt)].sort((a, b) => a - b);
  const distractorSplits = [...new Set(p.corpus.distractorSplits)].sort();
  const { unit, ...bootstrap } = p.bootstrap;
  const { excludedImages, ...rest } = p;
  const excluded = [...new Set(excludedImages ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    ...rest,
    levels,
    views,
    recallAt,
    corpus: { ...p.corpus, distractorSplits },
    // Defaults are dropped, not filled: a protocol v1 run without these options keeps its key.
    bootstrap: (unit === undefined || unit === "study" ? bootstrap : { ...bootstrap, unit }) as {
      samples: number;
      confidence: number;
      unit?: "patient";
    },
    ...(excluded.length > 0 ? { excludedImages: excluded } : {}),
  };
});

/** What callers pass: every field optional, defaults filled in by `parseProtocol`. */
export type ProtocolInput = z.input<typeof protocolSchema>;
/** A validated protocol: every parameter present, lists sorted and de-duplicated. */
export type Protocol = z.output<typeof protocolSchema>;
export type OcclusionParams = z.output<typeof occlusionSchema>;
export type Corruption = Protocol["corruption"];
export type View = Protocol["views"][number];

export class ProtocolError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid benchmark protocol: ${issues.join("; ")}`);
    this.name = "ProtocolError";
    this.issues = issues;
  }
}

/** Validates and fills defaults. Throws ProtocolError with one message per bad field. */
export function parseProtocol(input: ProtocolInput = {}): Protocol {
  const result = protocolSchema.safeParse(input);
  if (!result.success) {
    throw new ProtocolError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
  }
  return result.data;
}

/** The canonical JSON of a validated protocol (sorted keys, no whitespace). */
export function canonicalProtocol(protocol: Protocol): string {
  return canonicalJson(protocol);
}

/** sha256 (hex) of the canonical JSON: two results are comparable only when their keys are equal. */
export function protocolKey(protocol: Protocol): string {
  return sha256Hex(canonicalProtocol(protocol));
}

/** The bootstrap unit of a protocol ("study" when the protocol does not say). */
export function bootstrapUnit(protocol: Protocol): BootstrapUnit {
  return protocol.bootstrap.unit ?? "study";
}

/** A short human label for a level, e.g. "p=0.3" or "s=2". */
export function levelLabel(protocol: Protocol, level: number): string {
  return protocol.corruption.family === "occlusion" ? `p=${level}` : `s=${level}`;
}
