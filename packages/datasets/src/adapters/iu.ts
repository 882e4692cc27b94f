import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { DatasetError, decodeUtf8, isDirectory, isFile, readCsv } from "../io.ts";
import { type AdapterEvent, type DatasetSource, type Labels, skip } from "../types.ts";
import { type ImageCandidate, reportFromParts, resolveImages, SeenIds } from "./common.ts";

/**
 * IU X-ray (Open-i, NLM), two layouts. Study ids are the IU report numbers ("1" .. "3999"), the
 * same in both, so the XML and CSV forms of one collection agree. IU has no official split: every
 * study goes to `split` (default "test", the whole collection as an evaluation set, as CXR-CLIP
 * uses it).
 *
 * 1. Open-i archives (iu-xray): NLMCXR_reports.tgz -> ecgen-radiology/<n>.xml; NLMCXR_png.tgz ->
 *    CXR<n>_<k>_IM-<a>-<b>.png. Reports: <root>/ecgen-radiology (or <root>); images: the first of
 *    <root>/NLMCXR_png, <root>/png, <root>/images, <root> that holds PNGs. Each XML names its
 *    images as <parentImage id="CXR1_1_IM-0001-4001">. Views come from indiana_projections.csv
 *    when it lies in the root; otherwise they are unknown. No PNG folder: text only.
 * 2. The CSV pair (iu-csv): indiana_reports.csv (uid, MeSH, Problems, image, indication,
 *    comparison, findings, impression) + indiana_projections.csv (uid, filename, projection);
 *    images from <root>/images/images_normalized, <root>/images or <root>/images_normalized when
 *    present, otherwise text only.
 * The full text is the labelled sections joined (EXAMINATION, INDICATION, COMPARISON, FINDINGS,
 * IMPRESSION); findings and impression are the source's own fields, whitespace-normalised.
 */
export interface IuOptions {
  split?: string;
  imagesDir?: string;
  reportsDir?: string;
}

const VIEW: Record<string, string> = { frontal: "FRONTAL", lateral: "LATERAL" };

/** The first candidate folder holding PNGs, or else one of its subfolders that does (an archive's top folder). */
async function firstDirWithPng(candidates: string[]): Promise<string | undefined> {
  const hasPng = (names: string[]) => names.some((n) => n.toLowerCase().endsWith(".png"));
  for (const dir of candidates) {
    if (!(await isDirectory(dir))) continue;
    const entries = await readdir(dir, { withFileTypes: true });
    if (hasPng(entries.map((e) => e.name))) return dir;
    for (const entry of entries) {
      if (entry.isDirectory() && hasPng(await readdir(path.join(dir, entry.name))))
        return path.join(dir, entry.name);
    }
  }
  return undefined;
}

/** indiana_projections.csv as uid -> [{filename, view}]. */
async function readProjections(
  file: string,
  onSkip: (event: AdapterEvent) => void,
): Promise<Map<string, { filename: string; view: string | null }[]>> {
  const byUid = new Map<string, { filename: string; view: string | null }[]>();
  for await (const item of readCsv(file, { required: ["uid", "filename"] })) {
    if (!item.ok) {
      onSkip(skip("record", `${path.basename(file)}:${item.line}`, item.reason, item.detail));
      continue;
    }
    const uid = item.row.uid!.trim();
    const list = byUid.get(uid) ?? [];
    const projection = (item.row.projection ?? "").trim();
    list.push({
      filename: item.row.filename!.trim(),
      view: VIEW[projection.toLowerCase()] ?? (projection || null),
    });
    byUid.set(uid, list);
  }
  return byUid;
}

/** Open-i "CXR1_1_IM-0001-4001" and Kaggle "1_IM-0001-4001.dcm.png" meet on uid + "IM-0001-4001". */
function imageKey(uid: string, name: string): string {
  const im = /IM-\d+-\d+/i.exec(name);
  return `${uid}:${im ? im[0].toUpperCase() : name}`;
}

function textOf(node: unknown): string {
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (node && typeof node === "object" && "#text" in node)
    return String((node as { "#text": unknown })["#text"]);
  return "";
}

export function iuXml(rootArg: string, options: IuOptions = {}): DatasetSource {
  const root = path.resolve(rootArg);
  const split = options.split ?? "test";
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    isArray: (name) =>
      name === "AbstractText" || name === "parentImage" || name === "major" || name === "automatic",
  });

  async function reportsDir(): Promise<string> {
    if (options.reportsDir) return path.resolve(options.reportsDir);
    const candidate = path.join(root, "ecgen-radiology");
    return (await isDirectory(candidate)) ? candidate : root;
  }

  async function xmlFiles(): Promise<string[]> {
    const dir = await reportsDir();
    if (!(await isDirectory(dir)))
      throw new DatasetError("SOURCE_NOT_FOUND", `IU X-ray reports folder not found: ${dir}`);
    const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith(".xml"));
    names.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b));
    return names.map((n) => path.join(dir, n));
  }

  async function* events(): AsyncGenerator<AdapterEvent> {
    const files = await xmlFiles();
    if (files.length === 0)
      throw new DatasetError("SOURCE_NOT_FOUND", `no ecgen-radiology XML reports under ${root}`);
    const imagesDir = options.imagesDir
      ? path.resolve(options.imagesDir)
      : await firstDirWithPng(["NLMCXR_png", "png", "images", "."].map((d) => path.join(root, d)));
    const pending: AdapterEvent[] = [];
    const projectionsFile = path.join(root, "indiana_projections.csv");
    const views = new Map<string, string | null>();
    if (await isFile(projectionsFile)) {
      for (const [uid, list] of await readProjections(projectionsFile, (e) => pending.push(e))) {
        for (const p of list) views.set(imageKey(uid, p.filename), p.view);
      }
    }
    yield* pending;
    const seen = new SeenIds();
    for (const file of files) {
      const name = path.basename(file);
      const text = decodeUtf8(await readFile(file));
      if (text === undefined) {
        yield skip("record", name, "non-utf8", `${name} is not valid UTF-8`);
        continue;
      }
      const valid = XMLValidator.validate(text);
      if (valid !== true) {
        yield skip("record", name, "malformed-record", `${name}: ${valid.err.msg} (line ${valid.err.line})`);
        continue;
      }
      // biome-ignore lint/suspicious/noExplicitAny: the XML's shape is checked field by field below
      const doc = parser.parse(text) as any;
      const citation = doc?.eCitation;
      const uid = String(
        citation?.IUXRId?.["@_id"] ?? citation?.uId?.["@_id"]?.replace(/^CXR/, "") ?? "",
      ).trim();
      if (uid === "") {
        yield skip("record", name, "missing-column", `${name} has no IUXRId or uId`);
        continue;
      }
      const duplicate = seen.check(uid, name);
      if (duplicate) {
        yield duplicate;
        continue;
      }
      const abstract: unknown[] = citation?.MedlineCitation?.Article?.Abstract?.AbstractText ?? [];
      const sections: [string, string][] = [];
      for (const node of abstract) {
        const label = String((node as Record<string, unknown>)?.["@_Label"] ?? "").toUpperCase();
        if (label) sections.push([label, textOf(node)]);
      }
      const field = (label: string) => sections.find(([l]) => l === label)?.[1] ?? null;
      const report = reportFromParts({
        sections,
        findings: field("FINDINGS"),
        impression: field("IMPRESSION"),
      });
      if (report.fullText.trim() === "") {
        yield skip("study", uid, "empty-report", `${name} has no report text`);
        continue;
      }
      const parents: unknown[] = citation?.parentImage ?? [];
      const candidates: ImageCandidate[] = parents
        .map((p) => String((p as Record<string, unknown>)?.["@_id"] ?? "").trim())
        .filter((id) => id !== "")
        .map((id) => ({
          externalId: `${id}.png`,
          paths: [`${id}.png`],
          view: views.get(imageKey(uid, id)) ?? null,
        }));
      let images: Awaited<ReturnType<typeof resolveImages>>["images"] = [];
      if (imagesDir) {
        const resolved = await resolveImages(imagesDir, uid, candidates);
        images = resolved.images;
        yield* resolved.skips;
      }
      const mesh = citation?.MeSH;
      const labels: Labels | undefined = mesh
        ? { mesh: (mesh.major ?? []).map(textOf), automatic: (mesh.automatic ?? []).map(textOf) }
        : undefined;
      yield { type: "study", study: { externalId: uid, split, labels, images, report } };
    }
  }

  return {
    adapter: "iu-xray",
    root,
    async estimateTotal() {
      try {
        return (await xmlFiles()).length;
      } catch {
        return undefined;
      }
    },
    events,
  };
}

export function iuCsv(rootArg: string, options: IuOptions = {}): DatasetSource {
  const root = path.resolve(rootArg);
  const split = options.split ?? "test";
  const reportsFile = path.join(root, "indiana_reports.csv");
  const projectionsFile = path.join(root, "indiana_projections.csv");

  async function* events(): AsyncGenerator<AdapterEvent> {
    if (!(await isFile(reportsFile)))
      throw new DatasetError("SOURCE_NOT_FOUND", `indiana_reports.csv not found in ${root}`);
    const pending: AdapterEvent[] = [];
    const projections = (await isFile(projectionsFile))
      ? await readProjections(projectionsFile, (e) => pending.push(e))
      : new Map<string, { filename: string; view: string | null }[]>();
    yield* pending;
    const imagesDir = options.imagesDir
      ? path.resolve(options.imagesDir)
      : await firstDirWithPng(
          ["images/images_normalized", "images_normalized", "images"].map((d) => path.join(root, d)),
        );
    const seen = new SeenIds();
    const columns = ["uid", "findings", "impression"];
    for await (const item of readCsv(reportsFile, { required: columns })) {
      if (!item.ok) {
        yield skip("record", `indiana_reports.csv:${item.line}`, item.reason, item.detail);
        continue;
      }
      const row = item.row;
      const uid = row.uid!.trim();
      if (uid === "") {
        yield skip("record", `indiana_reports.csv:${item.line}`, "missing-column", "empty uid");
        continue;
      }
      const duplicate = seen.check(uid, `indiana_reports.csv:${item.line}`);
      if (duplicate) {
        yield duplicate;
        continue;
      }
      const report = reportFromParts({
        sections: [
          ["EXAMINATION", row.image],
          ["INDICATION", row.indication],
          ["COMPARISON", row.comparison],
          ["FINDINGS", row.findings],
          ["IMPRESSION", row.impression],
        ],
        findings: row.findings,
        impression: row.impression,
      });
      if (report.fullText.trim() === "") {
        yield skip("study", uid, "empty-report", `report ${uid} has no text`);
        continue;
      }
      let images: Awaited<ReturnType<typeof resolveImages>>["images"] = [];
      if (imagesDir) {
        const candidates = (projections.get(uid) ?? []).map((p) => ({
          externalId: p.filename,
          paths: [p.filename],
          view: p.view,
        }));
        const resolved = await resolveImages(imagesDir, uid, candidates);
        images = resolved.images;
        yield* resolved.skips;
      }
      const list = (value: string | undefined) =>
        (value ?? "")
          .split(";")
          .map((s) => s.trim())
          .filter(Boolean);
      const labels: Labels = { mesh: list(row.MeSH), problems: list(row.Problems) };
      yield { type: "study", study: { externalId: uid, split, labels, images, report } };
    }
  }

  return {
    adapter: "iu-csv",
    root,
    async estimateTotal() {
      if (!(await isFile(reportsFile))) return undefined;
      let n = 0;
      for await (const item of readCsv(reportsFile)) if (item.ok) n++;
      return n;
    },
    events,
  };
}
