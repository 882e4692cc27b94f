import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { reference } from "../../../test/support/reference.ts";
import { registerParityCommand } from "../src/commands/parity.ts";
import { describeFailure } from "../src/errors.ts";

// In-process, like datasets.test.ts: the command on a bare program, output captured.
const ref = reference();
const work = mkdtempSync(path.join(tmpdir(), "cxr-cli-parity-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<{ stdout: string; exitCode: number | string | undefined }> {
  const program = new Command().name("cxr").exitOverride();
  registerParityCommand(program);
  const chunks: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(["node", "cxr", ...args]);
  } finally {
    out.mockRestore();
  }
  return { stdout: chunks.join(""), exitCode: process.exitCode };
}

describe("cxr parity", () => {
  it("refuses a folder that is not the reference folder (exit 2)", async () => {
    const error = await run("parity", "--reference", work).catch((e: unknown) => e);
    const failure = describeFailure(error);
    expect(failure).toMatchObject({ code: 2, expected: true });
    expect(failure.message).toContain("is not the reference folder");
  });

  it.skipIf(!ref)("exits 1 and says which text missed when a goal is missed", async () => {
    // A copy of the reference where one CLIP id is changed; everything else is linked, not copied.
    const tampered = path.join(work, "reference");
    mkdirSync(path.join(tampered, "vectors", "tokenizers"), { recursive: true });
    symlinkSync(path.join(ref!, "tokenizers"), path.join(tampered, "tokenizers"));
    symlinkSync(path.join(ref!, "vectors", "preprocess"), path.join(tampered, "vectors", "preprocess"));
    symlinkSync(
      path.join(ref!, "vectors", "tokenizers", "bio_clinicalbert.jsonl"),
      path.join(tampered, "vectors", "tokenizers", "bio_clinicalbert.jsonl"),
    );
    const lines = readFileSync(path.join(ref!, "vectors", "tokenizers", "clip_bpe.jsonl"), "utf8")
      .trim()
      .split("\n");
    const first = JSON.parse(lines[0]!);
    first.ids[1] += 1;
    lines[0] = JSON.stringify(first);
    writeFileSync(path.join(tampered, "vectors", "tokenizers", "clip_bpe.jsonl"), `${lines.join("\n")}\n`);

    const { stdout, exitCode } = await run("parity", "--reference", tampered, "--json");
    expect(exitCode).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(false);
    const rows = Object.fromEntries(
      report.tokenizers.rows.map((r: { tokenizer: string; matches: number; total: number }) => [
        r.tokenizer,
        `${r.matches}/${r.total}`,
      ]),
    );
    expect(rows).toEqual({ "clip-bpe": "59/60", "bio-clinicalbert": "60/60" });
    expect(report.tokenizers.rows[0].mismatches[0]).toMatchObject({ id: first.id });
    expect(report.preprocess.pass).toBe(true);
  });
});
