"""Image preprocessing steps per model, in the BUNDLE.md step vocabulary, exactly as models.md reads
them from each model's source code. Keep in step with packages/encoders/src/preprocess/models.ts
(the export test compares them when that file exports these lists)."""

from __future__ import annotations

from typing import Any

Step = dict[str, Any]

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
CXR_REPAIR_MEAN = [101.48761]
CXR_REPAIR_STD = [83.43944]
MEDCLIP_MEAN = [0.5862785803043838]
MEDCLIP_STD = [0.27950088968644304]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def clip_steps() -> list[Step]:
    """openai/CLIP _transform(224): Resize(224, bicubic) on the PIL image, CenterCrop, RGB, ToTensor, Normalize."""
    return [
        {"op": "resize", "size": 224, "by": "shorter", "kernel": "bicubic"},
        {"op": "centerCrop", "size": 224, "rounding": "half-even"},
        {"op": "convert", "mode": "RGB"},
        {"op": "toTensor", "scale": "divide255", "channels": 3},
        {"op": "normalize", "mean": CLIP_MEAN, "std": CLIP_STD},
    ]


def cxr_repair_steps() -> list[Step]:
    """CXR-RePaiR: long side 320 (LANCZOS, own mode), paste on a black 320x320 L canvas, 0..255,
    3 channels, normalise on the 0-255 scale, THEN bicubic tensor resize to 224 (antialias off)."""
    return [
        {"op": "resize", "size": 320, "by": "longer", "kernel": "lanczos"},
        {"op": "pad", "canvas": "square", "side": 320, "fill": 0},
        {"op": "toTensor", "scale": "none", "channels": 3},
        {"op": "normalize", "mean": CXR_REPAIR_MEAN, "std": CXR_REPAIR_STD},
        {"op": "tensorResize", "size": 224, "kernel": "bicubic", "antialias": False},
    ]


def medclip_steps() -> list[Step]:
    """MedCLIPFeatureExtractor: pad to square (side max(224, w, h)), resize 224 bicubic, floor crop,
    x * float32(1/255), normalise, one channel."""
    return [
        {"op": "pad", "canvas": "square", "minSide": 224, "fill": 0},
        {"op": "resize", "size": 224, "by": "exact", "kernel": "bicubic"},
        {"op": "centerCrop", "size": 224, "rounding": "floor"},
        {"op": "toTensor", "scale": "multiplyInv255", "channels": 1},
        {"op": "normalize", "mean": MEDCLIP_MEAN, "std": MEDCLIP_STD},
    ]


def cxr_clip_steps(backbone: str) -> list[Step]:
    """CXR-CLIP eval: RGB, Resize(224) (PIL default bilinear), CenterCrop, ToTensor, Normalize
    (0.5/0.5 for Swin; ImageNet mean/std for the ResNet-50 checkpoints)."""
    mean, std = ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]) if backbone == "swin" else (IMAGENET_MEAN, IMAGENET_STD)
    return [
        {"op": "convert", "mode": "RGB"},
        {"op": "resize", "size": 224, "by": "shorter", "kernel": "bilinear"},
        {"op": "centerCrop", "size": 224, "rounding": "half-even"},
        {"op": "toTensor", "scale": "divide255", "channels": 3},
        {"op": "normalize", "mean": mean, "std": std},
    ]


def demo_steps(size: int) -> list[Step]:
    """The demo model: grey, exact resize, [0,1], one channel, centred at 0.5."""
    return [
        {"op": "convert", "mode": "L"},
        {"op": "resize", "size": size, "by": "exact", "kernel": "bilinear"},
        {"op": "toTensor", "scale": "divide255", "channels": 1},
        {"op": "normalize", "mean": [0.5], "std": [0.25]},
    ]
