#!/usr/bin/env python3
"""Exports the benchmark's architecture-equivalent encoders at random init (nothing downloaded).

- vit_b32:  torchvision vit_b_32, heads -> Linear(768, 512)            pixel_values [b,3,224,224] -> [b,512]
- swin_t:   torchvision swin_t, pooled 768 -> Linear(768, 512, no bias) pixel_values [b,3,224,224] -> [b,512]
- bert_base: BERT-base layout (12 x 768, 12 heads, 3072, vocab 28996), [SEP] pooling -> Linear(768, 512)
            input_ids, attention_mask, token_type_ids int64 [b, seq] -> [b,512]

Writes <out>/<name>.onnx (opset 14, dynamic batch; dynamic sequence for text; the text graph computes
no padding position, archs.CxrClipText.skip_padding), <out>/<name>.pt
(the same weights for the PyTorch side) and <out>/jpeg/*.jpg (synthetic chest-X-ray-sized greyscale
JPEGs for the pipeline figure). Run with Debian's /usr/bin/python3 (python3-torch 1.13,
python3-torchvision 0.14, python3-onnx).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "packages" / "encoders" / "python"))
from cxrexport.archs import BERT_BASE, CxrClipText  # noqa: E402  (BERT-base layout, [SEP] pooling)

VOCAB = 28996
SEQ = 77
# Bumped when a graph's export changes; an older export in --out is redone (2: the text graph skips padding).
EXPORT_VERSION = {"vit_b32": "1", "swin_t": "1", "bert_base": "2"}


class SwinPooled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.swin = torchvision.models.swin_t(weights=None)
        self.proj = nn.Linear(768, 512, bias=False)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.swin.norm(self.swin.features(pixel_values))
        return self.proj(torch.flatten(self.swin.avgpool(self.swin.permute(x)), 1))


def build(name: str) -> nn.Module:
    torch.manual_seed({"vit_b32": 1, "swin_t": 2, "bert_base": 3}[name])
    if name == "vit_b32":
        m = torchvision.models.vit_b_32(weights=None)
        m.heads = nn.Linear(768, 512)
    elif name == "swin_t":
        m = SwinPooled()
    elif name == "bert_base":
        m = CxrClipText(VOCAB, BERT_BASE)
    else:
        raise ValueError(name)
    return m.eval()


def text_sample(batch: int, seq: int = SEQ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(1000, VOCAB, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    for i in range(batch):  # varied lengths, [CLS] ... [SEP] then padding
        n = 20 + (i * 7) % (seq - 20)
        ids[i, 0], ids[i, n - 1] = 101, 102
        ids[i, n:] = 0
        mask[i, n:] = 0
    return ids, mask, torch.zeros_like(ids)


def export(name: str, out: Path) -> None:
    model = build(name)
    torch.save(model.state_dict(), out / f"{name}.pt")
    path = out / f"{name}.onnx"
    t0 = time.time()
    # Grad mode stays on: under no_grad, nn.MultiheadAttention takes its fused fast path
    # (aten::_native_multi_head_attention), which torch 1.13 cannot export.
    if name == "bert_base":
        sample = text_sample(2)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {n: {0: "batch", 1: "sequence"} for n in names}
        axes["text_embeds"] = {0: "batch"}
        torch.onnx.export(model, sample, str(path), input_names=names, output_names=["text_embeds"],
                          dynamic_axes=axes, opset_version=14)
    else:
        sample = torch.randn(2, 3, 224, 224)
        torch.onnx.export(model, (sample,), str(path), input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}, opset_version=14)
    print(f"{path}: {path.stat().st_size / 1e6:.0f} MB in {time.time() - t0:.1f} s", flush=True)


def jpegs(out: Path, count: int) -> None:
    """Synthetic greyscale radiograph-sized JPEGs (varied sizes around MIMIC-CXR-JPG's 2500 x 3000 / 4)."""
    d = out / "jpeg"
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    for i in range(count):
        w, h = 900 + 37 * i, 1100 - 23 * i
        y, x = np.mgrid[0:h, 0:w]
        img = 120 + 60 * np.sin(x / (40 + i)) * np.cos(y / 55) + rng.normal(0, 12, (h, w))
        img[h // 3 : h // 2, w // 4 : w // 2] += 50
        buf = io.BytesIO()
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), mode="L").save(buf, format="JPEG", quality=90)
        (d / f"img{i:02d}.jpg").write_bytes(buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(HERE.parents[1] / "bench" / "out" / "encode"))
    ap.add_argument("--models", default="vit_b32,swin_t,bert_base")
    ap.add_argument("--jpegs", type=int, default=16)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    for name in args.models.split(","):
        stamp = out / f"{name}.version"
        current = stamp.read_text().strip() if stamp.exists() else "1"
        if not (out / f"{name}.onnx").exists() or not (out / f"{name}.pt").exists() or current != EXPORT_VERSION[name]:
            export(name, out)
            stamp.write_text(EXPORT_VERSION[name] + "\n")
    jpegs(out, args.jpegs)


if __name__ == "__main__":
    main()
