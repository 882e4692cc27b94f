import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reference } from "../../../test/support/reference.ts";
import { chexpertPlus, findAdapter, iuCsv, iuXml, manifest, mimicCxrJpg } from "../src/adapters/index.ts";
import { DatasetError, resolveInside } from "../src/io.ts";
import {
  chexpertPlusTree,
  collect,
  iuCsvTree,
  iuXmlTree,
  MIMIC_REPORT,
  manifestTree,
  mimicTree,
  tempDir,
} from "./fixtures.ts";

const roots: string[] = [];
const track = (root: string) => {
  roots.push(root);
  return root;
};
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const reasons = (skips: { item: string; reason: string }[]) =>
  skips.map((s) => `${s.item}:${s.reason}`).sort();

describe("MIMIC-CXR-JPG", () => {
  it("streams studies with views, labels and parsed reports, and reports every bad item", async () => {
    const root = track(await mimicTree());
    const source = mimicCxrJpg(root);
    expect(await source.estimateTotal()).toBe(6);
    const { studies, skips } = await collect(source.events());
    expect(studies.map((s) => s.externalId)).toEqual(["s50000001", "s50000002"]);
    const [s1, s2] = studies;
    expect(s1).toMatchObject({ split: "train", patientId: "p10000032" });
    expect(s1!.images.map((i) => [i.externalId, i.view])).toEqual([
      ["d1", "PA"],
      ["d2", "LATERAL"],
    ]);
    expect(s1!.images[0]!.path).toBe(path.join(root, "files/p10/p10000032/s50000001/d1.jpg"));
    expect(s1!.report).toEqual({
      fullText: MIMIC_REPORT,
      findings: "The lungs are clear. No pleural effusion or pneumothorax.",
      impression: "No acute cardiopulmonary process.",
    });
    expect(s1!.labels).toEqual({ Atelectasis: null, Cardiomegaly: 0, "No Finding": 1 });
    expect(s2).toMatchObject({
      split: "validate",
      labels: { Atelectasis: 1, Cardiomegaly: -1, "No Finding": null },
    });
    expect(s2!.report.impression).toBe("Small left effusion. Dr. ___ notified.");
    expect(s2!.images.map((i) => i.externalId)).toEqual(["d3"]);
    expect(reasons(skips)).toEqual([
      "mimic-cxr-2.0.0-split.csv.gz:9:missing-column",
      "s50000002/d4:missing-file",
      "s50000003:missing-file",
      "s50000004:non-utf8",
      "s50000005/d7:missing-file",
      "s50000005:no-images",
    ]);
  });

  it("keeps text-only studies when asked, and fails clearly without the split file", async () => {
    const root = track(await mimicTree());
    const { studies } = await collect(mimicCxrJpg(root, { textOnly: true }).events());
    expect(studies.map((s) => s.externalId)).toContain("s50000005");
    await expect(collect(mimicCxrJpg(track(tempDir())).events())).rejects.toThrow(DatasetError);
  });
});

describe("IU X-ray (Open-i XML + PNG)", () => {
  it("reads sections and images, views from indiana_projections.csv, and skips bad files", async () => {
    const root = track(await iuXmlTree());
    const source = iuXml(root);
    expect(await source.estimateTotal()).toBe(5);
    const { studies, skips } = await collect(source.events());
    expect(studies.map((s) => s.externalId)).toEqual(["1", "2"]);
    const [one, two] = studies;
    expect(one!.split).toBe("test");
    expect(one!.report.findings).toBe(
      "The cardiac silhouette and mediastinum size are within normal limits. There is no pulmonary edema.",
    );
    expect(one!.report.impression).toBe("Normal chest x-XXXX.");
    expect(one!.report.fullText).toContain("INDICATION: Positive TB test\n\nFINDINGS: The cardiac");
    expect(one!.images.map((i) => [i.externalId, i.view])).toEqual([
      ["CXR1_1_IM-0001-3001.png", "LATERAL"],
      ["CXR1_1_IM-0001-4001.png", "FRONTAL"],
    ]);
    expect(two!.report).toMatchObject({
      findings: "Borderline cardiomegaly. Midline sternotomy XXXX & clips.",
      impression: null,
    });
    expect(one!.labels).toEqual({ mesh: ["normal"], automatic: [] });
    expect(reasons(skips)).toEqual([
      "1:duplicate-id",
      "2/CXR2_IM-0652-2001.png:missing-file",
      "3.xml:malformed-record",
      "4.xml:non-utf8",
    ]);
  });

  it("ingests text only when the PNG folder is absent", async () => {
    const root = track(await iuXmlTree(false));
    const { studies, skips } = await collect(iuXml(root, { split: "all" }).events());
    expect(studies.map((s) => [s.externalId, s.split, s.images.length])).toEqual([
      ["1", "all", 0],
      ["2", "all", 0],
    ]);
    expect(skips.filter((s) => s.reason === "missing-file")).toEqual([]);
  });
});

describe("IU X-ray CSV pair", () => {
  it("reads quoted fields, composes the full text and skips duplicates and empty reports", async () => {
    const root = track(iuCsvTree());
    const { studies, skips } = await collect(iuCsv(root).events());
    expect(studies.map((s) => s.externalId)).toEqual(["1", "2", "3"]);
    expect(studies[1]!.report).toEqual({
      fullText:
        "EXAMINATION: Chest, 2 views\n\nINDICATION: Preop.\n\nCOMPARISON: None.\n\nFINDINGS: Borderline cardiomegaly.\nClear lungs.\n\nIMPRESSION: No acute pulmonary findings.",
      findings: "Borderline cardiomegaly. Clear lungs.",
      impression: "No acute pulmonary findings.",
    });
    expect(studies[1]!.labels).toEqual({
      mesh: ["Cardiomegaly/borderline", "Pulmonary Artery/enlarged"],
      problems: ["Cardiomegaly", "Pulmonary Artery"],
    });
    expect(studies[2]!.report).toMatchObject({ findings: null, impression: "No displaced rib fractures." });
    expect(studies.every((s) => s.images.length === 0)).toBe(true);
    expect(reasons(skips)).toEqual(["2:duplicate-id", "4:empty-report"]);
  });

  it("attaches images from images/images_normalized when present", async () => {
    const root = track(iuCsvTree());
    const { image } = await import("./fixtures.ts");
    await image(path.join(root, "images/images_normalized/1_IM-0001-4001.dcm.png"), 10);
    const { studies, skips } = await collect(iuCsv(root).events());
    expect(studies[0]!.images.map((i) => [i.externalId, i.view])).toEqual([
      ["1_IM-0001-4001.dcm.png", "FRONTAL"],
    ]);
    expect(reasons(skips)).toContain("1/1_IM-0001-3001.dcm.png:missing-file");
  });

  it("reports non-UTF-8 rows and broken quoting per line and goes on", async () => {
    const root = track(tempDir());
    const rows = Buffer.concat([
      Buffer.from("uid,MeSH,Problems,image,indication,comparison,findings,impression\n"),
      Buffer.from("1,normal,normal,x,y,z,Clear.,Normal.\n"),
      Buffer.from("2,normal,normal,x,y,z,caf"),
      Buffer.from([0xe9]),
      Buffer.from(",Normal.\n"),
      Buffer.from("3,normal\n"),
      Buffer.from("4,normal,normal,x,y,z,Clear.,Normal.\n"),
    ]);
    writeFileSync(path.join(root, "indiana_reports.csv"), rows);
    const { studies, skips } = await collect(iuCsv(root).events());
    expect(studies.map((s) => s.externalId)).toEqual(["1", "4"]);
    expect(skips.map((s) => `${s.item}:${s.reason}`)).toEqual([
      "indiana_reports.csv:3:non-utf8",
      "indiana_reports.csv:4:missing-column",
    ]);
    writeFileSync(path.join(root, "indiana_reports.csv"), "uid,findings\n1,x\n");
    await expect(collect(iuCsv(root).events())).rejects.toThrow(/missing column\(s\) impression/);
  });

  const iu = reference("iu-reports");
  it.skipIf(!iu)("reads the 3,851 real reports with the README's section counts", async () => {
    const { studies, skips } = await collect(iuCsv(iu!).events());
    expect(studies.length + skips.filter((s) => s.level === "study").length).toBe(3851);
    expect(skips.filter((s) => s.level === "record")).toEqual([]);
    const findings = studies.filter((s) => s.report.findings !== null).length;
    const impressions = studies.filter((s) => s.report.impression !== null).length;
    const both = studies.filter((s) => s.report.findings !== null && s.report.impression !== null).length;
    expect([findings, impressions, both]).toEqual([3337, 3820, 3331]);
  });
});

describe("CheXpert Plus", () => {
  it("groups image rows into studies, finds PNGs, reads section columns", async () => {
    const root = track(await chexpertPlusTree());
    const source = chexpertPlus(root);
    expect(await source.estimateTotal()).toBe(3);
    const { studies, skips } = await collect(source.events());
    expect(studies.map((s) => [s.externalId, s.split, s.patientId])).toEqual([
      ["patient00001/study1", "train", "patient00001"],
      ["patient00001/study2", "valid", "patient00001"],
    ]);
    expect(studies[0]!.images.map((i) => i.view)).toEqual(["PA", "LATERAL"]);
    expect(studies[0]!.images[0]!.path).toBe(
      path.join(root, "PNG/train/patient00001/study1/view1_frontal.png"),
    );
    expect(studies[0]!.report).toEqual({
      fullText: "NARRATIVE: CHEST 2 VIEWS.\n\nFINDINGS: Lungs clear.\n\nIMPRESSION: No acute process.",
      findings: "Lungs clear.",
      impression: "No acute process.",
    });
    // empty section columns: parsed from the report text
    expect(studies[1]!.report.impression).toBe("Cardiomegaly.");
    expect(reasons(skips)).toEqual([
      "df_chexpert_plus_240401.csv:14:malformed-record", // line numbers count the reports' line breaks
      "patient00002/study1/train/patient00002/study1/view1_frontal.jpg:missing-file",
      "patient00002/study1:no-images",
    ]);
  });
});

describe("generic manifest", () => {
  it("merges rows per study and reports traversal, bad lines, conflicts and missing files", async () => {
    const root = track(await manifestTree());
    const { studies, skips } = await collect(manifest(root).events());
    expect(studies.map((s) => s.externalId)).toEqual(["st1", "st2", "st6"]);
    const [st1, st2, st6] = studies;
    expect(st1!.images.map((i) => [i.externalId, i.view])).toEqual([
      ["images/a.png", "PA"],
      ["images/b.png", "LATERAL"],
    ]);
    expect(st1!.report).toEqual({
      fullText: "FINDINGS: clear.\nIMPRESSION: normal.",
      findings: "clear.",
      impression: "normal.",
    });
    expect(st2).toMatchObject({ split: "test", patientId: "P9", labels: { "Pleural Effusion": 1 } });
    expect(st2!.report.fullText).toBe("FINDINGS: Small right effusion.\n\nIMPRESSION: Right effusion.");
    expect(st6).toMatchObject({ split: "test", images: [] });
    expect(reasons(skips)).toEqual([
      "evil/../../etc/passwd:path-outside-root",
      "evil:no-images",
      "manifest.jsonl:5:malformed-record",
      "manifest.jsonl:6:non-utf8",
      "st2:duplicate-id",
      "st4/images/missing.png:missing-file",
      "st4:no-images",
      "st5:empty-report",
    ]);
    // no skip detail carries report text
    expect(skips.map((s) => s.detail).join(" ")).not.toMatch(/Different|clear\./);
  });

  it("reads manifest.csv with a JSON labels column", async () => {
    const root = track(await manifestTree());
    writeFileSync(
      path.join(root, "data.csv"),
      'study_id,image_path,split,view,findings,impression,labels\nc1,images/a.png,val,PA,Clear.,Normal.,"{""No Finding"":1}"\nc2,images/b.png,val,AP,,Effusion.,not-json\n',
    );
    const { studies, skips } = await collect(manifest(path.join(root, "data.csv")).events());
    expect(studies).toHaveLength(1);
    expect(studies[0]).toMatchObject({ externalId: "c1", split: "val", labels: { "No Finding": 1 } });
    expect(reasons(skips)).toEqual(["data.csv:3:malformed-record"]);
  });

  const sample = reference("cxr-sample");
  it.skipIf(!sample)("reads the shared cxr-sample manifest, images present or reported missing", async () => {
    const { studies, skips } = await collect(manifest(sample!).events());
    expect(studies.length).toBeGreaterThan(0);
    expect(skips.every((s) => ["missing-file", "no-images", "duplicate-id"].includes(s.reason))).toBe(true);
    expect(studies.every((s) => s.images.every((i) => i.path.startsWith(sample!)))).toBe(true);
  });
});

describe("paths and registry", () => {
  it("keeps paths inside the root", async () => {
    const root = track(tempDir());
    expect(await resolveInside(root, "a/b.png")).toBe(path.join(root, "a/b.png"));
    expect(await resolveInside(root, "../../etc/passwd")).toBeUndefined();
    expect(await resolveInside(root, "/etc/passwd")).toBeUndefined();
    expect(await resolveInside(root, "a/../../x")).toBeUndefined();
    expect(await resolveInside(root, "")).toBeUndefined();
  });

  it("finds adapters by name and alias", () => {
    expect(findAdapter("MIMIC")?.name).toBe("mimic-cxr-jpg");
    expect(findAdapter("iu-xray")?.name).toBe("iu-xray");
    expect(findAdapter("indiana")?.name).toBe("iu-csv");
    expect(findAdapter("nope")).toBeUndefined();
  });
});
