import { ConfigError } from "@cxr/config";
import { DatasetError, type DatasetErrorCode } from "@cxr/datasets";
import { DatabaseError, type DatabaseErrorCode } from "@cxr/db";
import {
  BundleError,
  type BundleErrorCode,
  EncoderError,
  type EncoderErrorCode,
  ImageDecodeError,
  type ImageDecodeErrorCode,
  ParityReferenceError,
  type TextErrorCode,
  TextInputError,
} from "@cxr/encoders";
import { ProtocolError } from "@cxr/eval";
import { StoreError, type StoreErrorCode } from "@cxr/store";
import { describe, expect, it } from "vitest";
import {
  BenchError,
  type BenchErrorCode,
  classifyError,
  type ErrorKind,
  type IndexErrorCode,
  IndexSearchError,
  JobError,
  type JobErrorCode,
  LeaderboardError,
  type LeaderboardErrorCode,
  ModelError,
  type ModelErrorCode,
} from "../src/index.ts";

/**
 * Every code of every package, and the kind every face will see for it. The tables are typed as
 * Record<Code, Kind>, so a code added to a package without a line here does not compile. `failed`
 * is the only kind the CLI exits 1 for; every other kind exits 2 (could not run here).
 */
const DATABASE: Record<DatabaseErrorCode, ErrorKind> = {
  UNREACHABLE: "unavailable",
  NOT_WRITABLE: "unavailable",
  AUTH_FAILED: "unavailable",
  DATABASE_MISSING: "unavailable",
  MIGRATION_FAILED: "unavailable",
  MIGRATION_MODIFIED: "conflict",
  MIGRATION_UNKNOWN: "conflict",
  NOT_MIGRATED: "conflict",
};
const DATASET: Record<DatasetErrorCode, ErrorKind> = {
  SOURCE_NOT_FOUND: "not-found",
  SOURCE_INVALID: "invalid",
  INVALID_ARGUMENT: "invalid",
  NAME_CONFLICT: "conflict",
  UNKNOWN_ADAPTER: "not-found",
  UNKNOWN_DATASET: "not-found",
  DOWNLOAD_FAILED: "failed",
  CHECKSUM_MISMATCH: "failed",
  UNPACK_FAILED: "failed",
  EMPTY_INGEST: "failed",
};
const STORE: Record<StoreErrorCode, ErrorKind> = {
  DIMENSION_MISMATCH: "failed",
  NAN_VALUE: "failed",
  UNKNOWN_COLLECTION: "failed",
  UNKNOWN_FILTER_FIELD: "failed",
  INVALID_K: "failed",
  INVALID_ID: "failed",
  INVALID_ARGUMENT: "failed",
  COLLECTION_CONFLICT: "failed",
  UNAVAILABLE: "unavailable",
  UNEXPECTED_RESPONSE: "failed",
};
const MODEL: Record<ModelErrorCode, ErrorKind> = {
  NOT_FOUND: "not-found",
  ALREADY_EXISTS: "conflict",
  INVALID_BUNDLE: "invalid",
  UNKNOWN_MODEL: "not-found",
  NOT_PULLABLE: "invalid",
  VERIFY_FAILED: "failed",
  DOWNLOAD_FAILED: "failed",
  MODELS_DIR_UNWRITABLE: "unavailable",
};
const INDEX: Record<IndexErrorCode, ErrorKind> = {
  UNKNOWN_MODEL: "not-found",
  UNKNOWN_DATASET: "not-found",
  DATASET_NOT_READY: "conflict",
  NOT_INDEXED: "not-found",
  JOB_CONFLICT: "conflict",
  INVALID_ARGUMENT: "invalid",
  INVALID_K: "invalid",
  EMPTY_TEXT: "invalid",
  INVALID_IMAGE: "invalid",
  UNKNOWN_IMAGE: "not-found",
  MODEL_UNAVAILABLE: "unavailable",
  JOB_FAILED: "failed",
};
const BENCH: Record<BenchErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: "invalid",
  UNKNOWN_MODEL: "not-found",
  UNKNOWN_DATASET: "not-found",
  UNKNOWN_SPLIT: "not-found",
  DATASET_NOT_READY: "conflict",
  NO_QUERIES: "invalid",
  MODEL_UNAVAILABLE: "unavailable",
  UNKNOWN_RUN: "not-found",
  RUN_IN_PROGRESS: "conflict",
  UNDECODABLE_IMAGE: "failed",
  RUN_FAILED: "failed",
};
const LEADERBOARD: Record<LeaderboardErrorCode, ErrorKind> = {
  PAYLOAD_TOO_LARGE: "invalid",
  MALFORMED_JSON: "invalid",
  WRONG_FORMAT: "invalid",
  INVALID_SHAPE: "invalid",
  PROTOCOL_MISMATCH: "invalid",
  INVALID_RANKS: "invalid",
  CLAIM_MISMATCH: "invalid",
  QUERY_LIST_MISMATCH: "invalid",
  INCOMPLETE: "invalid",
  UNSAFE_TEXT: "invalid",
  UNKNOWN_BOARD: "not-found",
  UNKNOWN_ENTRY: "not-found",
  UNKNOWN_SUBMISSION: "not-found",
  INVALID_ARGUMENT: "invalid",
  RUN_NOT_PUBLISHABLE: "conflict",
  NOT_VERIFIABLE: "unavailable",
  NO_BUNDLE: "unavailable",
  NO_DATASET: "unavailable",
  FINGERPRINT_MISMATCH: "conflict",
};
const JOB: Record<JobErrorCode, ErrorKind> = {
  UNKNOWN_JOB: "not-found",
  INVALID_ARGUMENT: "invalid",
  JOB_FINISHED: "conflict",
  JOB_CANCELLED: "failed",
};
// Encoder errors are wrapped by the services; one that escapes unwrapped is a failure nobody
// expected (CLI exit 1 with the --verbose hint), whatever its code.
const BUNDLE: Record<BundleErrorCode, ErrorKind> = {
  MANIFEST_MISSING: "failed",
  MANIFEST_INVALID: "failed",
  FILE_MISSING: "failed",
  FILE_EMPTY: "failed",
  CHECKSUM_MISMATCH: "failed",
  NOT_ONNX: "failed",
  GRAPH_MISMATCH: "failed",
  TOKENIZER_INVALID: "failed",
};
const ENCODER: Record<EncoderErrorCode, ErrorKind> = {
  SHAPE_MISMATCH: "failed",
  INFERENCE_FAILED: "failed",
  BAD_EMBEDDING: "failed",
  BAD_INPUT: "failed",
  CLOSED: "failed",
};
const IMAGE: Record<ImageDecodeErrorCode, ErrorKind> = {
  CORRUPT: "failed",
  TRUNCATED: "failed",
  UNSUPPORTED_FORMAT: "failed",
  EMPTY: "failed",
  TOO_LARGE: "failed",
  DICOM_NO_PIXELS: "failed",
  DICOM_UNSUPPORTED_SYNTAX: "failed",
};
const TEXT: Record<TextErrorCode, ErrorKind> = { EMPTY_TEXT: "failed", NOT_A_STRING: "failed" };

const cases: { pkg: string; code: string; kind: ErrorKind; error: Error; expected: boolean }[] = [
  ...Object.entries(DATABASE).map(([code, kind]) => ({
    pkg: "db",
    code,
    kind,
    error: new DatabaseError(code as DatabaseErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(DATASET).map(([code, kind]) => ({
    pkg: "datasets",
    code,
    kind,
    error: new DatasetError(code as DatasetErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(STORE).map(([code, kind]) => ({
    pkg: "store",
    code,
    kind,
    error: new StoreError(code as StoreErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(MODEL).map(([code, kind]) => ({
    pkg: "services/models",
    code,
    kind,
    error: new ModelError(code as ModelErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(INDEX).map(([code, kind]) => ({
    pkg: "services/index",
    code,
    kind,
    error: new IndexSearchError(code as IndexErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(BENCH).map(([code, kind]) => ({
    pkg: "services/bench",
    code,
    kind,
    error: new BenchError(code as BenchErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(LEADERBOARD).map(([code, kind]) => ({
    pkg: "services/leaderboard",
    code,
    kind,
    error: new LeaderboardError(code as LeaderboardErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(JOB).map(([code, kind]) => ({
    pkg: "services/jobs",
    code,
    kind,
    error: new JobError(code as JobErrorCode, "x"),
    expected: true,
  })),
  ...Object.entries(BUNDLE).map(([code, kind]) => ({
    pkg: "encoders/bundle",
    code,
    kind,
    error: new BundleError(code as BundleErrorCode, "image.onnx", undefined, "x"),
    expected: false,
  })),
  ...Object.entries(ENCODER).map(([code, kind]) => ({
    pkg: "encoders/encoder",
    code,
    kind,
    error: new EncoderError(code as EncoderErrorCode, "item", "x"),
    expected: false,
  })),
  ...Object.entries(IMAGE).map(([code, kind]) => ({
    pkg: "encoders/image",
    code,
    kind,
    error: new ImageDecodeError(code as ImageDecodeErrorCode, "a.png", "x"),
    expected: false,
  })),
  ...Object.entries(TEXT).map(([code, kind]) => ({
    pkg: "encoders/tokenizer",
    code,
    kind,
    error: new TextInputError(code as TextErrorCode, 0, "x"),
    expected: false,
  })),
  {
    pkg: "config",
    code: "CONFIG_INVALID",
    kind: "invalid",
    error: new ConfigError("CXR_X", "x"),
    expected: true,
  },
  {
    pkg: "encoders/parity",
    code: "PARITY_REFERENCE_MISSING",
    kind: "invalid",
    error: new ParityReferenceError("x"),
    expected: true,
  },
  { pkg: "eval", code: "INTERNAL", kind: "failed", error: new ProtocolError(["x"]), expected: false },
];

describe("classifyError: one kind for every code of every package", () => {
  it.each(cases)("$pkg $code -> $kind", ({ error, code, kind, expected }) => {
    const classified = classifyError(error);
    expect(classified.kind).toBe(kind);
    expect(classified.code).toBe(code);
    expect(classified.expected).toBe(expected);
    expect(classified.message).not.toBe("");
  });

  it("anything else is failed/INTERNAL, shown by its first line", () => {
    expect(classifyError("boom")).toEqual({
      kind: "failed",
      code: "INTERNAL",
      message: "boom",
      expected: false,
    });
    expect(classifyError(new Error("")).message).toBe("unexpected error");
  });
});

describe("a Prisma error whose message holds report text", () => {
  const reportText = "small left pleural effusion";
  const prisma = () =>
    Object.assign(
      new Error(
        `\nInvalid \`prisma.report.create()\` invocation in\n/src/ingest.ts:8:28\n\n→ 8   await prisma.report.create({\n        data: {\n          fullText: "${reportText}",\n`,
      ),
      { code: "P2003" },
    );

  it("classified raw, yields its first line only", () => {
    const c = classifyError(prisma());
    expect(c.message).toBe("Invalid `prisma.report.create()` invocation in");
    expect(JSON.stringify(c)).not.toContain(reportText);
  });

  it("wrapped by a use case, yields no report text either", () => {
    const wrapped = [
      ModelError.fromBundle("INVALID_BUNDLE", prisma(), { dir: "/models/x" }),
      new IndexSearchError("JOB_FAILED", `indexing failed: ${prisma().message}`),
      new BenchError("RUN_FAILED", `benchmark run failed: ${prisma().message}`),
      new DatabaseError("UNREACHABLE", prisma().message),
      new StoreError("UNAVAILABLE", prisma().message),
      new DatasetError("SOURCE_INVALID", prisma().message),
    ];
    for (const error of wrapped) {
      const c = classifyError(error);
      expect(c.message).not.toContain(reportText);
      expect(c.message).not.toContain("\n");
    }
  });
});
