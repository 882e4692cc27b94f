"""Write a complete cxr-bundle/1 folder (BUNDLE.md) and verify it against the PyTorch model."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .onnx_io import export_onnx, graph_io, max_abs_diff, onnx_runner_name, run_onnx
from .tokenizer_files import TokenizerFile

FORMAT = "cxr-bundle/1"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"  # packages/encoders/models: committed templates
TOLERANCE = 1e-4
TEXT_KEYS = {"input_ids": "inputIds", "attention_mask": "attentionMask", "token_type_ids": "tokenTypeIds"}


@dataclass(frozen=True)
class TokenizerSpec:
    max_length: int
    truncation: str  # "end-token" | "standard"
    padding: str  # "max_length" | "longest"
    pad_id: int = 0


@dataclass
class BundleSpec:
    id: str
    name: str
    family: str  # clip | cxr-repair | medclip | cxr-clip | demo | other
    license: str
    image_shape: list[int]  # C, H, W
    preprocess: list[dict[str, Any]]
    tokenizer: TokenizerSpec
    version: str = "1.0.0"
    dimension: int = 512
    normalize: bool = True
    image_input: str = "pixel_values"
    image_output: str = "image_embeds"
    text_output: str = "text_embeds"
    text_dynamic_sequence: bool = True  # False when the graph needs exactly maxLength tokens (CLIP)
    prep: list[str] = field(default_factory=list)  # text prep before tokenizer.json (CLIP: html-unescape x2)
    template_id: str | None = None  # packages/encoders/models/<id>/manifest.json to agree with


@dataclass
class Samples:
    """Verification inputs: a preprocessed pixel batch and token tensors keyed by graph input name,
    in the order of the text module's forward arguments."""

    image: torch.Tensor
    text: dict[str, torch.Tensor]


@dataclass
class Verification:
    runner: str
    image_max_abs_diff: float
    text_max_abs_diff: float
    image_embeds: np.ndarray = field(repr=False)
    text_embeds: np.ndarray = field(repr=False)

    @property
    def passed(self) -> bool:
        return self.image_max_abs_diff <= TOLERANCE and self.text_max_abs_diff <= TOLERANCE


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def prepare_dir(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def export_graphs(out: Path, spec: BundleSpec, image: nn.Module, text: nn.Module, samples: Samples) -> None:
    export_onnx(image, {spec.image_input: samples.image}, spec.image_output, out / "image.onnx", {spec.image_input: {0: "batch"}})
    seq_axis = {0: "batch", 1: "sequence"} if spec.text_dynamic_sequence else {0: "batch"}
    export_onnx(text, samples.text, spec.text_output, out / "text.onnx", {name: seq_axis for name in samples.text})


def verify(out: Path, spec: BundleSpec, image: nn.Module, text: nn.Module, samples: Samples) -> Verification:
    """ONNX outputs against PyTorch on the same inputs; prints the max abs differences."""
    with torch.no_grad():
        torch_img = image.eval()(samples.image).numpy()
        torch_txt = text.eval()(*samples.text.values()).numpy()
    onnx_img = run_onnx(out / "image.onnx", {spec.image_input: samples.image.numpy()}, spec.image_output)
    onnx_txt = run_onnx(out / "text.onnx", {k: v.numpy() for k, v in samples.text.items()}, spec.text_output)
    result = Verification(onnx_runner_name(), max_abs_diff(torch_img, onnx_img), max_abs_diff(torch_txt, onnx_txt), torch_img, torch_txt)
    print(f"[verify] {spec.id}: ONNX ({result.runner}) vs PyTorch, batch of {samples.image.shape[0]} images / {torch_txt.shape[0]} texts")
    print(f"[verify] {spec.id}: image max abs diff {result.image_max_abs_diff:.3e}")
    print(f"[verify] {spec.id}: text  max abs diff {result.text_max_abs_diff:.3e}")
    print(f"[verify] {spec.id}: {'PASS' if result.passed else 'FAIL'} (tolerance {TOLERANCE:g})")
    return result


def check_graph_contract(out: Path, spec: BundleSpec, text_inputs: list[str]) -> None:
    img_in, img_out = graph_io(out / "image.onnx")
    txt_in, txt_out = graph_io(out / "text.onnx")
    if img_in != [spec.image_input] or img_out != [spec.image_output]:
        raise RuntimeError(f"image.onnx has inputs {img_in} / outputs {img_out}")
    if sorted(txt_in) != sorted(text_inputs) or txt_out != [spec.text_output]:
        raise RuntimeError(f"text.onnx has inputs {txt_in} / outputs {txt_out}, expected {text_inputs}")


def load_template(template_id: str | None) -> dict[str, Any] | None:
    if template_id is None:
        return None
    path = MODELS_DIR / template_id / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def template_text(template_id: str | None, name: str) -> str | None:
    path = MODELS_DIR / (template_id or "-") / name
    return path.read_text() if template_id is not None and path.exists() else None


def agree_with_template(doc: dict[str, Any], template: dict[str, Any]) -> None:
    """The exporter's own facts must equal the committed template's: a mismatch is a bug in one of them."""
    checks = [
        ("image.input", doc["image"]["input"], template["image"]["input"]),
        ("image.output", doc["image"]["output"], template["image"]["output"]),
        ("image.preprocess", doc["image"]["preprocess"], template["image"]["preprocess"]),
        ("text.inputs", doc["text"]["inputs"], template["text"]["inputs"]),
        ("text.output", doc["text"]["output"], template["text"]["output"]),
        ("dimension", doc["dimension"], template["dimension"]),
        ("family", doc["family"], template["family"]),
    ]
    for key in ("maxLength", "truncation", "padding", "padId"):
        checks.append((f"text.tokenizer.{key}", doc["text"]["tokenizer"][key], template["text"]["tokenizer"][key]))
    checks.append(("text.tokenizer.prep", doc["text"]["tokenizer"].get("prep", []), template["text"]["tokenizer"].get("prep", [])))
    bad = [f"{k}: exporter {a!r} != template {b!r}" for k, a, b in checks if a != b]
    if bad:
        raise RuntimeError("manifest disagrees with packages/encoders/models template:\n  " + "\n  ".join(bad))


def manifest(spec: BundleSpec, text_inputs: list[str], has_config: bool, files: dict[str, str], random_init: bool) -> dict[str, Any]:
    """The manifest from the exporter's facts, checked against (and completed from) the committed template."""
    doc = base_manifest(spec, text_inputs, has_config, files)
    template = load_template(spec.template_id)
    if template is None:
        return doc
    agree_with_template(doc, template)
    ordered: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "name" and not random_init:
            value = template["name"]
        if key == "license" and not random_init:
            value = template["license"]
        ordered[key] = value
        if key == "licenseFile" and "source" in template:
            ordered["source"] = template["source"]
    return ordered


def base_manifest(spec: BundleSpec, text_inputs: list[str], has_config: bool, files: dict[str, str]) -> dict[str, Any]:
    tok: dict[str, Any] = {"file": "tokenizer.json"}
    if has_config:
        tok["config"] = "tokenizer_config.json"
    tok.update(
        {
            "maxLength": spec.tokenizer.max_length,
            "truncation": spec.tokenizer.truncation,
            "padding": spec.tokenizer.padding,
            "padId": spec.tokenizer.pad_id,
        }
    )
    if spec.prep:
        tok["prep"] = spec.prep
    return {
        "format": FORMAT,
        "id": spec.id,
        "version": spec.version,
        "name": spec.name,
        "family": spec.family,
        "dimension": spec.dimension,
        "normalize": spec.normalize,
        "license": spec.license,
        "card": "card.md",
        "licenseFile": "LICENSE",
        "image": {
            "onnx": "image.onnx",
            "input": {"name": spec.image_input, "dtype": "float32", "shape": ["batch", *spec.image_shape]},
            "output": {"name": spec.image_output},
            "preprocess": spec.preprocess,
        },
        "text": {
            "onnx": "text.onnx",
            "inputs": {TEXT_KEYS[name]: name for name in text_inputs},
            "dtype": "int64",
            "output": {"name": spec.text_output},
            "tokenizer": tok,
        },
        "files": files,
    }


def write_reference(ref: Path, spec: BundleSpec, samples: Samples, result: Verification) -> None:
    """PyTorch's embeddings for fixed inputs, for the TypeScript runtime test (not part of the bundle)."""
    ref.mkdir(parents=True, exist_ok=True)
    (ref / "image_input.f32").write_bytes(samples.image.numpy().astype("<f4").tobytes())
    (ref / "image_embeds.f32").write_bytes(result.image_embeds.astype("<f4").tobytes())
    (ref / "text_embeds.f32").write_bytes(result.text_embeds.astype("<f4").tobytes())
    doc = {
        "bundle": spec.id,
        "image": {
            "input": {"name": spec.image_input, "shape": list(samples.image.shape), "file": "image_input.f32"},
            "embeds": {"shape": list(result.image_embeds.shape), "file": "image_embeds.f32"},
        },
        "text": {
            "inputs": [{"name": k, "shape": list(v.shape), "values": v.tolist()} for k, v in samples.text.items()],
            "embeds": {"shape": list(result.text_embeds.shape), "file": "text_embeds.f32"},
        },
        "onnxVsTorch": {
            "runner": result.runner,
            "imageMaxAbsDiff": result.image_max_abs_diff,
            "textMaxAbsDiff": result.text_max_abs_diff,
        },
    }
    (ref / "reference.json").write_text(json.dumps(doc, indent=1) + "\n")


def write_bundle(
    out: Path,
    spec: BundleSpec,
    image: nn.Module,
    text: nn.Module,
    samples: Samples,
    tokenizer: TokenizerFile,
    card: Callable[[Verification], str],
    license_text: str,
    force: bool = False,
    reference_out: Path | None = None,
    random_init: bool = False,
) -> Verification:
    """Exports both graphs, verifies them, then writes tokenizer, card, LICENSE and the manifest
    (with the sha256 of every other file). Raises if the ONNX/PyTorch difference exceeds 1e-4."""
    prepare_dir(out, force)
    export_graphs(out, spec, image, text, samples)
    text_inputs = list(samples.text)
    check_graph_contract(out, spec, text_inputs)
    result = verify(out, spec, image, text, samples)
    if result.image_embeds.shape[1] != spec.dimension or result.text_embeds.shape[1] != spec.dimension:
        raise RuntimeError(f"graph output widths {result.image_embeds.shape[1]}/{result.text_embeds.shape[1]} != {spec.dimension}")
    (out / "tokenizer.json").write_bytes(tokenizer.raw)
    if tokenizer.config is not None:
        (out / "tokenizer_config.json").write_bytes(tokenizer.config)
    (out / "card.md").write_text(card(result))
    (out / "LICENSE").write_text(license_text)
    files = {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.name != "manifest.json"}
    doc = manifest(spec, text_inputs, tokenizer.config is not None, files, random_init)
    (out / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n")
    if reference_out is not None:
        write_reference(reference_out, spec, samples, result)
    if not result.passed:
        raise RuntimeError(f"{spec.id}: ONNX differs from PyTorch by more than {TOLERANCE:g} (bundle left at {out} for inspection)")
    print(f"[bundle] wrote {out} ({', '.join(sorted(files))}, manifest.json)")
    return result
