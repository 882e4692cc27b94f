#!/usr/bin/env python3
"""Train the demo dual encoder `demo-cxr` on the synthetic chest radiographs and export it as a bundle.

Data: the output of the project's synthetic generator (`cxr synth`, packages/datasets/src/synth):
<data>/manifest.jsonl (study_id, split, images [{path}], report, findings, impression, labels) and
<data>/images/*.png. Train on the train split, report Recall@K on the test split, clean and under
a simple seeded grid occlusion, then write the bundle through the same writer as cxr_export.py.

Model: a small CNN over a 1x128x128 grey image and a 2-layer transformer over a WordPiece tokenizer
built from the training reports (whole words, plus single characters so unseen words still
tokenize); symmetric InfoNCE with a learned temperature. Seeded; same seed + same data + same
--threads give the same weights.

Not a medical model: it has only ever seen synthetic pictures and template reports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cxrexport.archs import BertEncoder, BertSize  # noqa: E402
from cxrexport.bundle import BundleSpec, Samples, TokenizerSpec, Verification, write_bundle  # noqa: E402
from cxrexport.cards import MIT_TEXT, verification_section  # noqa: E402
from cxrexport.preprocess import demo_steps  # noqa: E402
from cxrexport.tokenizer_files import TokenizerFile  # noqa: E402

IMAGE_SIZE = 128
MEAN, STD = 0.5, 0.25
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
PUNCT = re.compile(r"[!-/:-@\[-`{-~]")

# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Study:
    study_id: str
    split: str
    image: Path
    text: str


def read_manifest(root: Path, text_field: str) -> list[Study]:
    studies = []
    for line in (root / "manifest.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text = row.get(text_field) or row.get("report") or ""
        studies.append(Study(row["study_id"], row["split"], root / row["images"][0]["path"], text))
    return studies


def load_grey(path: Path) -> Image.Image:
    """Decoded source image in mode L (the bundle's first step, convert L)."""
    return Image.open(path).convert("L")


def occlude(img: Image.Image, level: float, key: str, seed: int, grid: int = 8) -> Image.Image:
    """Black out round(level*G*G) cells of a G x G grid, in a per-image permutation seeded from
    sha256(f"{seed}:{key}"); nested across levels (cell edges floor(i*W/G) as in benchmark.md)."""
    if level <= 0:
        return img
    rng = random.Random(int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big"))
    cells = list(range(grid * grid))
    rng.shuffle(cells)
    arr = np.array(img)
    h, w = arr.shape
    for c in cells[: round(level * grid * grid)]:
        i, j = c % grid, c // grid
        arr[(j * h) // grid : ((j + 1) * h) // grid, (i * w) // grid : ((i + 1) * w) // grid] = 0
    return Image.fromarray(arr, mode="L")


def preprocess(img: Image.Image) -> np.ndarray:
    """The manifest's steps, with Pillow: resize exact 128 bilinear, /255, (x - 0.5) / 0.25, 1 channel."""
    x = np.asarray(img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR), dtype=np.float32) / np.float32(255)
    return ((x - np.float32(MEAN)) / np.float32(STD))[None]


def image_tensor(studies: list[Study], level: float = 0.0, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(np.stack([preprocess(occlude(load_grey(s.image), level, s.study_id, seed)) for s in studies]))


# ---------------------------------------------------------------------------------------------
# Tokenizer: WordPiece over whole words of the training reports (+ characters), HF tokenizer.json
# ---------------------------------------------------------------------------------------------


def pre_tokenize(text: str) -> list[str]:
    """BertNormalizer (lower-case; the reports are ASCII) + BertPreTokenizer: whitespace splits,
    every punctuation character is its own word."""
    words: list[str] = []
    for chunk in text.lower().split():
        words.extend(t for t in re.split(r"([!-/:-@\[-`{-~])", chunk) if t)
    return words


class WordPiece:
    def __init__(self, vocab: dict[str, int], max_length: int) -> None:
        self.vocab = vocab
        self.max_length = max_length

    @staticmethod
    def build(texts: list[str], min_count: int, max_length: int) -> WordPiece:
        counts = Counter(w for t in texts for w in pre_tokenize(t))
        words = sorted(w for w, n in counts.items() if n >= min_count)
        tokens = SPECIALS + words + [c for c in CHARS if c not in words] + [f"##{c}" for c in CHARS]
        tokens += sorted({w for w in words if PUNCT.fullmatch(w)} - set(tokens))
        return WordPiece({t: i for i, t in enumerate(dict.fromkeys(tokens))}, max_length)

    def word_ids(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece (Hugging Face), [UNK] for the whole word on failure."""
        if len(word) > 100:
            return [self.vocab["[UNK]"]]
        out, start = [], 0
        while start < len(word):
            end, piece = len(word), None
            while start < end:
                sub = word[start:end] if start == 0 else f"##{word[start:end]}"
                if sub in self.vocab:
                    piece = self.vocab[sub]
                    break
                end -= 1
            if piece is None:
                return [self.vocab["[UNK]"]]
            out.append(piece)
            start = end
        return out

    def encode(self, text: str) -> list[int]:
        """[CLS] content [SEP], content cut to max_length - 2 (manifest truncation "standard")."""
        content = [i for w in pre_tokenize(text) for i in self.word_ids(w)]
        return [self.vocab["[CLS]"], *content[: self.max_length - 2], self.vocab["[SEP]"]]

    def to_json(self) -> dict[str, Any]:
        special = [
            {"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for s in SPECIALS
        ]
        cls = {"SpecialToken": {"id": "[CLS]", "type_id": 0}}
        sep = {"SpecialToken": {"id": "[SEP]", "type_id": 0}}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": special,
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep],
                "pair": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep, {"Sequence": {"id": "B", "type_id": 1}}, sep],
                "special_tokens": {
                    "[CLS]": {"id": "[CLS]", "ids": [self.vocab["[CLS]"]], "tokens": ["[CLS]"]},
                    "[SEP]": {"id": "[SEP]", "ids": [self.vocab["[SEP]"]], "tokens": ["[SEP]"]},
                },
            },
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": self.vocab},
        }


def token_batch(rows: list[list[int]]) -> dict[str, torch.Tensor]:
    """Padding "longest", pad id 0, attention mask 1 on real tokens."""
    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.int64)
    mask = torch.zeros((len(rows), width), dtype=torch.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return {"input_ids": ids, "attention_mask": mask}


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DemoImage(nn.Module):
    """1x128x128 -> 4 stride-2 convs (8-16-32-64) -> 8x8 -> 1x1 conv to 32 -> 4x4 pool (keeps
    where things are: left/right matters) -> MLP -> dimension."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.features = nn.Sequential(conv_block(1, 8), conv_block(8, 16), conv_block(16, 32), conv_block(32, 64))
        self.reduce = nn.Sequential(nn.Conv2d(64, 32, 1), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(4))
        self.head = nn.Sequential(nn.Linear(32 * 16, 256), nn.GELU(), nn.Linear(256, dim))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.reduce(self.features(pixel_values)), 1))


class DemoText(nn.Module):
    """2-layer post-LN transformer (width 64, 2 heads), mean over real tokens (attention_mask), Linear."""

    def __init__(self, vocab_size: int, max_length: int, dim: int) -> None:
        super().__init__()
        self.bert = BertEncoder(vocab_size, BertSize(64, 2, 2, 128, max_positions=max_length))
        self.proj = nn.Linear(64, dim)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.bert(input_ids, attention_mask, torch.zeros_like(input_ids))[-1]
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return self.proj((h * m).sum(1) / m.sum(1).clamp(min=1.0))


# ---------------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------------


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Small random shifts (up to 6 px), a little contrast jitter."""
    pad = F.pad(x, (6, 6, 6, 6), mode="replicate")
    out = torch.empty_like(x)
    offs = torch.randint(0, 13, (x.shape[0], 2), generator=gen)
    for i, (dx, dy) in enumerate(offs.tolist()):
        out[i] = pad[i, :, dy : dy + IMAGE_SIZE, dx : dx + IMAGE_SIZE]
    scale = 1 + 0.1 * (torch.rand(x.shape[0], 1, 1, 1, generator=gen) - 0.5)
    return out * scale


def length_buckets(perm: list[int], lengths: list[int], batch: int, gen: torch.Generator) -> list[list[int]]:
    """Batches of similar report length (less padding, same randomness from the seed): sort each
    window of 8 batches by length, cut it into batches, shuffle the batch order."""
    out: list[list[int]] = []
    window = batch * 8
    for w in range(0, len(perm), window):
        chunk = sorted(perm[w : w + window], key=lambda i: lengths[i])
        out.extend(chunk[b : b + batch] for b in range(0, len(chunk), batch))
    order = torch.randperm(len(out), generator=gen).tolist()
    return [out[i] for i in order]


def encode_all(model: nn.Module, inputs: list[Any], batch: int = 128) -> torch.Tensor:
    outs = []
    with torch.no_grad():
        for start in range(0, len(inputs), batch):
            outs.append(model(inputs[start : start + batch]))
    return F.normalize(torch.cat(outs), dim=-1)


def recall_at(image_emb: torch.Tensor, text_emb: torch.Tensor, texts: list[str], ks: tuple[int, ...]) -> dict[int, float]:
    """image->report: a hit when a report with the study's exact text is in the top K (identical
    report strings are indistinguishable candidates, as in CXR-CLIP's evaluator)."""
    sims = image_emb @ text_emb.T
    order = torch.argsort(-sims, dim=1, stable=True)
    ranks = []
    for i in range(len(texts)):
        positives = torch.tensor([texts[j] == texts[i] for j in order[i].tolist()])
        ranks.append(int(torch.nonzero(positives)[0]) + 1)
    r = torch.tensor(ranks)
    return {k: float((r <= k).float().mean()) for k in ks}


@dataclass
class Run:
    image: DemoImage
    text: DemoText
    tokenizer: WordPiece
    seconds: float
    epochs: int


def train(train_set: list[Study], args: argparse.Namespace, monitor: Callable[[Run], None] | None = None) -> Run:
    tok = WordPiece.build([s.text for s in train_set], args.min_count, args.max_length)
    lengths = [len(tok.encode(s.text)) for s in train_set]
    print(f"[data] {len(train_set)} training studies, vocab {len(tok.vocab)}, tokens/report max {max(lengths)} mean {np.mean(lengths):.1f}")
    torch.manual_seed(args.seed)
    image, text = DemoImage(args.dim), DemoText(len(tok.vocab), args.max_length, args.dim)
    logit_scale = nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))
    params = [*image.parameters(), *text.parameters(), logit_scale]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train_set) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    pixels = image_tensor(train_set)
    ids = [tok.encode(s.text) for s in train_set]
    gen = torch.Generator().manual_seed(args.seed)
    start = time.monotonic()
    for epoch in range(args.epochs):
        image.train()
        text.train()
        perm = torch.randperm(len(train_set), generator=gen).tolist()
        batches = length_buckets(perm, lengths, args.batch, gen)
        total = 0.0
        for idx in batches:
            img = F.normalize(image(augment(pixels[idx], gen)), dim=-1)
            txt = F.normalize(text(**token_batch([ids[i] for i in idx])), dim=-1)
            logits = logit_scale.clamp(max=np.log(100)).exp() * img @ txt.T
            # Duplicate report strings in a batch are positives too (soft targets).
            same = torch.tensor([[train_set[i].text == train_set[j].text for j in idx] for i in idx], dtype=torch.float32)
            target = same / same.sum(1, keepdim=True)
            loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2  # same is symmetric
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        print(f"[train] epoch {epoch + 1}/{args.epochs} loss {total / len(perm):.4f} ({time.monotonic() - start:.0f} s)", flush=True)
        if monitor is not None:
            image.eval()
            text.eval()
            monitor(Run(image, text, tok, 0.0, epoch + 1))
    image.eval()
    text.eval()
    return Run(image, text, tok, time.monotonic() - start, args.epochs)


def evaluate(run: Run, test_set: list[Study], levels: list[float], seed: int, split: str = "test") -> dict[float, dict[int, float]]:
    texts = [s.text for s in test_set]
    batch = token_batch([run.tokenizer.encode(t) for t in texts])
    with torch.no_grad():
        text_emb = F.normalize(run.text(**batch), dim=-1)
    results = {}
    for level in levels:
        image_emb = encode_all(run.image, image_tensor(test_set, level, seed))  # type: ignore[arg-type]
        results[level] = recall_at(image_emb, text_emb, texts, (1, 5, 10))
        r = results[level]
        print(f"[eval:{split}] occlusion {level:.2f}: image->report R@1 {r[1]:.3f}  R@5 {r[5]:.3f}  R@10 {r[10]:.3f}  (n={len(test_set)})", flush=True)
    return results


# ---------------------------------------------------------------------------------------------
# Bundle
# ---------------------------------------------------------------------------------------------


def demo_card(args: argparse.Namespace, run: Run, results: dict[float, dict[int, float]], n_test: int, n_unique: int, v: Verification) -> str:
    rows = "\n".join(f"| {lvl:.2f} | {r[1]:.3f} | {r[5]:.3f} | {r[10]:.3f} |" for lvl, r in results.items())
    chance = min(1.0, 5 / n_unique)
    return f"""# demo-cxr: the project's demo dual encoder (synthetic data)

**Not a medical model.** It was trained only on the project's synthetic radiograph-like pictures and
template reports. It knows nothing about real chest X-rays; never use it on patient data or for any
clinical purpose. It exists so that search and the occlusion benchmark show real behaviour (good
retrieval on clean images, degradation under occlusion) on a fresh machine with no downloads.

- Source: `packages/encoders/python/train_demo.py` (this repository), exported through the same bundle
  writer as `cxr_export.py`.
- License: MIT (weights and tokenizer are ours).
- Intended use: demos, tests and tutorials of the cxr-retrieval platform on synthetic data.

## How it was trained

- Data: `cxr synth --studies {args.studies_note} --seed {args.data_seed_note}` (packages/datasets/src/synth,
  generator `{args.generator_note}`), the `train` split ({args.n_train} studies); text field `{args.text_field}`.
  Data fingerprint (regenerate and compare before retraining): manifest.jsonl sha256 `{args.manifest_sha}`;
  images: sha256 of the sorted `sha256sum images/*` lines `{args.images_sha}`.
- Image tower: 1x128x128 grey input (convert L, resize 128x128 bilinear, /255, normalise 0.5/0.25), four
  stride-2 3x3 convolutions (8-16-32-64 channels, BatchNorm, ReLU), 1x1 conv to 32, 4x4 average pool
  (keeps laterality), MLP to {args.dim}.
- Text tower: WordPiece tokenizer built from the training reports (whole words seen >= {args.min_count} times, plus
  single characters; lower-cased; vocabulary {len(run.tokenizer.vocab)}), max {args.max_length} tokens, 2-layer post-LN
  transformer (width 64, 2 heads), mean over real tokens, Linear to {args.dim}.
- Loss: symmetric InfoNCE with a learned temperature (identical report strings in a batch count as positives).
  AdamW, one-cycle learning rate {args.lr}, batch {args.batch} (length-bucketed), {run.epochs} epochs, small random
  shifts and contrast jitter.
- Seed {args.seed}, {args.threads} CPU thread(s); training took {run.seconds:.0f} s of wall time on this project's
  2-core development machine while other jobs shared it (load average 6-20).
- Reproduce: see packages/encoders/python/README.md ("The demo model").

## Metrics (synthetic test split, {n_test} studies, {n_unique} distinct reports)

image->report retrieval against all test reports; a hit when a report with the study's exact text is in
the top K. Occlusion: a G=8 grid, round(level*64) cells blacked out in a per-image permutation seeded
from sha256("{args.seed}:<study_id>") (nested across levels), applied to the decoded image before
preprocessing. Chance Recall@5 is about {chance:.3f}.

| occlusion | Recall@1 | Recall@5 | Recall@10 |
|---|---|---|---|
{rows}

{verification_section(v)}"""


def export(run: Run, args: argparse.Namespace, results: dict[float, dict[int, float]], test_set: list[Study]) -> None:
    spec = BundleSpec(
        id="demo-cxr",
        name="Demo CXR dual encoder (synthetic data, not a medical model)",
        family="demo",
        license="MIT",
        image_shape=[1, IMAGE_SIZE, IMAGE_SIZE],
        preprocess=demo_steps(IMAGE_SIZE),
        tokenizer=TokenizerSpec(max_length=args.max_length, truncation="standard", padding="longest", pad_id=0),
        dimension=args.dim,
    )
    sample = test_set[:3]
    if args.reference_out is not None:
        write_fixture(args.reference_out, sample)
    samples = Samples(image_tensor(sample), token_batch([run.tokenizer.encode(s.text) for s in sample]))
    tok_json = run.tokenizer.to_json()
    raw = json.dumps(tok_json, ensure_ascii=False, separators=(",", ":")).encode()
    tokenizer = TokenizerFile(tok_json, raw, None, "built by train_demo.py from the synthetic training reports")
    n_unique = len({s.text for s in test_set})
    write_bundle(
        args.out,
        spec,
        run.image,
        run.text,
        samples,
        tokenizer,
        lambda v: demo_card(args, run, results, len(test_set), n_unique, v),
        MIT_TEXT.format(holder="2026 cxr-retrieval contributors"),
        force=True,
        reference_out=args.reference_out,
    )


def save_checkpoint(run: Run, path: Path) -> None:
    torch.save(
        {"image": run.image.state_dict(), "text": run.text.state_dict(), "vocab": run.tokenizer.vocab, "seconds": run.seconds, "epochs": run.epochs},
        path,
    )


def load_checkpoint(path: Path, args: argparse.Namespace) -> Run:
    ckpt = torch.load(path, map_location="cpu")
    tok = WordPiece(ckpt["vocab"], args.max_length)
    image, text = DemoImage(args.dim), DemoText(len(tok.vocab), args.max_length, args.dim)
    image.load_state_dict(ckpt["image"])
    text.load_state_dict(ckpt["text"])
    return Run(image.eval(), text.eval(), tok, float(ckpt["seconds"]), int(ckpt["epochs"]))


def write_fixture(folder: Path, sample: list[Study]) -> None:
    """For the TypeScript test: the sample studies' PNGs and texts next to PyTorch's embeddings."""
    folder.mkdir(parents=True, exist_ok=True)
    for s in sample:
        shutil.copyfile(s.image, folder / s.image.name)
    doc = [{"study_id": s.study_id, "image": s.image.name, "text": s.text} for s in sample]
    (folder / "samples.json").write_text(json.dumps(doc, indent=1) + "\n")


def images_fingerprint(folder: Path) -> str:
    """sha256 over the sorted "<sha256>  <name>" lines of the images (as `cd images && sha256sum * | sha256sum`)."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(folder.iterdir()) if p.is_file()]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="output folder of `cxr synth` (manifest.jsonl, images/)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "models" / "demo-cxr")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--max-length", type=int, default=192)
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument("--text-field", default="report", choices=["report", "findings", "impression"])
    p.add_argument("--levels", default="0,0.25,0.5", help="occlusion levels to evaluate")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, help="use only the first N studies (smoke tests)")
    p.add_argument("--reference-out", type=Path, help="also write PyTorch embeddings of the sample inputs (tests)")
    p.add_argument("--no-export", action="store_true")
    p.add_argument("--monitor", action="store_true", help="print validation Recall@K after every epoch")
    p.add_argument("--save-checkpoint", type=Path, help="save the trained weights (torch.save) here")
    p.add_argument("--from-checkpoint", type=Path, help="skip training: evaluate and export these weights")
    args = p.parse_args(argv)
    synth = args.data / "synth.json"
    meta = json.loads(synth.read_text()) if synth.exists() else {}
    args.studies_note = meta.get("studies", "?")
    args.data_seed_note = meta.get("seed", "?")
    args.generator_note = meta.get("generator", "?")
    args.manifest_sha = hashlib.sha256((args.data / "manifest.jsonl").read_bytes()).hexdigest()
    args.images_sha = images_fingerprint(args.data / "images")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    studies = read_manifest(args.data, args.text_field)
    if args.limit:
        studies = studies[: args.limit]
    train_set = [s for s in studies if s.split == "train"]
    args.n_train = len(train_set)
    test_set = [s for s in studies if s.split == "test"]
    val_set = [s for s in studies if s.split == "val"]
    if args.from_checkpoint is not None:
        run = load_checkpoint(args.from_checkpoint, args)
    else:
        run = train(train_set, args, (lambda r: evaluate(r, val_set, [0.0], args.seed, "val")) if args.monitor else None)
        if args.save_checkpoint is not None:
            save_checkpoint(run, args.save_checkpoint)
    levels = [float(x) for x in args.levels.split(",")]
    results = evaluate(run, test_set, levels, args.seed)
    print(f"[done] trained in {run.seconds:.0f} s; chance Recall@5 ~ {5 / max(1, len({s.text for s in test_set})):.3f}")
    if not args.no_export:
        export(run, args, results, test_set)
    return 0


if __name__ == "__main__":
    sys.exit(main())
