import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { MODELS_DIR } from "@cxr/encoders";

/**
 * Where each known model's weights come from (models.md). Only CLIP ViT-B/32 has a ready ONNX export
 * that `pull` downloads; for the others the user fetches the published checkpoint under the authors'
 * terms and runs the export script, which writes a bundle for `cxr models add`.
 */

export const PULLABLE_MODEL = "clip-vit-b32";

export interface ModelSource {
  id: string;
  name: string;
  /** True when `pull` downloads a ready ONNX export. */
  pullable: boolean;
  license: string;
  /** Where the published weights are, exactly as the authors publish them. */
  checkpoints: Array<{ label: string; url: string }>;
  /** What the user does, in order: fetch, unpack, export, add. */
  steps: string[];
  /** The export command (from the repository root), `<...>` being the user's paths. */
  exportCommand: string;
}

const EXPORT = "python3 packages/encoders/python/cxr_export.py";

export const MODEL_SOURCES: readonly ModelSource[] = [
  {
    id: "clip-vit-b32",
    name: "CLIP ViT-B/32",
    pullable: true,
    license: "MIT (the OpenAI model card puts deployed use out of scope)",
    checkpoints: [
      {
        label:
          "ready ONNX export (Hugging Face, Xenova/clip-vit-base-patch32): what `cxr models pull` fetches",
        url: "https://huggingface.co/Xenova/clip-vit-base-patch32",
      },
      {
        label: "original weights (OpenAI CDN, clip._MODELS)",
        url: "https://openaipublic.azureedge.net/clip/models/40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
      },
    ],
    steps: [
      "`cxr models pull clip-vit-b32` downloads the ready ONNX export and adds it, or:",
      "download ViT-B-32.pt from the OpenAI CDN (and bpe_simple_vocab_16e6.txt.gz from github.com/openai/CLIP, clip/)",
      "install the export requirements on your machine (pip install -r packages/encoders/python/requirements.txt)",
      "run the export command, then `cxr models add <out>`",
    ],
    exportCommand: `${EXPORT} clip --checkpoint <ViT-B-32.pt> --tokenizer <bpe_simple_vocab_16e6.txt.gz> --id clip-vit-b32 --out <out>`,
  },
  {
    id: "cxr-repair",
    name: "CXR-RePaiR (CLIP ViT-B/32 fine-tuned on MIMIC-CXR)",
    pullable: false,
    license: "code MIT; weights per the authors' terms (Stanford Box share)",
    checkpoints: [
      {
        label: "fine-tuned CLIP state dict (Stanford Box link in github.com/rajpurkarlab/CXR-RePaiR README)",
        url: "https://stanfordmedicine.box.com/s/dbebk0jr5651dj8x1cu6b6kqyuuvz3ml",
      },
      {
        label: "base CLIP ViT-B/32 (OpenAI CDN), whose graph the state dict is loaded into",
        url: "https://openaipublic.azureedge.net/clip/models/40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
      },
    ],
    steps: [
      "download the fine-tuned state dict from the Stanford Box link (a browser is needed: Box serves a page, not the file)",
      "download ViT-B-32.pt and bpe_simple_vocab_16e6.txt.gz (github.com/openai/CLIP, clip/)",
      "install the export requirements on your machine (pip install -r packages/encoders/python/requirements.txt)",
      "run the export command, then `cxr models add <out>`",
    ],
    exportCommand: `${EXPORT} cxr-repair --checkpoint <fine-tuned state dict .pt> --base <ViT-B-32.pt> --tokenizer <bpe_simple_vocab_16e6.txt.gz> --id cxr-repair --out <out>`,
  },
  {
    id: "medclip-swin",
    name: "MedCLIP (Swin-T / ViT variant)",
    pullable: false,
    license: "unclear (code MIT); read the MedCLIP repository before any use",
    checkpoints: [
      {
        label:
          "MedCLIP ViT weights zip (Google Cloud Storage, medclip/medclip_vit_weight.txt in RyanWangZf/MedCLIP)",
        url: "https://storage.googleapis.com/pytrial/medclip-vit-pretrained.zip",
      },
    ],
    steps: [
      "download and unzip medclip-vit-pretrained.zip (a folder with pytorch_model.bin)",
      "get the Bio_ClinicalBERT tokenizer.json (emilyalsentzer/Bio_ClinicalBERT), or let the script fetch it with transformers",
      "install the export requirements on your machine (pip install -r packages/encoders/python/requirements.txt)",
      "run the export command, then `cxr models add <out>`",
    ],
    exportCommand: `${EXPORT} medclip --checkpoint <unzipped medclip-vit-pretrained folder> --tokenizer <Bio_ClinicalBERT tokenizer.json> --id medclip-swin --out <out>`,
  },
  {
    id: "cxr-clip-swin",
    name: "CXR-CLIP (Swin-Tiny + Bio_ClinicalBERT)",
    pullable: false,
    license: "CC BY-NC-SA 4.0 (non-commercial; the README says CC BY-NC 4.0)",
    checkpoints: [
      {
        label: "swint_m (MIMIC-CXR), Kakao CDN",
        url: "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/a21ef120894e072ae77434daf6b98b72/swint_m.tar",
      },
      {
        label: "swint_mc (MIMIC-CXR + CheXpert), Kakao CDN",
        url: "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/97cbbdfb347d22ea44e95a70c7b0520a/swint_mc.tar",
      },
      {
        label: "swint_mcc (MIMIC-CXR + CheXpert + ChestX-ray14), Kakao CDN",
        url: "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/a25ce760064591c899f67c97ed7790de/swint_mcc.tar",
      },
    ],
    steps: [
      "download one of the tarballs (the .tar is the torch checkpoint itself; do not unpack it)",
      "get the Bio_ClinicalBERT tokenizer.json (emilyalsentzer/Bio_ClinicalBERT), or let the script fetch it with transformers",
      "install the export requirements on your machine (pip install -r packages/encoders/python/requirements.txt)",
      "run the export command, then `cxr models add <out>`",
    ],
    exportCommand: `${EXPORT} cxr-clip --checkpoint <swint_mcc.tar> --variant mcc --tokenizer <Bio_ClinicalBERT tokenizer.json> --id cxr-clip-swin --out <out>`,
  },
  {
    id: "cxr-clip-r50",
    name: "CXR-CLIP (ResNet-50 + Bio_ClinicalBERT)",
    pullable: false,
    license: "CC BY-NC-SA 4.0 (non-commercial; the README says CC BY-NC 4.0)",
    checkpoints: [
      {
        label: "r50_m (MIMIC-CXR), Kakao CDN",
        url: "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/f982386ef38aa3ecd6ce1f8f928e8aa8/r50_m.tar",
      },
      {
        label: "r50_mc (MIMIC-CXR + CheXpert), Kakao CDN",
        url: "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/f7ebbe4ad815868905d0820dbbde3662/r50_mc.tar",
      },
      {
        label: "r50_mcc (MIMIC-CXR + CheXpert + ChestX-ray14), Kakao CDN",
        url: "https://twg.kakaocdn.net/brainrepo/models/cxr-clip/de4b5e4ae2047c1fb7960ddcd8d861cb/r50_mcc.tar",
      },
    ],
    steps: [
      "download one of the tarballs (the .tar is the torch checkpoint itself; do not unpack it)",
      "get the Bio_ClinicalBERT tokenizer.json (emilyalsentzer/Bio_ClinicalBERT), or let the script fetch it with transformers",
      "install the export requirements on your machine (pip install -r packages/encoders/python/requirements.txt)",
      "run the export command, then `cxr models add <out>`",
    ],
    exportCommand: `${EXPORT} cxr-clip --checkpoint <r50_mcc.tar> --variant mcc --tokenizer <Bio_ClinicalBERT tokenizer.json> --id cxr-clip-r50 --out <out>`,
  },
];

export function modelSource(id: string): ModelSource | undefined {
  return MODEL_SOURCES.find((s) => s.id === id);
}

/** The folder of a known model's committed template (card.md, LICENSE, manifest.json without checksums). */
export function templateDir(id: string): string | undefined {
  const dir = path.join(MODELS_DIR, id);
  return /^[a-z0-9][a-z0-9._-]*$/.test(id) && existsSync(path.join(dir, "card.md")) ? dir : undefined;
}

/** A known model's card, readable before the model is registered (packages/encoders/models/<id>/card.md). */
export interface CatalogueCard {
  id: string;
  card: string;
  /** Where to get it and how to export it, when the id is one of the known five. */
  source: ModelSource | undefined;
  templateDir: string;
}

export async function catalogueCard(id: string): Promise<CatalogueCard | undefined> {
  const dir = templateDir(id);
  if (dir === undefined) return undefined;
  return {
    id,
    card: await readFile(path.join(dir, "card.md"), "utf8"),
    source: modelSource(id),
    templateDir: dir,
  };
}
