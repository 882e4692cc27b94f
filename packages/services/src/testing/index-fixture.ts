import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { Database } from "@cxr/db";

/**
 * A small dataset written straight into the database for index and search tests: grayscale PNG
 * files whose pixels depend on the study, and reports made of the tiny test vocabulary (so the tiny
 * bundle's tokenizer gives each study a different embedding). Rows are what ingest writes; the
 * dataset is "ready".
 */

export interface SeededDataset {
  datasetId: string;
  name: string;
  images: Array<{ id: string; studyId: string; path: string; externalId: string }>;
  reports: Array<{ id: string; studyId: string; impression: string }>;
}

export interface SeedOptions {
  dir: string;
  name: string;
  studies: number;
  /** Images of study i: 1 + (i % imagesPerStudy); default 2 (alternating one and two images). */
  imagesPerStudy?: number;
  /** Studies whose first image file holds bytes that are not an image. */
  corruptImages?: number[];
  /** Studies whose report has no text at all. */
  emptyReports?: number[];
  side?: number;
}

const PHRASES = [
  "no acute cardiopulmonary process.",
  "heart size is normal.",
  "lungs are clear.",
  "small left pleural effusion.",
  "small right pleural effusion.",
  "right pneumothorax.",
  "left pneumothorax.",
  "no pleural effusion.",
];

/** The impression of study `i`: a distinct pair of phrases for the first 56 studies. */
export function fixtureImpression(i: number): string {
  const a = i % PHRASES.length;
  const b = (a + 1 + (Math.floor(i / PHRASES.length) % (PHRASES.length - 1))) % PHRASES.length;
  return `${PHRASES[a]} ${PHRASES[b]}`;
}

/** An 8-bit grayscale PNG. */
export function grayPng(side: number, pixel: (x: number, y: number) => number): Buffer {
  const raw = Buffer.alloc((side + 1) * side);
  for (let y = 0; y < side; y++) {
    raw[y * (side + 1)] = 0; // filter: none
    for (let x = 0; x < side; x++)
      raw[y * (side + 1) + 1 + x] = Math.max(0, Math.min(255, Math.round(pixel(x, y))));
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The image of study `i`, image `j`. */
export function fixtureImage(i: number, j: number, side = 16): Buffer {
  return grayPng(
    side,
    (x, y) => 128 + 120 * Math.sin((x + 1) * (i + 1) * 0.31 + (y + 1) * (j + 2) * 0.17 + i),
  );
}

export async function seedDataset(
  db: Pick<Database, "prisma">,
  options: SeedOptions,
): Promise<SeededDataset> {
  const { dir, name, studies } = options;
  const per = options.imagesPerStudy ?? 2;
  const side = options.side ?? 16;
  await mkdir(path.join(dir, "images"), { recursive: true });
  const dataset = await db.prisma.dataset.create({
    data: { name, adapter: "manifest", sourcePath: dir, status: "ingesting" },
  });
  const splits = {
    train: await db.prisma.split.create({ data: { datasetId: dataset.id, name: "train" } }),
    test: await db.prisma.split.create({ data: { datasetId: dataset.id, name: "test" } }),
  };
  const seeded: SeededDataset = { datasetId: dataset.id, name, images: [], reports: [] };
  for (let i = 0; i < studies; i++) {
    const externalId = `s${String(i).padStart(4, "0")}`;
    const split = i % 5 === 4 ? splits.test : splits.train;
    const study = await db.prisma.study.create({
      data: { datasetId: dataset.id, splitId: split.id, externalId, patientId: `p${i}` },
    });
    const count = 1 + (i % per);
    for (let j = 0; j < count; j++) {
      const corrupt = j === 0 && options.corruptImages?.includes(i);
      const bytes = corrupt ? Buffer.from("this is not an image") : fixtureImage(i, j, side);
      const file = path.join(dir, "images", `${externalId}_${j}.png`);
      await writeFile(file, bytes);
      const image = await db.prisma.image.create({
        data: {
          studyId: study.id,
          externalId: `${externalId}_${j}.png`,
          path: file,
          sha256: createHash("sha256").update(bytes).digest("hex"),
          view: j === 0 ? "PA" : "LATERAL",
          width: side,
          height: side,
          bytes: bytes.length,
        },
      });
      seeded.images.push({ id: image.id, studyId: study.id, path: file, externalId: image.externalId });
    }
    const empty = options.emptyReports?.includes(i);
    const impression = empty ? "" : fixtureImpression(i);
    const fullText = empty ? "" : `FINDINGS: ${PHRASES[(i + 3) % PHRASES.length]}\nIMPRESSION: ${impression}`;
    const report = await db.prisma.report.create({
      data: {
        studyId: study.id,
        fullText,
        findings: empty ? null : PHRASES[(i + 3) % PHRASES.length]!,
        impression: empty ? null : impression,
        sha256: createHash("sha256").update(fullText).digest("hex"),
      },
    });
    seeded.reports.push({ id: report.id, studyId: study.id, impression });
  }
  await db.prisma.dataset.update({ where: { id: dataset.id }, data: { status: "ready" } });
  return seeded;
}
