#!/usr/bin/env python3
"""PyTorch side of bench/encode: forward throughput of the exported architectures (same weights,
same inputs) and the CLIP image pipeline from JPEG bytes (PIL + torchvision + torch). Prints JSON.

Run it as run.ts does: Debian's /usr/bin/python3 with libopenblas0-pthread installed and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset in this command only (toolchain.md: otherwise torch runs
on the reference BLAS or a mis-tuned OpenBLAS and the comparison would be a fake win).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms

from models import HERE, build, text_sample

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def clip_transform() -> transforms.Compose:
    """openai/CLIP `_transform(224)`."""
    return transforms.Compose([
        transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(224),
        lambda image: image.convert("RGB"),
        transforms.ToTensor(),
        transforms.Normalize(CLIP_MEAN, CLIP_STD),
    ])


def loaded_blas() -> str:
    """The BLAS actually mapped into this process (Debian's torch links libblas.so.3, an alternative)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return "?"
    libs = sorted({line.split()[-1] for line in maps.splitlines() if "blas" in line.lower() and "/" in line})
    return ", ".join(libs) or "?"


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(HERE.parents[1] / "bench" / "out" / "encode"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="vit_b32,swin_t,bert_base")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    out = Path(args.out)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    result = {
        "runtime": f"torch {torch.__version__}",
        "device": str(device),
        "threads": args.threads,
        "batch": args.batch,
        "blas": loaded_blas(),
        "forward": {},
    }
    models = {}
    for name in args.models.split(","):
        model = build(name)
        model.load_state_dict(torch.load(out / f"{name}.pt"))
        if name == "bert_base":
            # The reference is the model as transformers runs it: every padding position computed.
            # Our graph skips them (CxrClipText.skip_padding); outputs agree within 1e-5.
            model.skip_padding = False
        model = model.to(device).eval()
        models[name] = model
        inputs = tuple(t.to(device) for t in text_sample(args.batch)) if name == "bert_base" else (
            torch.randn(args.batch, 3, 224, 224, generator=torch.Generator().manual_seed(5)).to(device),)

        def forward(model=model, inputs=inputs):
            with torch.inference_mode():
                model(*inputs)
            if device.type == "cuda":
                torch.cuda.synchronize()

        times = timed(forward, args.repeats)
        result["forward"][name] = {"seconds_per_batch": statistics.median(times), "items_per_s": args.batch / statistics.median(times)}
        print(json.dumps({"progress": name, **result["forward"][name]}), flush=True)

    if "vit_b32" in models:
        jpegs = [p.read_bytes() for p in sorted((out / "jpeg").glob("*.jpg"))]
        transform = clip_transform()
        vit = models["vit_b32"]

        def pipeline():
            for i in range(0, len(jpegs), args.batch):
                batch = torch.stack([transform(Image.open(io.BytesIO(b))) for b in jpegs[i : i + args.batch]])
                with torch.inference_mode():
                    F.normalize(vit(batch.to(device)), dim=-1).cpu()

        times = timed(pipeline, args.repeats)
        result["pipeline"] = {"images": len(jpegs), "seconds": statistics.median(times), "items_per_s": len(jpegs) / statistics.median(times)}
    print(json.dumps({"result": result}), flush=True)


if __name__ == "__main__":
    main()
