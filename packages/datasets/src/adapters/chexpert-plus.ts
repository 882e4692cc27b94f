import path from "node:path";
import { DatasetError, isFile, readCsv } from "../io.ts";
import { type AdapterEvent, type DatasetSource, skip } from "../types.ts";
import { groupRows, type ImageCandidate, reportFromParts, resolveImages, SeenIds } from "./common.ts";

/**
 * CheXpert Plus (Stanford AIMI): one CSV row per image,
 *   <root>/df_chexpert_plus_240401.csv (or the file given as `csv`): path_to_image
 *   ("train/patient42142/study5/view1_frontal.jpg"), frontal_lateral, ap_pa, deid_patient_id,
 *   report, section_findings, section_impression, ..., split ("train" | "valid").
 * Images are looked up as given under the root, then under <root>/PNG with a .png extension (the
 * PNG release). The study id is the path's patient/study part ("patient42142/study5"); the view is
 * ap_pa for frontal images and LATERAL for lateral ones. The full text is the `report` column;
 * findings and impression are its section columns.
 */
export interface ChexpertPlusOptions {
  csv?: string;
  textOnly?: boolean;
}

const DEFAULT_CSV = "df_chexpert_plus_240401.csv";

export function chexpertPlus(rootArg: string, options: ChexpertPlusOptions = {}): DatasetSource {
  const root = path.resolve(rootArg);
  const csv = path.resolve(root, options.csv ?? DEFAULT_CSV);
  const studyOf = (imagePath: string | undefined): string | undefined => {
    const parts = (imagePath ?? "").trim().replace(/\\/g, "/").split("/").filter(Boolean);
    const patient = parts.findIndex((p) => /^patient\d+$/i.test(p));
    if (patient === -1 || !parts[patient + 1]) return undefined;
    return `${parts[patient]}/${parts[patient + 1]}`;
  };

  async function* events(): AsyncGenerator<AdapterEvent> {
    if (!(await isFile(csv)))
      throw new DatasetError("SOURCE_NOT_FOUND", `${path.basename(csv)} not found in ${root}`);
    const name = path.basename(csv);
    const seen = new SeenIds();
    const required = ["path_to_image", "split"];
    const groups = groupRows(
      () => readCsv(csv, { required }),
      (item) => (item.ok ? studyOf(item.row.path_to_image) : undefined),
    );
    for await (const group of groups) {
      if (group.key === undefined) {
        const item = group.item;
        if (!item.ok) yield skip("record", `${name}:${item.line}`, item.reason, item.detail);
        else
          yield skip(
            "record",
            `${name}:${item.line}`,
            "malformed-record",
            "path_to_image names no patient/study",
          );
        continue;
      }
      const rows = group.items.flatMap((i) => (i.ok ? [i.row] : []));
      const first = rows[0]!;
      const externalId = group.key;
      const duplicate = seen.check(externalId, name);
      if (duplicate) {
        yield duplicate;
        continue;
      }
      const split = (first.split ?? "").trim();
      if (split === "") {
        yield skip("study", externalId, "no-split", "empty split column");
        continue;
      }
      const candidates: ImageCandidate[] = rows.map((r) => {
        const rel = r.path_to_image!.trim();
        const lateral = (r.frontal_lateral ?? "").trim().toLowerCase() === "lateral";
        const apPa = (r.ap_pa ?? "").trim().toUpperCase();
        return {
          externalId: rel,
          paths: [rel, path.join("PNG", rel.replace(/\.jpe?g$/i, ".png"))],
          view: lateral ? "LATERAL" : apPa || null,
        };
      });
      const { images, skips } = await resolveImages(root, externalId, candidates);
      yield* skips;
      if (images.length === 0 && !options.textOnly) {
        yield skip("study", externalId, "no-images", `none of the study's ${rows.length} images is usable`);
        continue;
      }
      const report = reportFromParts({
        fullText: first.report,
        sections: [
          ["FINDINGS", first.section_findings],
          ["IMPRESSION", first.section_impression],
        ],
        findings: first.section_findings,
        impression: first.section_impression,
      });
      if (report.fullText.trim() === "") {
        yield skip("study", externalId, "empty-report", "no report text");
        continue;
      }
      const patientId = (first.deid_patient_id ?? "").trim() || externalId.split("/")[0];
      yield { type: "study", study: { externalId, split, patientId, images, report } };
    }
  }

  return {
    adapter: "chexpert-plus",
    root,
    async estimateTotal() {
      if (!(await isFile(csv))) return undefined;
      const ids = new Set<string>();
      for await (const item of readCsv(csv)) {
        const id = item.ok ? studyOf(item.row.path_to_image) : undefined;
        if (id) ids.add(id);
      }
      return ids.size;
    },
    events,
  };
}
