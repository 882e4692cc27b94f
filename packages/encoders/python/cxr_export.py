#!/usr/bin/env python3
"""Export a contrastive chest X-ray / report model to a cxr-bundle/1 folder (packages/encoders/BUNDLE.md).

Subcommands: clip, cxr-repair, medclip, cxr-clip. Each writes image.onnx and text.onnx (dynamic batch
axis), tokenizer.json, card.md, LICENSE and manifest.json (sha256 of every file), then verifies the
ONNX outputs against the PyTorch model on sample inputs (max abs difference <= 1e-4, printed).

--random-init builds the same architecture family and I/O contract with random weights from
torch/torchvision only (Debian python3-torch); --tiny shrinks widths/depths, never the pooling rules.
See README.md in this folder for the exact commands per model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cxrexport.bundle import template_text, write_bundle  # noqa: E402
from cxrexport.bundle import Samples, Verification  # noqa: E402
from cxrexport.cards import LICENSES, RANDOM_LICENSE, family_card  # noqa: E402
from cxrexport.families import Built, build_clip, build_cxr_clip, build_medclip  # noqa: E402


def common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="bundle folder to write (must be empty unless --force)")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out")
    p.add_argument("--random-init", action="store_true", help="random weights, same architecture family and I/O")
    p.add_argument("--tiny", action="store_true", help="with --random-init: narrow/shallow layers (tests)")
    p.add_argument("--seed", type=int, default=0, help="seed for random weights and sample inputs")
    p.add_argument("--tokenizer", type=Path, help="tokenizer.json (or its folder; CLIP: bpe_simple_vocab_16e6.txt.gz)")
    p.add_argument("--checkpoint", help="the published weights (see README.md per family)")
    p.add_argument("--id", help="bundle id (default: derived from the family)")
    p.add_argument("--license-file", type=Path, help="embed this file as LICENSE instead of the built-in text")
    p.add_argument("--reference-out", type=Path, help="also write PyTorch embeddings of the sample inputs here (tests)")
    p.add_argument(
        "--sample-inputs",
        type=Path,
        help="folder with inputs.json (+ its .f32 pixel file): verify on these preprocessed pixels and token ids "
        "instead of seeded random ones (the TypeScript test passes its own preprocessing and tokenization)",
    )
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="family", required=True)
    p = sub.add_parser("clip", help="CLIP ViT-B/32 (openai/CLIP ViT-B-32.pt, or the Hugging Face port)")
    common(p)
    p.add_argument("--hf-model", help="Hugging Face id or folder of the port, e.g. openai/clip-vit-base-patch32")
    p = sub.add_parser("cxr-repair", help="CXR-RePaiR: CLIP ViT-B/32 graph + fine-tuned state dict")
    common(p)
    p.add_argument("--base", default="ViT-B/32", help="base CLIP for clip.load (name or ViT-B-32.pt path)")
    p = sub.add_parser("medclip", help="MedCLIP, Swin-T (ViT) variant")
    common(p)
    p = sub.add_parser("cxr-clip", help="CXR-CLIP, Swin-T or ResNet-50 checkpoint")
    common(p)
    p.add_argument("--backbone", choices=["swin", "resnet"], default="swin", help="with --random-init (real: from the checkpoint)")
    p.add_argument("--variant", help="checkpoint variant for the id, e.g. mcc (swint_mcc)")
    args = parser.parse_args(argv)
    if args.tiny and not args.random_init:
        parser.error("--tiny only applies with --random-init")
    return args


def build(args: argparse.Namespace) -> Built:
    if args.family in ("clip", "cxr-repair"):
        if args.family == "cxr-repair":
            args.hf_model = None
        return build_clip(args, args.family)
    if args.family == "medclip":
        return build_medclip(args)
    return build_cxr_clip(args)


def load_samples(folder: Path, text_inputs: list[str]) -> Samples:
    """inputs.json: {"image": {"file", "shape"}, "text": {"input_ids": [[...]], "attention_mask": ..., ...}}."""
    import numpy as np
    import torch

    doc = json.loads((folder / "inputs.json").read_text())
    pixels = np.fromfile(folder / doc["image"]["file"], dtype="<f4").reshape(doc["image"]["shape"])
    texts = {name: torch.tensor(doc["text"][name], dtype=torch.int64) for name in text_inputs}
    return Samples(torch.from_numpy(pixels.copy()), texts)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import torch

    torch.set_num_threads(max(1, args.threads))
    start = time.monotonic()
    built = build(args)
    if args.sample_inputs is not None:
        built.samples = load_samples(args.sample_inputs, list(built.samples.text))
    template_id = built.spec.template_id
    if args.license_file is not None:
        license_text = args.license_file.read_text()
    elif args.random_init:
        license_text = RANDOM_LICENSE
    else:
        notes = template_text(template_id, "LICENSE")
        license_text = LICENSES[args.family] + (f"\n---\n\n{notes}" if notes else "")
    template_card = template_text(template_id, "card.md")

    def card(v: Verification) -> str:
        return family_card(args.family, v, built.weights, args.random_init, built.tokenizer.source, template_card)

    write_bundle(
        args.out,
        built.spec,
        built.image,
        built.text,
        built.samples,
        built.tokenizer,
        card,
        license_text,
        force=args.force,
        reference_out=args.reference_out,
        random_init=args.random_init,
    )
    print(f"[done] {built.spec.id} in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
