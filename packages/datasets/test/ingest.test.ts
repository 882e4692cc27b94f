import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Database, openDatabase } from "@cxr/db";
import { postgresAvailable, type TempDatabase, tempDatabase, tempSqlite } from "@cxr/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reference } from "../../../test/support/reference.ts";
import { iuCsv } from "../src/adapters/iu.ts";
import { manifest } from "../src/adapters/manifest.ts";
import { fingerprintOf, ingest, listDatasets, showDataset } from "../src/ingest.ts";
import { synthesize } from "../src/synth/index.ts";
import { manifestTree, tempDir } from "./fixtures.ts";

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const dialects: ("sqlite" | "postgresql")[] = [
  "sqlite",
  ...((await postgresAvailable()) ? ["postgresql" as const] : []),
];

describe.each(dialects)("ingest on %s", (dialect) => {
  let temp: TempDatabase;
  let database: Database;
  beforeAll(async () => {
    temp = await tempDatabase(dialect);
    database = await openDatabase(temp.config);
  });
  afterAll(async () => {
    await database?.close();
    await temp?.drop();
  });

  it("writes studies with hashed images, counts skips, and a second run adds nothing", async () => {
    const root = await manifestTree();
    dirs.push(root);
    // an image that is not an image
    writeFileSync(path.join(root, "images", "bad.png"), "not a png");
    const lines = readFileSync(path.join(root, "manifest.jsonl"));
    writeFileSync(
      path.join(root, "manifest.jsonl"),
      Buffer.concat([
        lines,
        Buffer.from(
          `${JSON.stringify({ study_id: "st7", image: "images/bad.png", report: "IMPRESSION: z" })}\n`,
        ),
      ]),
    );
    const progress: number[] = [];
    const first = await ingest(database.prisma, manifest(root), {
      name: "fixture",
      onProgress: (p) => progress.push(p.processed),
    });
    expect(first).toMatchObject({ status: "ready", added: 3, existing: 0, studies: 3, images: 3 });
    expect(first.skipped.byReason).toEqual({
      "path-outside-root": 1,
      "no-images": 3,
      "malformed-record": 1,
      "non-utf8": 1,
      "duplicate-id": 1,
      "missing-file": 1,
      "empty-report": 1,
      "undecodable-image": 1,
    });
    expect(first.skippedItems.find((s) => s.reason === "undecodable-image")?.item).toBe("st7/images/bad.png");
    expect(progress.at(-1)).toBe(first.added + first.skipped.study);
    expect(first.splits.map((s) => [s.name, s.studies, s.images])).toEqual([
      ["test", 2, 1],
      ["train", 1, 2],
    ]);

    const st1 = await database.prisma.study.findFirstOrThrow({
      where: { externalId: "st1" },
      include: { images: { orderBy: { externalId: "asc" } }, report: true },
    });
    const a = readFileSync(path.join(root, "images/a.png"));
    expect(st1.images[0]).toMatchObject({
      externalId: "images/a.png",
      view: "PA",
      sha256: sha(a),
      width: 24,
      height: 32,
      bytes: a.length,
    });
    expect(st1.report).toMatchObject({
      findings: "clear.",
      impression: "normal.",
      sha256: sha("FINDINGS: clear.\nIMPRESSION: normal."),
    });
    const st2 = await database.prisma.study.findFirstOrThrow({ where: { externalId: "st2" } });
    expect(JSON.parse(st2.labelsJson!)).toEqual({ "Pleural Effusion": 1 });

    // the fingerprint of the train split: its two image hashes and its one report hash
    const b = readFileSync(path.join(root, "images/b.png"));
    expect(first.splits.find((s) => s.name === "train")!.fingerprint).toBe(
      fingerprintOf([sha(a), sha(b), sha("FINDINGS: clear.\nIMPRESSION: normal.")]),
    );

    const second = await ingest(database.prisma, manifest(root), { name: "fixture" });
    expect(second).toMatchObject({
      added: 0,
      existing: 3,
      studies: 3,
      images: 3,
      fingerprint: first.fingerprint,
    });
    expect(await database.prisma.study.count()).toBe(3);
    expect(await database.prisma.image.count()).toBe(3);

    const [listed] = await listDatasets(database.prisma);
    expect(listed).toMatchObject({
      name: "fixture",
      adapter: "manifest",
      status: "ready",
      studies: 3,
      fingerprint: first.fingerprint,
    });
    const shown = await showDataset(database.prisma, "fixture");
    expect(shown?.sections).toEqual({ findings: 2, impression: 3, both: 2 });
    expect(shown?.summary?.added).toBe(0);

    // another source under the same name is refused
    await expect(ingest(database.prisma, manifest(tempDir()), { name: "fixture" })).rejects.toThrow(
      /choose another name/,
    );
  });

  it("notices a report changed since the first ingest and keeps the first", async () => {
    const root = tempDir();
    dirs.push(root);
    const write = (text: string) =>
      writeFileSync(
        path.join(root, "manifest.jsonl"),
        `${JSON.stringify({ study_id: "x", report: text })}\n`,
      );
    write("IMPRESSION: one");
    await ingest(database.prisma, manifest(root), { name: "changing" });
    write("IMPRESSION: two");
    const again = await ingest(database.prisma, manifest(root), { name: "changing" });
    expect(again.skipped.byReason).toEqual({ "changed-since-ingest": 1 });
    const report = await database.prisma.report.findFirstOrThrow({ where: { study: { externalId: "x" } } });
    expect(report.impression).toBe("one");
  });
});

describe("ingest after kill -9", () => {
  it("resumes where it stopped and never leaves half a study", async () => {
    const out = tempDir();
    dirs.push(out);
    await synthesize({ out, studies: 20, seed: "kill" });
    const temp = tempSqlite();
    const file = temp.config.database.kind === "sqlite" ? temp.config.database.file : "";
    // create and migrate first, so that the child only writes studies
    await (await openDatabase(temp.config)).close();
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(path.dirname(fileURLToPath(import.meta.url)), "support/ingest-child.ts"),
        file,
        out,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const outcome = await new Promise<string>((resolve) => {
      let buffer = "";
      child.stdout.on("data", (d) => {
        buffer += d;
        if (buffer.includes("finished")) resolve("finished");
        else if (/progress ([5-9]|\d\d)\n/.test(buffer)) {
          child.kill("SIGKILL");
          resolve("killed");
        }
      });
      child.on("exit", () => resolve(`exited: ${stderr.slice(-500)}`));
    });
    expect(outcome).toBe("killed");
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on("exit", resolve),
    );

    const database = await openDatabase(temp.config);
    try {
      const prisma = database.prisma;
      const before = await prisma.study.count();
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(20);
      expect((await prisma.dataset.findFirstOrThrow({ where: { name: "killed" } })).status).toBe("ingesting");
      const resumed = await ingest(prisma, manifest(out), { name: "killed" });
      expect(resumed).toMatchObject({
        status: "ready",
        existing: before,
        added: 20 - before,
        studies: 20,
        images: 20,
      });
      // whole studies only: every study has its image and its report
      expect(await prisma.study.count({ where: { images: { none: {} } } })).toBe(0);
      expect(await prisma.report.count()).toBe(20);
      // the same fingerprint as an uninterrupted ingest
      const clean = tempSqlite();
      const other = await openDatabase(clean.config);
      const straight = await ingest(other.prisma, manifest(out), { name: "killed" });
      await other.close();
      await clean.drop();
      expect(resumed.fingerprint).toBe(straight.fingerprint);
      expect(resumed.splits).toEqual(straight.splits);
    } finally {
      await database.close();
      await temp.drop();
    }
  });
});

const iu = reference("iu-reports");
describe.skipIf(!iu)("ingest of the IU X-ray CSV pair (text only)", () => {
  it("writes the 3,851 reports with the CSV's section counts", async () => {
    const temp = tempSqlite();
    const database = await openDatabase(temp.config);
    try {
      const summary = await ingest(database.prisma, iuCsv(iu!), { name: "iu-csv" });
      expect(summary).toMatchObject({ status: "ready", added: 3851, studies: 3851, images: 0 });
      expect(summary.skipped.byReason).toEqual({});
      const shown = await showDataset(database.prisma, "iu-csv");
      expect(shown?.sections).toEqual({ findings: 3337, impression: 3820, both: 3331 });
      expect(shown?.splits).toEqual([
        { name: "test", studies: 3851, images: 0, fingerprint: summary.fingerprint },
      ]);
    } finally {
      await database.close();
      await temp.drop();
    }
  }, 300_000);
});
