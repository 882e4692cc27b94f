// Fixture trees in the real layouts, written into temporary folders at test time.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import type { AdapterEvent, SkipEvent, StudyRecord } from "../src/types.ts";

export function tempDir(prefix = "cxr-datasets-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

function write(file: string, data: string | Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
}

/** A small real image; `shade` makes images differ so that their hashes differ. */
export async function image(
  file: string,
  shade: number,
  format: "jpeg" | "png" = "png",
  size = 24,
): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp({
    create: { width: size, height: size + 8, channels: 3, background: { r: shade, g: shade, b: shade } },
  });
  await (format === "jpeg" ? img.jpeg() : img.png()).toFile(file);
}

export async function collect(
  events: AsyncIterable<AdapterEvent>,
): Promise<{ studies: StudyRecord[]; skips: SkipEvent[] }> {
  const studies: StudyRecord[] = [];
  const skips: SkipEvent[] = [];
  for await (const e of events) {
    if (e.type === "study") studies.push(e.study);
    else skips.push(e);
  }
  return { studies, skips };
}

export const MIMIC_REPORT = `                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)

 INDICATION:  ___F with cough

 FINDINGS:

 The lungs are clear.  No pleural effusion or pneumothorax.

 IMPRESSION:

 No acute cardiopulmonary process.
`;

/**
 * MIMIC-CXR-JPG: s50000001 (2 images, PA + LATERAL), s50000002 (one of its two images missing),
 * s50000003 (report missing), s50000004 (report not UTF-8), s50000005 (all images missing), a
 * split row with too few columns, and reports under mimic-cxr-reports/files.
 */
export async function mimicTree(): Promise<string> {
  const root = tempDir();
  const rows = [
    ["d1", "50000001", "10000032", "train", "PA"],
    ["d2", "50000001", "10000032", "train", "LATERAL"],
    ["d3", "50000002", "10000032", "validate", "AP"],
    ["d4", "50000002", "10000032", "validate", "LL"],
    ["d5", "50000003", "11000011", "test", "PA"],
    ["d6", "50000004", "11000011", "test", "PA"],
    ["d7", "50000005", "12000002", "test", "PA"],
  ];
  const split = [
    "dicom_id,study_id,subject_id,split",
    ...rows.map((r) => r.slice(0, 4).join(",")),
    "d9,50000009",
  ];
  write(path.join(root, "mimic-cxr-2.0.0-split.csv.gz"), gzipSync(`${split.join("\n")}\n`));
  const metadata = [
    "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns",
    ...rows.map((r) => `${r[0]},${r[2]},${r[1]},CHEST (PA AND LAT),${r[4]},32,24`),
  ];
  write(path.join(root, "mimic-cxr-2.0.0-metadata.csv.gz"), gzipSync(`${metadata.join("\n")}\n`));
  const chexpert = [
    "subject_id,study_id,Atelectasis,Cardiomegaly,No Finding",
    "10000032,50000001,,0.0,1.0",
    "10000032,50000002,1.0,-1.0,",
  ];
  write(path.join(root, "mimic-cxr-2.0.0-chexpert.csv.gz"), gzipSync(`${chexpert.join("\n")}\n`));
  const studyDir = (subject: string, study: string) =>
    path.join(root, "files", `p${subject.slice(0, 2)}`, `p${subject}`, `s${study}`);
  let shade = 10;
  for (const [dicom, study, subject] of rows) {
    if (dicom === "d4" || dicom === "d7") continue; // missing on disk
    shade += 20;
    await image(path.join(studyDir(subject!, study!), `${dicom}.jpg`), shade, "jpeg");
  }
  const report = (subject: string, study: string) =>
    path.join(root, "mimic-cxr-reports", "files", `p${subject.slice(0, 2)}`, `p${subject}`, `s${study}.txt`);
  write(report("10000032", "50000001"), MIMIC_REPORT);
  write(report("10000032", "50000002"), "FINDINGS AND IMPRESSION: Small left effusion. Dr. ___ notified.\n");
  write(report("11000011", "50000004"), Buffer.from([0x49, 0x4d, 0x50, 0x3a, 0x20, 0xe9, 0x74, 0xe9, 0x0a]));
  write(report("12000002", "50000005"), "IMPRESSION: normal\n");
  return root;
}

export function iuXmlReport(uid: number, images: string[], sections: Record<string, string>): string {
  const abstract = Object.entries(sections)
    .map(([label, text]) => `<AbstractText Label="${label}">${text}</AbstractText>`)
    .join("\n      ");
  const parents = images
    .map(
      (id) =>
        `<parentImage id="${id}"><figureId>F1</figureId><caption>Xray Chest PA and Lateral</caption><panel type="single"><url>/hadoop/storage/radiology/extract/${id}.jpg</url></panel></parentImage>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?>
<eCitation>
  <meta type="rr"/>
  <uId id="CXR${uid}"/>
  <pmcId id="${uid}"/>
  <docSource>CXR</docSource>
  <IUXRId id="${uid}"/>
  <licenseType>open-access</licenseType>
  <MedlineCitation Owner="Indiana University" Status="supplied by publisher">
    <Article PubModel="Electronic">
      <ArticleTitle>Indiana University Chest X-ray Collection</ArticleTitle>
      <Abstract>
      ${abstract}
      </Abstract>
    </Article>
  </MedlineCitation>
  <MeSH><major>normal</major></MeSH>
  ${parents}
</eCitation>
`;
}

/**
 * Open-i layout: ecgen-radiology/{1,2,3,4,5}.xml + NLMCXR_png/CXR*.png. 1: two images; 2: one
 * image missing of two, "&amp;" entity and XXXX placeholders; 3: malformed XML; 4: not UTF-8;
 * 5: a second file claiming IUXRId 1 (duplicate).
 */
export async function iuXmlTree(withImages = true): Promise<string> {
  const root = tempDir();
  const xml = (n: string, body: string | Buffer) =>
    write(path.join(root, "ecgen-radiology", `${n}.xml`), body);
  xml(
    "1",
    iuXmlReport(1, ["CXR1_1_IM-0001-3001", "CXR1_1_IM-0001-4001"], {
      COMPARISON: "None.",
      INDICATION: "Positive TB test",
      FINDINGS:
        "The cardiac silhouette and mediastinum size are within normal limits. There is no pulmonary edema.",
      IMPRESSION: "Normal chest x-XXXX.",
    }),
  );
  xml(
    "2",
    iuXmlReport(2, ["CXR2_IM-0652-1001", "CXR2_IM-0652-2001"], {
      FINDINGS: "Borderline cardiomegaly. Midline sternotomy XXXX &amp; clips.",
      IMPRESSION: "",
    }),
  );
  xml("3", "<eCitation><IUXRId id='3'/><MedlineCitation>unclosed</eCitation>");
  xml(
    "4",
    Buffer.concat([
      Buffer.from('<?xml version="1.0"?><eCitation><IUXRId id="4"/>'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from("</eCitation>"),
    ]),
  );
  const dup = iuXmlReport(1, [], { IMPRESSION: "Duplicate." });
  xml("5", dup);
  if (withImages) {
    await image(path.join(root, "NLMCXR_png", "CXR1_1_IM-0001-3001.png"), 40);
    await image(path.join(root, "NLMCXR_png", "CXR1_1_IM-0001-4001.png"), 60);
    await image(path.join(root, "NLMCXR_png", "CXR2_IM-0652-1001.png"), 80);
  }
  write(
    path.join(root, "indiana_projections.csv"),
    "uid,filename,projection\n1,1_IM-0001-4001.dcm.png,Frontal\n1,1_IM-0001-3001.dcm.png,Lateral\n2,2_IM-0652-1001.dcm.png,Frontal\n",
  );
  return root;
}

/** The IU CSV pair, text only unless images are added: quoted commas and newlines, a duplicate uid. */
export function iuCsvTree(): string {
  const root = tempDir();
  write(
    path.join(root, "indiana_reports.csv"),
    [
      "uid,MeSH,Problems,image,indication,comparison,findings,impression",
      `1,normal,normal,Xray Chest PA and Lateral,Positive TB test,None.,"The cardiac silhouette is normal, no edema.",Normal chest x-XXXX.`,
      `2,Cardiomegaly/borderline;Pulmonary Artery/enlarged,Cardiomegaly;Pulmonary Artery,"Chest, 2 views",Preop.,None.,"Borderline cardiomegaly.\nClear lungs.",No acute pulmonary findings.`,
      `3,normal,normal,Xray Chest PA and Lateral,"rib pain",,,"No displaced rib fractures."`,
      `4,normal,normal,,,,,`,
      `2,normal,normal,x,y,z,dup findings,dup impression`,
    ].join("\n"),
  );
  write(
    path.join(root, "indiana_projections.csv"),
    "uid,filename,projection\n1,1_IM-0001-4001.dcm.png,Frontal\n1,1_IM-0001-3001.dcm.png,Lateral\n2,2_IM-0652-1001.dcm.png,Frontal\n",
  );
  return root;
}

/** CheXpert Plus: two studies of one patient, one with frontal + lateral, images in PNG/. */
export async function chexpertPlusTree(): Promise<string> {
  const root = tempDir();
  const header =
    "path_to_image,path_to_dcm,frontal_lateral,ap_pa,deid_patient_id,patient_report_date_order,report,section_narrative,section_findings,section_impression,split";
  const report = `"NARRATIVE: CHEST 2 VIEWS.\n\nFINDINGS: Lungs clear.\n\nIMPRESSION: No acute process."`;
  const lines = [
    header,
    `train/patient00001/study1/view1_frontal.jpg,x.dcm,Frontal,PA,patient00001,1,${report},,Lungs clear.,No acute process.,train`,
    `train/patient00001/study1/view2_lateral.jpg,x.dcm,Lateral,,patient00001,1,${report},,Lungs clear.,No acute process.,train`,
    `valid/patient00001/study2/view1_frontal.jpg,x.dcm,Frontal,AP,patient00001,2,"IMPRESSION: Cardiomegaly.",,,"",valid`,
    `train/patient00002/study1/view1_frontal.jpg,x.dcm,Frontal,PA,patient00002,1,"IMPRESSION: ok",,,ok,train`,
    `nonsense/path.jpg,x,Frontal,PA,p,1,r,,,,train`,
  ];
  write(path.join(root, "df_chexpert_plus_240401.csv"), `${lines.join("\n")}\n`);
  await image(path.join(root, "PNG/train/patient00001/study1/view1_frontal.png"), 30);
  await image(path.join(root, "PNG/train/patient00001/study1/view2_lateral.png"), 50);
  await image(path.join(root, "valid/patient00001/study2/view1_frontal.jpg"), 70, "jpeg");
  return root;
}

/**
 * manifest.jsonl: st1 (two rows, one image each), st2 (images array + labels), path traversal,
 * malformed JSON, a non-UTF-8 line, a conflicting repeat of st2, a missing image, an empty report.
 */
export async function manifestTree(): Promise<string> {
  const root = tempDir();
  await image(path.join(root, "images", "a.png"), 20);
  await image(path.join(root, "images", "b.png"), 40);
  await image(path.join(root, "images", "c.png"), 60);
  const lines: (string | Buffer)[] = [
    JSON.stringify({
      study_id: "st1",
      image: "images/a.png",
      view: "PA",
      split: "train",
      report: "FINDINGS: clear.\nIMPRESSION: normal.",
    }),
    JSON.stringify({ study_id: "st1", image: "images/b.png", view: "LATERAL", split: "train" }),
    JSON.stringify({
      study_id: "st2",
      images: [{ path: "images/c.png", view: "AP" }],
      findings: "Small right effusion.",
      impression: "Right effusion.",
      labels: { "Pleural Effusion": 1 },
      split: "test",
      patient_id: "P9",
    }),
    JSON.stringify({ study_id: "evil", image: "../../etc/passwd", report: "IMPRESSION: x" }),
    "{not json",
    Buffer.concat([Buffer.from('{"study_id":"latin","report":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    JSON.stringify({ study_id: "st2", images: ["images/a.png"], impression: "Different.", split: "test" }),
    JSON.stringify({ study_id: "st4", image: "images/missing.png", report: "IMPRESSION: y" }),
    JSON.stringify({ study_id: "st5", image: "images/a.png", report: "   " }),
    JSON.stringify({ study_id: "st6", report: "IMPRESSION: text only." }),
  ];
  const body = Buffer.concat(
    lines.flatMap((l) => [typeof l === "string" ? Buffer.from(l) : l, Buffer.from("\n")]),
  );
  write(path.join(root, "manifest.jsonl"), body);
  return root;
}
