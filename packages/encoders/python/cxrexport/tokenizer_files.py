"""tokenizer.json handling: load a Hugging Face tokenizers file, or convert openai/CLIP's BPE merges.

No `tokenizers` or `transformers` package is needed: tokenizer.json is plain JSON.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

CLIP_SOT = "<|startoftext|>"
CLIP_EOT = "<|endoftext|>"
# openai/CLIP simple_tokenizer.py: merges[1:49152-256-2+1] -> 48,894 merges, 49,408 tokens.
CLIP_MERGE_COUNT = 49152 - 256 - 2
# Python's str.isspace() characters, as in src/tokenizer/clip-bpe.ts.
PY_SPACE_CHARS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(chr(0x2000 + i) for i in range(11)) + "\u2028\u2029\u202f\u205f\u3000"
CLIP_PATTERN = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


@dataclass(frozen=True)
class TokenizerFile:
    """A tokenizer.json as JSON, the bytes to write, and the optional tokenizer_config.json beside it."""

    data: dict[str, Any]
    raw: bytes
    config: bytes | None
    source: str


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2 / CLIP reversible byte -> printable unicode map (clip/simple_tokenizer.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def convert_clip_bpe(merges_gz: Path) -> dict[str, Any]:
    """bpe_simple_vocab_16e6.txt.gz -> a tokenizer.json equivalent to the Hugging Face CLIP port.

    Vocabulary order is openai/CLIP's: 256 byte symbols, the same with '</w>', one entry per merge,
    then <|startoftext|> (49406) and <|endoftext|> (49407). Whitespace runs (Python str.isspace)
    collapse to one space, then strip and lower-case. The double html.unescape of the original is
    declared as manifest text prep; ftfy has no port. Byte-identical to the TypeScript converter
    (src/tokenizer/clip-bpe.ts, written with JSON.stringify), which the export test checks.
    """
    lines = gzip.open(merges_gz, "rt", encoding="utf-8").read().split("\n")
    merges = [tuple(line.split()) for line in lines[1 : CLIP_MERGE_COUNT + 1]]
    symbols = list(bytes_to_unicode().values())
    vocab_list = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + [CLIP_SOT, CLIP_EOT]
    vocab = js_key_order({tok: i for i, tok in enumerate(vocab_list)})
    special = [
        {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        for t in (CLIP_SOT, CLIP_EOT)
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": special,
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Replace", "pattern": {"Regex": f"[{PY_SPACE_CHARS}]+"}, "content": " "},
                {"type": "Strip", "strip_left": True, "strip_right": True},
                {"type": "Lowercase"},
            ],
        },
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": CLIP_PATTERN}, "behavior": "Removed", "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ],
        },
        "post_processor": {
            "type": "RobertaProcessing",
            "sep": [CLIP_EOT, vocab[CLIP_EOT]],
            "cls": [CLIP_SOT, vocab[CLIP_SOT]],
            "trim_offsets": False,
            "add_prefix_space": False,
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": CLIP_EOT,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "</w>",
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [" ".join(m) for m in merges],  # the file's lines, as the TS converter keeps them
        },
    }


def js_key_order(d: dict[str, int]) -> dict[str, int]:
    """JavaScript objects list integer-like keys first, ascending: mirror that so the JSON is the
    same bytes as JSON.stringify's (the lookup semantics are unchanged)."""
    index_like = sorted((k for k in d if re.fullmatch(r"0|[1-9][0-9]{0,9}", k) and int(k) < 2**32 - 1), key=int)
    rest = [k for k in d if k not in set(index_like)]
    return {k: d[k] for k in index_like + rest}


def load_tokenizer(path: Path) -> TokenizerFile:
    """Accepts a tokenizer.json, a folder holding one, or openai/CLIP's bpe_simple_vocab_16e6.txt.gz."""
    path = Path(path)
    if path.is_dir():
        if (path / "tokenizer.json").exists():
            return load_tokenizer(path / "tokenizer.json")
        gz = sorted(path.glob("bpe_simple_vocab*.txt.gz"))
        if gz:
            return load_tokenizer(gz[0])
        raise FileNotFoundError(f"{path}: no tokenizer.json or bpe_simple_vocab*.txt.gz in this folder")
    if path.name.endswith(".txt.gz"):
        data = convert_clip_bpe(path)
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return TokenizerFile(data, raw, None, f"converted from {path.name}")
    raw = path.read_bytes()
    config_path = path.with_name("tokenizer_config.json")
    config = config_path.read_bytes() if config_path.exists() else None
    return TokenizerFile(json.loads(raw), raw, config, path.name)


def token_id(tok: dict[str, Any], content: str) -> int | None:
    for added in tok.get("added_tokens", []):
        if added["content"] == content:
            return int(added["id"])
    vocab = tok.get("model", {}).get("vocab", {})
    if isinstance(vocab, dict) and content in vocab:
        return int(vocab[content])
    return None


def require_id(tok: dict[str, Any], content: str) -> int:
    found = token_id(tok, content)
    if found is None:
        raise ValueError(f"tokenizer.json has no token {content!r}")
    return found


def vocab_size(tok: dict[str, Any]) -> int:
    vocab = tok.get("model", {}).get("vocab", {})
    ids = list(vocab.values()) if isinstance(vocab, dict) else list(range(len(vocab)))
    ids += [int(a["id"]) for a in tok.get("added_tokens", [])]
    return max(ids) + 1


def clip_token_batch(tok: dict[str, Any], lengths: list[int], context: int = 77, seed: int = 0) -> torch.Tensor:
    """openai/CLIP layout: SOT, content, EOT, zero padding. A length >= context is truncated as with
    truncate=True (the last slot holds EOT). Content ids stay below SOT so EOT is the argmax."""
    sot, eot = require_id(tok, CLIP_SOT), require_id(tok, CLIP_EOT)
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for n in lengths:
        content = torch.randint(1, sot, (max(n, 0),), generator=gen).tolist()
        ids = ([sot] + content)[: context - 1] + [eot]
        rows.append(ids + [0] * (context - len(ids)))
    return torch.tensor(rows, dtype=torch.int64)


def bert_token_batch(tok: dict[str, Any], lengths: list[int], pad_to: int | None, seed: int = 0) -> dict[str, torch.Tensor]:
    """[CLS] content [SEP] [PAD]..., padded to `pad_to` or to the longest row; mask 1 on real tokens."""
    cls, sep = require_id(tok, "[CLS]"), require_id(tok, "[SEP]")
    pad = token_id(tok, "[PAD]") or 0
    size = vocab_size(tok)
    low = min(999, size - 1) if size > 1000 else max(cls, sep, pad) + 1
    gen = torch.Generator().manual_seed(seed)
    seqs = [[cls] + torch.randint(low, size, (n,), generator=gen).tolist() + [sep] for n in lengths]
    width = pad_to if pad_to is not None else max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.int64)
    mask = torch.zeros((len(seqs), width), dtype=torch.int64)
    for i, s in enumerate(seqs):
        s = s[: width - 1] + [sep] if len(s) > width else s
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
