"""Per-family model construction: random-init (torch/torchvision only) and real checkpoints.

Real checkpoints need the user's own packages (requirements.txt): `clip` (openai/CLIP) or
`transformers`; `medclip` optionally. They are imported lazily so that --random-init runs with
Debian's python3-torch alone.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import archs
from .bundle import BundleSpec, Samples, TokenizerSpec
from .preprocess import clip_steps, cxr_clip_steps, cxr_repair_steps, medclip_steps
from .tokenizer_files import TokenizerFile, bert_token_batch, clip_token_batch, load_tokenizer, vocab_size

BIO_CLINICALBERT = "emilyalsentzer/Bio_ClinicalBERT"
SWIN_TINY = "microsoft/swin-tiny-patch4-window7-224"


@dataclass
class Built:
    """What write_bundle needs from a family: the two torch modules, sample inputs, the spec."""

    spec: BundleSpec
    image: nn.Module
    text: nn.Module
    samples: Samples
    tokenizer: TokenizerFile
    weights: str


def image_sample(channels: int, seed: int, batch: int = 2) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, 224, 224, generator=gen)


# ---------------------------------------------------------------------------------------------
# Wrappers around the original code (real weights)
# ---------------------------------------------------------------------------------------------


class EncodeImage(nn.Module):
    """model.encode_image(pixels) (openai/CLIP)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(pixel_values)


class EncodeText(nn.Module):
    """model.encode_text(ids) (openai/CLIP: EOT by argmax)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model.encode_text(input_ids)


class HfClipImage(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model.get_image_features(pixel_values=pixel_values)


class HfClipText(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model.get_text_features(input_ids=input_ids)


def openai_clip_modules(checkpoint: str, finetuned: Path | None) -> tuple[nn.Module, nn.Module, str]:
    """openai/CLIP through its own package when installed, else the restated graph (same keys)."""
    try:
        import clip  # type: ignore[import-not-found]
    except ImportError:
        clip = None
    if clip is not None:
        model, _ = clip.load(checkpoint, device="cpu", jit=False)
        if finetuned is not None:
            model.load_state_dict(torch.load(finetuned, map_location="cpu"))
        model = model.float().eval()
        return EncodeImage(model), EncodeText(model), "openai/CLIP package"
    source = finetuned or Path(checkpoint)
    if not source.exists():
        raise SystemExit(f"{source}: not found. Without the `clip` package pass the checkpoint file (ViT-B-32.pt).")
    try:
        state = torch.jit.load(str(source), map_location="cpu").state_dict()
    except RuntimeError:
        state = torch.load(source, map_location="cpu")
    visual, text = archs.clip_pair(archs.CLIP_B32, vocab_size=state["token_embedding.weight"].shape[0])
    archs.load_openai_clip_state_dict(visual, text, state)
    return visual.eval(), text.eval(), "restated openai/CLIP graph (cxrexport/archs.py), strict state-dict load"


def bert_tokenizer(path: Path | None) -> TokenizerFile:
    if path is not None:
        return load_tokenizer(path)
    from transformers import AutoTokenizer  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        AutoTokenizer.from_pretrained(BIO_CLINICALBERT, use_fast=True).save_pretrained(tmp)
        return load_tokenizer(Path(tmp) / "tokenizer.json")


class MedClipVisionHF(nn.Module):
    """MedCLIPVisionModelViT restated: Swin pooler_output -> Linear(768, 512, no bias); 1 -> 3 channels."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import AutoModel  # type: ignore[import-not-found]

        self.model = AutoModel.from_pretrained(SWIN_TINY)
        self.projection_head = nn.Linear(768, 512, bias=False)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if pixel_values.shape[1] == 1:
            pixel_values = pixel_values.repeat((1, 3, 1, 1))
        return self.projection_head(self.model(pixel_values)["pooler_output"])


class MedClipTextHF(nn.Module):
    """MedCLIPTextModel restated: mean(hs[1], hs[2], hs[-1]) averaged over all positions -> Linear no bias."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import AutoModel  # type: ignore[import-not-found]

        self.model = AutoModel.from_pretrained(BIO_CLINICALBERT, output_hidden_states=True)
        self.projection_head = nn.Linear(768, 512, bias=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hs = self.model(input_ids=input_ids, attention_mask=attention_mask)["hidden_states"]
        embed = torch.stack([hs[1], hs[2], hs[-1]]).permute(1, 0, 2, 3).mean(2).mean(1)
        return self.projection_head(embed)


class CallVision(nn.Module):
    """Calls MedCLIP's own vision tower (no .cuda() on this path)."""

    def __init__(self, tower: nn.Module) -> None:
        super().__init__()
        self.tower = tower

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.tower(pixel_values=pixel_values)


class CallText(nn.Module):
    """Calls MedCLIP's own text tower, bypassing MedCLIPModel.encode_text and its hard-coded .cuda()."""

    def __init__(self, tower: nn.Module) -> None:
        super().__init__()
        self.tower = tower

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.tower(input_ids, attention_mask)


def load_prefixed(module: nn.Module, state: dict[str, Any], prefix: str) -> None:
    sub = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    missing, unexpected = module.load_state_dict(sub, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing:
        raise SystemExit(f"checkpoint lacks {len(missing)} weights under {prefix!r}, e.g. {missing[:5]}")
    if unexpected:
        print(f"[load] ignored {len(unexpected)} unexpected keys under {prefix!r}, e.g. {unexpected[:3]}")


def medclip_modules(checkpoint: Path) -> tuple[nn.Module, nn.Module, str]:
    weights = checkpoint / "pytorch_model.bin" if checkpoint.is_dir() else checkpoint
    try:
        from medclip import MedCLIPModel, MedCLIPVisionModelViT  # type: ignore[import-not-found]
    except ImportError:
        MedCLIPModel = None
    if MedCLIPModel is not None:
        model = MedCLIPModel(vision_cls=MedCLIPVisionModelViT)
        model.load_state_dict(torch.load(weights, map_location="cpu"))
        model = model.float().eval()
        return CallVision(model.vision_model), CallText(model.text_model), "medclip package towers (no .cuda())"
    state = torch.load(weights, map_location="cpu")
    vision, text = MedClipVisionHF(), MedClipTextHF()
    load_prefixed(vision, state, "vision_model.")
    load_prefixed(text, state, "text_model.")
    return vision.eval(), text.eval(), "MedCLIP towers restated on transformers (cxrexport/families.py)"


class LinearHead(nn.Module):
    def __init__(self, dim_in: int, dim_out: int) -> None:
        super().__init__()
        self.projection = nn.Linear(dim_in, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(x)


class MlpHead(nn.Module):
    """cxrclip MLPProjectionHead (dropout is a no-op in eval)."""

    def __init__(self, dim_in: int, dim_out: int) -> None:
        super().__init__()
        self.projection = nn.Linear(dim_in, dim_out)
        self.gelu = nn.GELU()
        self.fc = nn.Linear(dim_out, dim_out)
        self.layer_norm = nn.LayerNorm(dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        projected = self.projection(x)
        return self.layer_norm(self.fc(self.gelu(projected)) + projected)


class CxrClipSwinTrunk(nn.Module):
    def __init__(self, name: str) -> None:
        super().__init__()
        from transformers import SwinModel  # type: ignore[import-not-found]

        self.image_encoder = SwinModel.from_pretrained(name)


class CxrClipResNetTrunk(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.resnet = archs.resnet50_trunk(tiny=False)  # BatchNorm: SyncBatchNorm's parameters load unchanged


class CxrClipTextTrunk(nn.Module):
    def __init__(self, name: str) -> None:
        super().__init__()
        from transformers import AutoModel  # type: ignore[import-not-found]

        self.text_encoder = AutoModel.from_pretrained(name)


class CxrClipImageHF(nn.Module):
    def __init__(self, trunk: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.image_encoder = trunk
        self.image_projection = head

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if isinstance(self.image_encoder, CxrClipResNetTrunk):
            r = self.image_encoder.resnet
            x = r.maxpool(r.relu(r.bn1(r.conv1(pixel_values))))
            feats = torch.flatten(r.avgpool(r.layer4(r.layer3(r.layer2(r.layer1(x))))), 1)
        else:
            feats = self.image_encoder.image_encoder(pixel_values=pixel_values)["last_hidden_state"][:, 0]
        return self.image_projection(feats)


class CxrClipTextHF(nn.Module):
    def __init__(self, trunk: CxrClipTextTrunk, head: nn.Module) -> None:
        super().__init__()
        self.text_encoder = trunk
        self.text_projection = head

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        out = self.text_encoder.text_encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        last = out["last_hidden_state"]
        eos = attention_mask.sum(dim=-1) - 1
        return self.text_projection(last[torch.arange(last.shape[0]), eos])


def cxr_clip_modules(checkpoint: Path) -> tuple[nn.Module, nn.Module, str, str]:
    ckpt = torch.load(checkpoint, map_location="cpu")
    cfg = ckpt["config"]["model"]
    state = ckpt["model"]
    backbone = "resnet" if cfg["image_encoder"]["name"] == "resnet" else "swin"
    trunk: nn.Module = CxrClipResNetTrunk() if backbone == "resnet" else CxrClipSwinTrunk(cfg["image_encoder"]["name"])
    text_trunk = CxrClipTextTrunk(cfg["text_encoder"]["name"])
    proj = cfg.get("projection_head", {"name": "linear", "proj_dim": 512})
    head = MlpHead if proj["name"].lower() == "mlp" else LinearHead
    img_dim = 2048 if backbone == "resnet" else int(trunk.image_encoder.config.hidden_size)
    image = CxrClipImageHF(trunk, head(img_dim, proj["proj_dim"]))
    text = CxrClipTextHF(text_trunk, head(int(text_trunk.text_encoder.config.hidden_size), proj["proj_dim"]))
    load_prefixed(image, state, "")
    load_prefixed(text, state, "")
    if cfg["text_encoder"].get("pooling", "eos") != "eos":
        raise SystemExit(f"text pooling {cfg['text_encoder']['pooling']!r} is not the published 'eos' pooling")
    return image.eval(), text.eval(), backbone, "CXR-CLIP modules restated on transformers/torchvision (cxrexport/families.py)"


# ---------------------------------------------------------------------------------------------
# Builders per subcommand
# ---------------------------------------------------------------------------------------------


def clip_tokenizer_spec() -> TokenizerSpec:
    return TokenizerSpec(max_length=77, truncation="end-token", padding="max_length", pad_id=0)


def require_tokenizer(args: argparse.Namespace) -> TokenizerFile:
    if args.tokenizer is None:
        raise SystemExit("--random-init needs --tokenizer PATH (tokenizer.json, or bpe_simple_vocab_16e6.txt.gz for CLIP)")
    return load_tokenizer(args.tokenizer)


def suffix(args: argparse.Namespace) -> str:
    return ("-random" + ("-tiny" if args.tiny else "")) if args.random_init else ""


def build_clip(args: argparse.Namespace, family: str) -> Built:
    steps = clip_steps() if family == "clip" else cxr_repair_steps()
    base_id = "clip-vit-b32" if family == "clip" else "cxr-repair"  # = packages/encoders/models/<id>
    name = "CLIP ViT-B/32" if family == "clip" else "CXR-RePaiR (CLIP ViT-B/32)"
    if args.random_init:
        tok = require_tokenizer(args)
        torch.manual_seed(args.seed)
        image, text = archs.clip_pair(archs.CLIP_TINY if args.tiny else archs.CLIP_B32, vocab_size(tok.data))
        weights = f"random init (seed {args.seed}{', tiny widths' if args.tiny else ''})"
    else:
        tok = load_tokenizer(args.tokenizer) if args.tokenizer else default_clip_tokenizer(args)
        if getattr(args, "hf_model", None):
            from transformers import CLIPModel  # type: ignore[import-not-found]

            model = CLIPModel.from_pretrained(args.hf_model).float().eval()
            image, text, how = HfClipImage(model), HfClipText(model), f"Hugging Face port {args.hf_model}"
        elif family == "clip":
            image, text, how = openai_clip_modules(args.checkpoint or "ViT-B/32", None)
        else:
            if args.checkpoint is None:
                raise SystemExit("cxr-repair needs --checkpoint (the fine-tuned state dict)")
            image, text, how = openai_clip_modules(args.base, Path(args.checkpoint))
        weights = f"{args.checkpoint or args.hf_model or 'ViT-B/32'} via {how}"
    spec = BundleSpec(
        id=args.id or base_id + suffix(args),
        name=name + (" (random init)" if args.random_init else ""),
        family=family,
        license="MIT" if args.random_init or family == "clip" else "MIT (code); weights per the authors' terms",
        image_shape=[3, 224, 224],
        preprocess=steps,
        tokenizer=clip_tokenizer_spec(),
        text_dynamic_sequence=False,
        prep=["html-unescape", "html-unescape"],  # basic_clean: html.unescape twice
        template_id=base_id,
    )
    ids = clip_token_batch(tok.data, [3, 25, 120], seed=args.seed)
    return Built(spec, image, text, Samples(image_sample(3, args.seed), {"input_ids": ids}), tok, weights)


def default_clip_tokenizer(args: argparse.Namespace) -> TokenizerFile:
    if getattr(args, "hf_model", None):
        from transformers import AutoTokenizer  # type: ignore[import-not-found]

        with tempfile.TemporaryDirectory() as tmp:
            AutoTokenizer.from_pretrained(args.hf_model, use_fast=True).save_pretrained(tmp)
            return load_tokenizer(Path(tmp) / "tokenizer.json")
    try:
        from clip.simple_tokenizer import default_bpe  # type: ignore[import-not-found]
    except ImportError as err:
        raise SystemExit("pass --tokenizer (bpe_simple_vocab_16e6.txt.gz or tokenizer.json)") from err
    return load_tokenizer(Path(default_bpe()))


def build_medclip(args: argparse.Namespace) -> Built:
    if args.random_init:
        tok = require_tokenizer(args)
        torch.manual_seed(args.seed)
        image: nn.Module = archs.MedClipSwinImage(args.tiny)
        text: nn.Module = archs.MedClipText(vocab_size(tok.data), archs.BERT_TINY if args.tiny else archs.BERT_BASE)
        weights = f"random init (seed {args.seed}{', tiny widths' if args.tiny else ''})"
    else:
        if args.checkpoint is None:
            raise SystemExit("medclip needs --checkpoint (folder of the unzipped medclip-vit-pretrained.zip)")
        tok = bert_tokenizer(args.tokenizer)
        image, text, how = medclip_modules(Path(args.checkpoint))
        weights = f"{args.checkpoint} via {how}"
    spec = BundleSpec(
        id=args.id or "medclip-swin" + suffix(args),
        name="MedCLIP (Swin-T)" + (" (random init)" if args.random_init else ""),
        family="medclip",
        license="MIT" if args.random_init else "unclear (code MIT)",
        image_shape=[1, 224, 224],
        preprocess=medclip_steps(),
        tokenizer=TokenizerSpec(max_length=77, truncation="standard", padding="max_length", pad_id=0),
        template_id="medclip-swin",
    )
    batch = bert_token_batch(tok.data, [3, 20, 90], pad_to=77, seed=args.seed)
    texts = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    return Built(spec, image, text, Samples(image_sample(1, args.seed), texts), tok, weights)


def build_cxr_clip(args: argparse.Namespace) -> Built:
    if args.random_init:
        tok = require_tokenizer(args)
        torch.manual_seed(args.seed)
        backbone = args.backbone
        image: nn.Module = archs.CxrClipSwinImage(args.tiny) if backbone == "swin" else archs.CxrClipResNetImage(args.tiny)
        text: nn.Module = archs.CxrClipText(vocab_size(tok.data), archs.BERT_TINY if args.tiny else archs.BERT_BASE)
        weights = f"random init (seed {args.seed}{', tiny widths' if args.tiny else ''})"
    else:
        if args.checkpoint is None:
            raise SystemExit("cxr-clip needs --checkpoint (a Kakao CDN checkpoint, e.g. swint_mcc.tar)")
        tok = bert_tokenizer(args.tokenizer)
        image, text, backbone, how = cxr_clip_modules(Path(args.checkpoint))
        weights = f"{args.checkpoint} via {how}"
    base = "cxr-clip-swin" if backbone == "swin" else "cxr-clip-r50"
    variant = f"-{args.variant}" if args.variant else ""
    spec = BundleSpec(
        id=args.id or base + variant + suffix(args),
        name=f"CXR-CLIP ({'Swin-T' if backbone == 'swin' else 'ResNet-50'})" + (" (random init)" if args.random_init else ""),
        family="cxr-clip",
        license="MIT" if args.random_init else "CC-BY-NC-SA-4.0",
        image_shape=[3, 224, 224],
        preprocess=cxr_clip_steps(backbone),
        tokenizer=TokenizerSpec(max_length=256, truncation="standard", padding="longest", pad_id=0),
        template_id=base,
    )
    texts = bert_token_batch(tok.data, [3, 12, 40], pad_to=None, seed=args.seed)
    return Built(spec, image, text, Samples(image_sample(3, args.seed), texts), tok, weights)
