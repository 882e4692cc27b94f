import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerDatasetCommands } from "../src/commands/datasets.ts";
import { describeFailure } from "../src/errors.ts";

// In-process: the commands registered on a bare program, the data folder a temporary one.
const work = mkdtempSync(path.join(tmpdir(), "cxr-cli-datasets-"));
beforeAll(() => {
  process.env.CXR_DATA_DIR = path.join(work, "data");
  delete process.env.DATABASE_URL;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The exit code `cxr` would end with for this command's failure. */
async function exitCodeOf(pending: Promise<unknown>): Promise<number | undefined> {
  try {
    await pending;
    return undefined;
  } catch (error) {
    return describeFailure(error).code;
  }
}

async function run(...args: string[]): Promise<string> {
  const program = new Command().name("cxr").exitOverride();
  registerDatasetCommands(program);
  const chunks: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "cxr", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join("");
}

describe("cxr synth, ingest and datasets", () => {
  it("synthesizes, ingests the manifest twice (second adds nothing), lists and shows", async () => {
    const out = path.join(work, "synth");
    const synth = JSON.parse(await run("synth", "--out", out, "--studies", "12", "--seed", "3", "--json"));
    expect(synth.studies).toBe(12);

    const first = JSON.parse(await run("ingest", "manifest", out, "--name", "demo", "--json"));
    expect(first).toMatchObject({ name: "demo", status: "ready", added: 12, studies: 12, images: 12 });
    const second = JSON.parse(await run("ingest", "synthetic", out, "--name", "demo", "--json"));
    expect(second).toMatchObject({ added: 0, existing: 12, fingerprint: first.fingerprint });

    const list = JSON.parse(await run("datasets", "list", "--json"));
    expect(list.map((d: { name: string }) => d.name)).toEqual(["demo"]);
    const shown = await run("datasets", "show", "demo");
    expect(shown).toContain(`fingerprint ${first.fingerprint}`);
    expect(shown).toContain("reports with findings 12, impression 12, both 12");
  });

  it("refuses an unknown adapter, an unknown dataset and a bad --studies with exit code 2", async () => {
    expect(await exitCodeOf(run("ingest", "nope", work))).toBe(2);
    expect(await exitCodeOf(run("datasets", "show", "absent"))).toBe(2);
    expect(await exitCodeOf(run("datasets", "pull", "imagenet"))).toBe(2);
    expect(await exitCodeOf(run("synth", "--out", work, "--studies", "0"))).toBe(2);
    expect(await exitCodeOf(run("ingest", "mimic", path.join(work, "missing")))).toBe(2);
  });
});
