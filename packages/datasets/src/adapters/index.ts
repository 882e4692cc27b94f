import type { DatasetSource } from "../types.ts";
import { chexpertPlus } from "./chexpert-plus.ts";
import { iuCsv, iuXml } from "./iu.ts";
import { manifest } from "./manifest.ts";
import { mimicCxrJpg } from "./mimic.ts";

export { chexpertPlus } from "./chexpert-plus.ts";
export { iuCsv, iuXml } from "./iu.ts";
export { findManifest, manifest } from "./manifest.ts";
export { mimicCxrJpg } from "./mimic.ts";

export interface AdapterOptions {
  /** Split for sources without one (IU X-ray, manifests without a split column). */
  split?: string;
  /** Keep studies whose images are all missing (MIMIC, CheXpert Plus). */
  textOnly?: boolean;
  imagesDir?: string;
  reportsDir?: string;
}

export interface AdapterInfo {
  name: string;
  aliases: string[];
  description: string;
  open(root: string, options: AdapterOptions): DatasetSource;
}

export const ADAPTERS: AdapterInfo[] = [
  {
    name: "mimic-cxr-jpg",
    aliases: ["mimic", "mimic-cxr"],
    description: "MIMIC-CXR-JPG: files/pXX/pN/sN/*.jpg, split/metadata/chexpert .csv.gz, reports sN.txt",
    open: (root, o) => mimicCxrJpg(root, { reportsDir: o.reportsDir, textOnly: o.textOnly }),
  },
  {
    name: "iu-xray",
    aliases: ["iu", "openi", "open-i", "iu-xml"],
    description: "IU X-ray / Open-i archives: ecgen-radiology/*.xml reports + NLMCXR PNGs",
    open: (root, o) => iuXml(root, { split: o.split, imagesDir: o.imagesDir, reportsDir: o.reportsDir }),
  },
  {
    name: "iu-csv",
    aliases: ["indiana"],
    description: "IU X-ray CSV pair: indiana_reports.csv + indiana_projections.csv (images optional)",
    open: (root, o) => iuCsv(root, { split: o.split, imagesDir: o.imagesDir }),
  },
  {
    name: "chexpert-plus",
    aliases: ["chexpert"],
    description: "CheXpert Plus: df_chexpert_plus_240401.csv with report section columns",
    open: (root, o) => chexpertPlus(root, { textOnly: o.textOnly }),
  },
  {
    name: "manifest",
    aliases: ["jsonl", "csv", "synthetic"],
    description:
      "Generic manifest.jsonl / manifest.csv: image path(s), report or sections, study id, split, view, labels",
    open: (root, o) => manifest(root, { defaultSplit: o.split }),
  },
];

export function findAdapter(name: string): AdapterInfo | undefined {
  const key = name.trim().toLowerCase();
  return ADAPTERS.find((a) => a.name === key || a.aliases.includes(key));
}
