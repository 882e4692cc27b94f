"""ONNX export with a dynamic batch axis, and running the exported graph for verification.

The graph is run with onnxruntime for Python when it is installed (the user's machine, see
requirements.txt). Otherwise, e.g. on Debian 12 where no python3-onnxruntime package exists, it is
run by the project's onnxruntime-node through `ort_run.mjs` next to this package.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

OPSET = 14
ORT_RUN = Path(__file__).resolve().parent.parent / "ort_run.mjs"


def export_onnx(
    module: nn.Module,
    inputs: dict[str, torch.Tensor],
    output_name: str,
    path: Path,
    dynamic: dict[str, dict[int, str]],
) -> None:
    """torch.onnx.export in eval mode; `dynamic` names the dynamic axes of each input."""
    module.eval()
    axes: dict[str, dict[int, str]] = {name: dict(d) for name, d in dynamic.items()}
    axes[output_name] = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python ints in shapes
        torch.onnx.export(
            module,
            tuple(inputs.values()),
            str(path),
            input_names=list(inputs),
            output_names=[output_name],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    onnx.checker.check_model(onnx.load(str(path)))


def graph_io(path: Path) -> tuple[list[str], list[str]]:
    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits], [o.name for o in model.graph.output]


def run_onnx(path: Path, feeds: dict[str, np.ndarray], output_name: str) -> np.ndarray:
    try:
        import onnxruntime as ort  # type: ignore[import-not-found]
    except ImportError:
        return run_onnx_node(path, feeds, output_name)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(session.run([output_name], feeds)[0])


def run_onnx_node(path: Path, feeds: dict[str, np.ndarray], output_name: str) -> np.ndarray:
    """Runs the graph with onnxruntime-node (the TypeScript runtime's engine) via ort_run.mjs."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("neither onnxruntime (Python) nor node is available to verify the ONNX graph")
    with tempfile.TemporaryDirectory(prefix="cxr-ort-") as tmp:
        spec: dict[str, object] = {"model": str(path.resolve()), "output": output_name, "inputs": []}
        for name, arr in feeds.items():
            file = Path(tmp) / f"{name}.bin"
            file.write_bytes(np.ascontiguousarray(arr).tobytes())
            spec["inputs"].append({"name": name, "dtype": str(arr.dtype), "shape": list(arr.shape), "file": str(file)})  # type: ignore[union-attr]
        out = Path(tmp) / "out.bin"
        spec["out"] = str(out)
        (Path(tmp) / "spec.json").write_text(json.dumps(spec))
        proc = subprocess.run([node, str(ORT_RUN), str(Path(tmp) / "spec.json")], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"ort_run.mjs failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        shape = json.loads(proc.stdout.strip().splitlines()[-1])["shape"]
        return np.frombuffer(out.read_bytes(), dtype=np.float32).reshape(shape)


def onnx_runner_name() -> str:
    try:
        import onnxruntime  # type: ignore[import-not-found]  # noqa: F401

        return "onnxruntime (Python)"
    except ImportError:
        return "onnxruntime-node via ort_run.mjs"


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: PyTorch {a.shape} vs ONNX {b.shape}")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
