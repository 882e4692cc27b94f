import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { type Database, openDatabase } from "@cxr/db";
import { postgresAvailable, type TempDatabase, tempDatabase, tempSqlite } from "@cxr/db/testing";
import { greyDicom } from "@cxr/encoders/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reference } from "../../../test/support/reference.ts";
import { iuCsv } from "../src/adapters/iu.ts";
import { manifest } from "../src/adapters/manifest.ts";
import { EmptyIngestError, fingerprintVersion, ingest, listDatasets, showDataset } from "../src/ingest.ts";
import { synthesize } from "../src/synth/index.ts";
import { image, manifestTree, tempDir } from "./fixtures.ts";

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

    // the fingerprint of the train split (version 2, README): its one study's identity, images
    // (id, sha256, view, by id) and report (full text and each section), written out here
    const b = readFileSync(path.join(root, "images/b.png"));
    const st1Hash = sha(
      JSON.stringify([
        "st1",
        null,
        [
          ["images/a.png", sha(a), "PA"],
          ["images/b.png", sha(b), "LATERAL"],
        ],
        sha("FINDINGS: clear.\nIMPRESSION: normal."),
        sha("clear."),
        sha("normal."),
      ]),
    );
    expect(first.splits.find((s) => s.name === "train")!.fingerprint).toBe(`v2:${sha(`${st1Hash}\n`)}`);
    expect(first.fingerprintVersion).toBe(2);
    expect(fingerprintVersion(first.fingerprint)).toBe(2);
    // st6 has no image: it is kept, text only, and counted
    expect(first.studiesWithoutImages).toBe(1);
    expect(first.splits.find((s) => s.name === "test")!.studiesWithoutImages).toBe(1);

    const second = await ingest(database.prisma, manifest(root), { name: "fixture" });
    expect(second).toMatchObject({
      added: 0,
      updated: 0,
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

  it("re-ingest updates exactly the edited studies, says what changed, and each edit changes the fingerprint", async () => {
    const root = tempDir();
    dirs.push(root);
    for (const [i, name] of ["a", "b", "c"].entries())
      await image(path.join(root, `${name}.png`), 30 + 40 * i);
    type Row = {
      study_id: string;
      image: string;
      view: string;
      findings: string;
      impression: string;
      labels: object;
    };
    const rows: Row[] = [
      {
        study_id: "s1",
        image: "a.png",
        view: "PA",
        findings: "Clear lungs.",
        impression: "Normal.",
        labels: { x: 0 },
      },
      {
        study_id: "s2",
        image: "b.png",
        view: "PA",
        findings: "Left effusion.",
        impression: "Effusion.",
        labels: { x: 1 },
      },
      {
        study_id: "s3",
        image: "c.png",
        view: "AP",
        findings: "Big heart.",
        impression: "Cardiomegaly.",
        labels: { x: 1 },
      },
    ];
    const writeRows = () =>
      writeFileSync(path.join(root, "manifest.jsonl"), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const snapshot = async () =>
      database.prisma.study.findMany({
        where: { dataset: { name: "edits" } },
        orderBy: { externalId: "asc" },
        include: { images: true, report: true },
      });
    // the fingerprint before versioning: sorted image hashes and full-text hashes only
    const v1 = async () => {
      const studies = await snapshot();
      const hashes = studies.flatMap((st) => [...st.images.map((i) => i.sha256), st.report!.sha256]).sort();
      return sha(hashes.map((h) => `${h}\n`).join(""));
    };
    const run = () => ingest(database.prisma, manifest(root), { name: "edits" });

    writeRows();
    const first = await run();
    expect(first).toMatchObject({ status: "ready", added: 3, updated: 0 });
    const before = await snapshot();

    // Edit one impression (the benchmark's default text): exactly that report changes, in place.
    rows[1]!.impression = "Small left effusion.";
    writeRows();
    const edited = await run();
    expect(edited).toMatchObject({ added: 0, updated: 1, existing: 2 });
    expect(edited.changes).toMatchObject({ sections: 1, report: 1, views: 0, images: 0, labels: 0 });
    expect(edited.fingerprint).not.toBe(first.fingerprint);
    const afterEdit = await snapshot();
    expect(afterEdit[0]).toEqual(before[0]);
    expect(afterEdit[2]).toEqual(before[2]);
    expect(afterEdit[1]!.report).toMatchObject({
      id: before[1]!.report!.id,
      impression: "Small left effusion.",
    });
    expect(afterEdit[1]!.images).toEqual(before[1]!.images);

    // An unchanged source writes nothing and keeps the fingerprint.
    const same = await run();
    expect(same).toMatchObject({ updated: 0, existing: 3, fingerprint: edited.fingerprint });

    // Change one view: that image row changes, and the fingerprint.
    rows[2]!.view = "PA";
    writeRows();
    const viewed = await run();
    expect(viewed).toMatchObject({ updated: 1, existing: 2 });
    expect(viewed.changes).toMatchObject({ views: 1, sections: 0, report: 0 });
    expect(viewed.fingerprint).not.toBe(edited.fingerprint);
    const afterView = await snapshot();
    expect(afterView[2]!.images[0]).toEqual({ ...before[2]!.images[0]!, view: "PA" });
    expect(afterView.slice(0, 2)).toEqual(afterEdit.slice(0, 2));

    // Labels are updated and counted, but do not enter the fingerprint (the benchmark does not read them).
    rows[0]!.labels = { x: 1 };
    writeRows();
    const labelled = await run();
    expect(labelled).toMatchObject({ updated: 1, fingerprint: viewed.fingerprint });
    expect(labelled.changes.labels).toBe(1);
    expect(JSON.parse((await snapshot())[0]!.labelsJson!)).toEqual({ x: 1 });

    // Re-pair two reports with each other's images: the old fingerprint cannot see it, this one does.
    const v1Before = await v1();
    [rows[0]!.image, rows[1]!.image] = [rows[1]!.image, rows[0]!.image];
    writeRows();
    const repaired = await run();
    expect(repaired).toMatchObject({ updated: 2, existing: 1 });
    expect(repaired.changes.images).toBe(2);
    expect(await v1()).toBe(v1Before);
    expect(repaired.fingerprint).not.toBe(labelled.fingerprint);
    const afterRepair = await snapshot();
    expect(afterRepair[0]!.images.map((i) => i.externalId)).toEqual(["b.png"]);
    expect(afterRepair[1]!.images.map((i) => i.externalId)).toEqual(["a.png"]);
    expect(await database.prisma.image.count({ where: { study: { dataset: { name: "edits" } } } })).toBe(3);
  });

  it("decodes every image as the encoders do and says why each skipped one was skipped", async () => {
    const root = tempDir();
    const outside = tempDir();
    dirs.push(root, outside);
    await image(path.join(root, "good.png"), 90);
    await image(path.join(root, "whole.jpg"), 120, "jpeg", 64);
    const jpeg = readFileSync(path.join(root, "whole.jpg"));
    writeFileSync(path.join(root, "truncated.jpg"), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    // 12-bit MONOCHROME1, as CR chest radiographs are stored
    const pixels = Array.from({ length: 40 * 30 }, (_, i) => (i * 37) % 4096);
    writeFileSync(
      path.join(root, "cr.dcm"),
      greyDicom({ rows: 30, columns: 40, pixels, photometric: "MONOCHROME1" }),
    );
    writeFileSync(path.join(root, "page.png"), "<!DOCTYPE html><html><body>Sign in</body></html>");
    writeFileSync(path.join(root, "empty.png"), "");
    // a PNG whose header claims 20000x20000 pixels: refused from the header, nothing decoded
    const png = Buffer.from(readFileSync(path.join(root, "good.png")));
    png.writeUInt32BE(20_000, 16);
    png.writeUInt32BE(20_000, 20);
    png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
    writeFileSync(path.join(root, "huge.png"), png);
    await image(path.join(outside, "elsewhere.png"), 10);
    symlinkSync(path.join(outside, "elsewhere.png"), path.join(root, "link.png"));
    const rows = [
      { study_id: "good", image: "good.png", view: "PA", impression: "One." },
      { study_id: "trunc", image: "truncated.jpg", view: "PA", impression: "Two." },
      { study_id: "dicom", image: "cr.dcm", view: "PA", impression: "Three." },
      { study_id: "html", image: "page.png", impression: "Four." },
      { study_id: "empty", image: "empty.png", impression: "Five." },
      { study_id: "huge", image: "huge.png", impression: "Eight." },
      { study_id: "link", image: "link.png", impression: "Six." },
      { study_id: "textonly", impression: "Seven." },
    ];
    writeFileSync(path.join(root, "manifest.jsonl"), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const summary = await ingest(database.prisma, manifest(root), { name: "decoding" });
    expect(summary).toMatchObject({
      status: "ready",
      added: 3,
      studies: 3,
      images: 2,
      studiesWithoutImages: 1,
    });
    const detail = (study: string) =>
      summary.skippedItems.find((i) => i.level === "image" && i.item.startsWith(`${study}/`));
    expect(detail("trunc")).toMatchObject({ reason: "undecodable-image" });
    expect(detail("trunc")!.detail).toMatch(/^truncated\.jpg: TRUNCATED: /);
    expect(detail("html")!.detail).toBe("page.png: UNSUPPORTED_FORMAT: an HTML page, not an image");
    expect(detail("empty")!.detail).toMatch(/^empty\.png: EMPTY: /);
    expect(detail("huge")!.detail).toMatch(
      /^huge\.png: TOO_LARGE: 20000x20000 = 400000000 pixels is over the limit/,
    );
    expect(detail("link")).toMatchObject({ reason: "link-outside-root" });
    expect(detail("link")!.detail).toMatch(/symbolic link .*outside the dataset root/);
    const dicom = await database.prisma.image.findFirstOrThrow({ where: { externalId: "cr.dcm" } });
    expect(dicom).toMatchObject({
      width: 40,
      height: 30,
      view: "PA",
      sha256: sha(readFileSync(path.join(root, "cr.dcm"))),
    });
  });

  it("an ingest that takes nothing of N studies fails and leaves the dataset not ready", async () => {
    const root = tempDir();
    dirs.push(root);
    writeFileSync(path.join(root, "bad.png"), "not a png");
    const rows = [
      { study_id: "m1", image: "missing.png", impression: "One." },
      { study_id: "m2", image: "bad.png", impression: "Two." },
    ];
    writeFileSync(path.join(root, "manifest.jsonl"), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const failure = await ingest(database.prisma, manifest(root), { name: "nothing" }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(EmptyIngestError);
    const summary = (failure as EmptyIngestError).summary;
    expect(summary).toMatchObject({ status: "failed", added: 0, studies: 0, fingerprint: null });
    expect(summary.skipped.study).toBe(2);
    expect((failure as Error).message).toMatch(/all 2 studies were skipped/);
    const row = await database.prisma.dataset.findUniqueOrThrow({ where: { name: "nothing" } });
    expect(row).toMatchObject({ status: "failed", fingerprint: null });

    // fixed, the same ingest becomes ready
    await image(path.join(root, "missing.png"), 50);
    const fixed = await ingest(database.prisma, manifest(root), { name: "nothing" });
    expect(fixed).toMatchObject({ status: "ready", added: 1 });
  });

  it("a fingerprint stored before versioning reads as version 1, and the next ingest rewrites it as version 2", async () => {
    const root = tempDir();
    dirs.push(root);
    await image(path.join(root, "a.png"), 70);
    writeFileSync(
      path.join(root, "manifest.jsonl"),
      `${JSON.stringify({ study_id: "o1", image: "a.png", view: "PA", impression: "Old." })}\n`,
    );
    const first = await ingest(database.prisma, manifest(root), { name: "old" });
    // as an ingest before versioning left it: bare sha256 hex on the dataset and its split
    const v1 = sha("an old fingerprint");
    await database.prisma.dataset.update({ where: { id: first.datasetId }, data: { fingerprint: v1 } });
    await database.prisma.split.updateMany({
      where: { datasetId: first.datasetId },
      data: { fingerprint: v1 },
    });
    const listed = (await listDatasets(database.prisma)).find((d) => d.name === "old")!;
    expect(listed).toMatchObject({ fingerprint: v1, fingerprintVersion: 1 });
    expect(listed.splits[0]).toMatchObject({ fingerprint: v1, fingerprintVersion: 1 });
    expect(fingerprintVersion("v7:" + v1)).toBe(7);
    expect(fingerprintVersion("not a fingerprint")).toBeUndefined();

    const again = await ingest(database.prisma, manifest(root), { name: "old" });
    expect(again).toMatchObject({
      updated: 0,
      existing: 1,
      fingerprint: first.fingerprint,
      fingerprintVersion: 2,
    });
    const relisted = (await listDatasets(database.prisma)).find((d) => d.name === "old")!;
    expect(relisted).toMatchObject({ fingerprint: first.fingerprint, fingerprintVersion: 2 });
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
      expect(summary.studiesWithoutImages).toBe(3851);
      expect(shown?.splits).toEqual([
        {
          name: "test",
          studies: 3851,
          images: 0,
          fingerprint: summary.splits[0]!.fingerprint,
          fingerprintVersion: 2,
        },
      ]);
    } finally {
      await database.close();
      await temp.drop();
    }
  }, 300_000);
});
