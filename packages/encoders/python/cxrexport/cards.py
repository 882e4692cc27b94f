"""Model cards (card.md) and LICENSE texts for each family."""

from __future__ import annotations

from dataclasses import dataclass

from .bundle import TOLERANCE, Verification


@dataclass(frozen=True)
class FamilyCard:
    title: str
    source: str
    paper: str
    license: str  # manifest "license" for real weights
    license_notes: str
    intended_use: str
    restrictions: str
    quirks: list[str]


NOT_CLINICAL = "Not a medical device. Not validated for diagnosis, triage or any clinical decision."

CARDS: dict[str, FamilyCard] = {
    "clip": FamilyCard(
        title="CLIP ViT-B/32",
        source="openai/CLIP (`clip.load(\"ViT-B/32\")`, weights `ViT-B-32.pt` from OpenAI's CDN) or the Hugging Face "
        "port `openai/clip-vit-base-patch32`.",
        paper="Radford et al., Learning Transferable Visual Models From Natural Language Supervision, ICML 2021 "
        "(arXiv 2103.00020).",
        license="MIT",
        license_notes="Code and weights released under the MIT license (Copyright (c) 2021 OpenAI). OpenAI's model card "
        "states that any deployed use of the model, commercial or not, is currently out of scope, and that "
        "non-deployed use such as image search in a constrained environment is also not recommended without "
        "thorough in-domain testing.",
        intended_use="Research baseline: a general-domain model, for comparison with the chest X-ray models in "
        "retrieval and occlusion-robustness benchmarks.",
        restrictions="Deployed use is out of scope (OpenAI model card). Trained on web image-text pairs, not on "
        "radiographs: expect poor retrieval on chest X-rays. " + NOT_CLINICAL,
        quirks=[
            "Text feature taken at the EOT position found as the argmax of the token ids (EOT 49407 is the largest id).",
            "Context fixed at 77 tokens; reports longer than that are truncated with the last slot set to EOT "
            "(manifest `truncation: end-token`, `padding: max_length`, pad id 0).",
            "Image: resize shorter side to 224 (bicubic), centre crop (round half to even), RGB, /255, CLIP mean/std.",
            "The tokenizer.json is the BPE of `bpe_simple_vocab_16e6.txt.gz` converted to the Hugging Face format; "
            "ftfy and the double html.unescape of the original are applied by the TypeScript tokenizer, not by this file.",
        ],
    ),
    "cxr-repair": FamilyCard(
        title="CXR-RePaiR (CLIP ViT-B/32 fine-tuned on MIMIC-CXR)",
        source="rajpurkarlab/CXR-RePaiR: `clip.load(\"ViT-B/32\")` then the fine-tuned state dict from the authors' "
        "Stanford Box link (README).",
        paper="Endo et al., Retrieval-Based Chest X-Ray Report Generation Using a Pre-trained Contrastive "
        "Language-Image Model, ML4H 2021 (PMLR 158).",
        license="MIT (code); weights per the authors' terms",
        license_notes="The repository code is MIT (Copyright (c) 2022 Stanford Machine Learning Group). The fine-tuned "
        "weights were trained on MIMIC-CXR (PhysioNet credentialed access) and are distributed by the authors under "
        "their own terms: obtain them yourself and respect the MIMIC-CXR data use agreement. Base CLIP weights: MIT, "
        "with OpenAI's out-of-scope note on deployed use.",
        intended_use="Research: image-to-report retrieval on chest radiographs and robustness benchmarking.",
        restrictions="Research use only; do not redistribute weights derived from MIMIC-CXR against its data use "
        "agreement. " + NOT_CLINICAL,
        quirks=[
            "Same graph as CLIP ViT-B/32; text feature at the EOT position (argmax of ids).",
            "Tokenizer always truncates to 77 with the last token set to EOT (manifest `truncation: end-token`).",
            "Preprocessing differs from CLIP: long side to 320 (LANCZOS, in the image's mode), pasted centred on a black "
            "320x320 `L` canvas, values kept on the 0-255 scale, 3 channels, normalised with mean 101.48761 / std "
            "83.43944, THEN a bicubic tensor resize to 224 with antialias off (torchvision 0.14 semantics; the output "
            "overshoots the input range). Order matters and is kept.",
        ],
    ),
    "medclip": FamilyCard(
        title="MedCLIP (Swin-T / ViT variant)",
        source="RyanWangZf/MedCLIP `MedCLIPModel(vision_cls=MedCLIPVisionModelViT)`, weights from the zip listed in "
        "`medclip/medclip_vit_weight.txt` (Google Cloud Storage).",
        paper="Wang et al., MedCLIP: Contrastive Learning from Unpaired Medical Images and Text, EMNLP 2022 "
        "(arXiv 2210.10163).",
        license="unclear (code MIT)",
        license_notes="The MedCLIP repository code is MIT. No license is stated for the released weights; "
        "Bio_ClinicalBERT (text backbone) is MIT; Swin-T (image backbone) is Apache-2.0. Treat the weights as "
        "research-only until the authors state otherwise.",
        intended_use="Research: image-report retrieval and robustness benchmarking on chest radiographs.",
        restrictions="Weights' license unclear: research use only, no redistribution. " + NOT_CLINICAL,
        quirks=[
            "Exported through a wrapper that calls the vision and text towers directly: MedCLIP's `encode_text` "
            "hard-codes `.cuda()`, which the export avoids.",
            "Text embedding = mean over ALL sequence positions (no attention mask, padding included) of the average of "
            "BERT hidden_states[1], [2] and [-1], then Linear(768, 512, no bias). Because padding enters the mean, "
            "padding is fixed to 77 tokens (manifest `padding: max_length`, `maxLength: 77`); the original pads to the "
            "longest text in its batch, so its embeddings depend on the batch: ours are those of a 77-token batch.",
            "Image: one grey channel (1x224x224) repeated to 3 channels inside the graph; Swin-T pooled output -> "
            "Linear(768, 512, no bias).",
            "Preprocess: pad to a black square of side max(224, w, h), resize 224 bicubic, floor centre crop, "
            "x * float32(1/255), normalise mean 0.5862785803043838, std 0.27950088968644304.",
        ],
    ),
    "cxr-clip": FamilyCard(
        title="CXR-CLIP",
        source="kakaobrain/cxr-clip (now Soombit-ai/cxr-clip), configs `clip_swin_clinical.yaml` (Swin-T + "
        "Bio_ClinicalBERT) and `clip_resnet_clinical.yaml` (ResNet-50); checkpoint tarballs from Kakao's CDN "
        "(r50_m, r50_mc, r50_mcc, swint_m, swint_mc, swint_mcc).",
        paper="You et al., CXR-CLIP: Toward Large Scale Chest X-ray Language-Image Pre-training, MICCAI 2023 "
        "(arXiv 2310.13292).",
        license="CC-BY-NC-SA-4.0",
        license_notes="The repository's LICENSE file is CC BY-NC-SA 4.0 while its README says CC BY-NC 4.0; the "
        "stricter CC BY-NC-SA 4.0 is recorded here. Non-commercial use only; derivatives under the same license.",
        intended_use="Non-commercial research: image-to-report retrieval and robustness benchmarking.",
        restrictions="Non-commercial only (CC BY-NC-SA 4.0). " + NOT_CLINICAL,
        quirks=[
            "Swin image feature = the first of the 49 final-stage tokens of `last_hidden_state` (`image_features[:, 0]`), "
            "not a pooled vector; ResNet-50 feature = 2048-d avgpool. Then a Linear projection to 512.",
            "Text feature = last_hidden_state at index attention_mask.sum(-1) - 1 (the [SEP] token); the graph takes "
            "input_ids, attention_mask and token_type_ids. Tokenizer: Bio_ClinicalBERT (lower-cased), max length 256, "
            "HF truncation, padding to the longest text.",
            "The ResNet-50 checkpoint was trained with SyncBatchNorm; it is exported as plain BatchNorm in eval mode "
            "(same parameters and running statistics).",
            "Preprocess: RGB, resize shorter side to 224 (PIL bilinear), centre crop (round half to even), /255, "
            "normalise 0.5/0.5 (Swin) or ImageNet mean/std (ResNet-50).",
        ],
    ),
}


def verification_section(v: Verification) -> str:
    return (
        "## Export verification\n\n"
        f"ONNX outputs compared with the PyTorch model on fixed sample inputs ({v.runner}):\n\n"
        f"| graph | max abs difference | tolerance |\n|---|---|---|\n"
        f"| image.onnx | {v.image_max_abs_diff:.3e} | {TOLERANCE:g} |\n"
        f"| text.onnx | {v.text_max_abs_diff:.3e} | {TOLERANCE:g} |\n"
    )


def random_banner(title: str) -> list[str]:
    return [
        f"> **RANDOM-INIT test bundle: these weights are random.** It has the architecture family, I/O contract "
        f"and pooling rules of {title} but was built with `cxr_export.py --random-init` to test the export path "
        "and the runtime. Its embeddings mean nothing: do not use it for retrieval or benchmarks. License of the "
        "random weights: MIT (this project); the tokenizer file keeps its own license.",
        "",
    ]


def export_section(weights: str, tokenizer_source: str, v: Verification) -> str:
    return "\n".join(
        [
            "## This export",
            "",
            f"- Weights: {weights}",
            f"- Tokenizer: {tokenizer_source}",
            "- Written by `packages/encoders/python/cxr_export.py`.",
            "",
            verification_section(v),
        ]
    )


def family_card(
    family: str, v: Verification, weights: str, random_init: bool, tokenizer_source: str, template_card: str | None = None
) -> str:
    """The committed card of packages/encoders/models/<id> when there is one, else the built-in text;
    then what this export did and how it was verified."""
    c = CARDS[family]
    if template_card is not None:
        title, _, body = template_card.partition("\n")
        banner = "\n" + "\n".join(random_banner(c.title)) if random_init else ""
        return f"{title}\n{banner}{body.rstrip()}\n\n" + export_section(weights, tokenizer_source, v)
    lines = [f"# {c.title}{' (random init)' if random_init else ''}", ""]
    if random_init:
        lines += random_banner(c.title)
    lines += [
        f"- Source: {c.source}",
        f"- Paper: {c.paper}",
        f"- Weights exported: {weights}",
        f"- Tokenizer: {tokenizer_source}",
        "",
        "## License",
        "",
        c.license_notes if not random_init else "Random weights generated by this project (MIT). The tokenizer file keeps "
        "its own license (see its source). For the real model: " + c.license_notes,
        "",
        "## Intended use",
        "",
        c.intended_use,
        "",
        "## Restrictions",
        "",
        c.restrictions,
        "",
        "## Quirks reproduced (from the original code, see packages/encoders/BUNDLE.md)",
        "",
        *[f"- {q}" for q in c.quirks],
        "",
        verification_section(v),
    ]
    return "\n".join(lines)


MIT_TEXT = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

LICENSES: dict[str, str] = {
    "clip": MIT_TEXT.format(holder="2021 OpenAI")
    + "\nNote (OpenAI model card): any deployed use case of the model, commercial or not, is currently out of scope.\n",
    "cxr-repair": MIT_TEXT.format(holder="2022 Stanford Machine Learning Group")
    + "\nThe above covers the CXR-RePaiR code. The fine-tuned weights are distributed by the authors under their own\n"
    "terms and were trained on MIMIC-CXR (PhysioNet Credentialed Health Data License 1.5.0); the base CLIP weights\n"
    "are MIT (Copyright (c) 2021 OpenAI), with deployed use out of scope per OpenAI's model card.\n",
    "medclip": "MedCLIP weights: no license stated by the authors (RyanWangZf/MedCLIP). Research use only until stated.\n\n"
    + MIT_TEXT.format(holder="2022 Zifeng Wang (MedCLIP code)"),
    "cxr-clip": "Attribution-NonCommercial-ShareAlike 4.0 International (CC BY-NC-SA 4.0)\n\n"
    "CXR-CLIP: Toward Large Scale Chest X-ray Language-Image Pre-training (c) 2023 Kakao Brain.\n"
    "Full legal code: https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode\n\n"
    "You may share and adapt the material for NON-COMMERCIAL purposes only, with attribution, and must distribute\n"
    "contributions under the same license. (The repository README states CC BY-NC 4.0; its LICENSE file states\n"
    "CC BY-NC-SA 4.0; the stricter one is recorded.) Pass --license-file with the checkpoint's own LICENSE to\n"
    "embed the full text.\n",
}

RANDOM_LICENSE = MIT_TEXT.format(holder="2026 cxr-retrieval contributors") + (
    "\nThis bundle holds randomly initialised weights generated by packages/encoders/python/cxr_export.py.\n"
    "Its tokenizer.json keeps the license of its source (e.g. Bio_ClinicalBERT vocabulary: MIT / Apache-2.0;\n"
    "OpenAI CLIP BPE: MIT).\n"
)
