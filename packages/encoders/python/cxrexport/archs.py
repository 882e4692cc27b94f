"""Architectures restated in plain torch/torchvision, used for --random-init exports.

Each module here has the same input/output contract and the same pooling rule as the published
model it stands for (packages/encoders/BUNDLE.md and each model's card.md), so the export plumbing and the
TypeScript runtime are exercised on the real quirks. Widths and depths are parameters: `--tiny`
shrinks them, the pooling semantics never change.

- CLIP (and CXR-RePaiR, which is CLIP's graph): `ClipVisual` and `ClipText` mirror openai/CLIP
  `clip/model.py` (VisionTransformer; the text half of CLIP), with the same parameter names, so a
  real OpenAI state dict loads into them (`load_openai_clip_state_dict`).
- MedCLIP: torchvision Swin-T (pooled 768 features, i.e. Hugging Face `pooler_output`) ->
  Linear(no bias); text = BERT-style encoder, average of hidden_states[1], [2], [-1], then a mean
  over ALL positions (no mask) -> Linear(no bias).
- CXR-CLIP: Swin-T first token of the final normed tokens / ResNet-50 avgpool -> Linear; text =
  BERT-style last hidden state at attention_mask.sum(-1) - 1 -> Linear.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet
from torchvision.models.swin_transformer import SwinTransformer

# ---------------------------------------------------------------------------------------------
# CLIP (openai/CLIP clip/model.py, restated)
# ---------------------------------------------------------------------------------------------


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model: int, n_head: int, attn_mask: torch.Tensor | None = None) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ("c_fc", nn.Linear(d_model, d_model * 4)),
                    ("gelu", QuickGELU()),
                    ("c_proj", nn.Linear(d_model * 4, d_model)),
                ]
            )
        )
        self.ln_2 = nn.LayerNorm(d_model)
        self.attn_mask = attn_mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=self.attn_mask)[0]
        return x + self.mlp(self.ln_2(x))


class ClipTransformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, attn_mask: torch.Tensor | None = None) -> None:
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, attn_mask) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resblocks(x)


class ClipVisual(nn.Module):
    """CLIP VisionTransformer: class token -> ln_post -> proj."""

    def __init__(self, input_resolution: int, patch_size: int, width: int, layers: int, heads: int, output_dim: int) -> None:
        super().__init__()
        self.input_resolution = input_resolution
        self.output_dim = output_dim
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width**-0.5
        grid = input_resolution // patch_size
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = ClipTransformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device)
        x = torch.cat([cls, x], dim=1)
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


def causal_mask(context_length: int) -> torch.Tensor:
    mask = torch.empty(context_length, context_length)
    mask.fill_(float("-inf"))
    return mask.triu_(1)


class ClipText(nn.Module):
    """The text half of CLIP: causal transformer, feature at the EOT position (argmax of ids)."""

    def __init__(self, vocab_size: int, context_length: int, width: int, layers: int, heads: int, embed_dim: int) -> None:
        super().__init__()
        self.context_length = context_length
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        self.transformer = ClipTransformer(width, layers, heads, attn_mask=causal_mask(context_length))
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim))
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=width**-0.5)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.token_embedding(input_ids) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        # EOT is the highest id in each sequence (openai/CLIP encode_text).
        return x[torch.arange(x.shape[0]), input_ids.argmax(dim=-1)] @ self.text_projection


@dataclass(frozen=True)
class ClipSize:
    vision_width: int
    vision_layers: int
    vision_heads: int
    text_width: int
    text_layers: int
    text_heads: int


CLIP_B32 = ClipSize(768, 12, 12, 512, 12, 8)
CLIP_TINY = ClipSize(64, 2, 2, 64, 2, 2)


def clip_pair(size: ClipSize, vocab_size: int, embed_dim: int = 512, context_length: int = 77) -> tuple[ClipVisual, ClipText]:
    visual = ClipVisual(224, 32, size.vision_width, size.vision_layers, size.vision_heads, embed_dim)
    text = ClipText(vocab_size, context_length, size.text_width, size.text_layers, size.text_heads, embed_dim)
    return visual, text


def load_openai_clip_state_dict(visual: ClipVisual, text: ClipText, state: dict[str, torch.Tensor]) -> None:
    """Load a full openai/CLIP state dict (ViT-B-32.pt or a fine-tune such as CXR-RePaiR)."""
    vis = {k[len("visual.") :]: v.float() for k, v in state.items() if k.startswith("visual.")}
    txt_keys = ("token_embedding.", "positional_embedding", "transformer.", "ln_final.", "text_projection")
    txt = {k: v.float() for k, v in state.items() if k.startswith(txt_keys)}
    visual.load_state_dict(vis, strict=True)
    text.load_state_dict(txt, strict=True)


# ---------------------------------------------------------------------------------------------
# BERT-style text encoder (Bio_ClinicalBERT layout: post-LN, GELU, eps 1e-12)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BertSize:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int = 512


BERT_BASE = BertSize(768, 12, 12, 3072)
BERT_TINY = BertSize(64, 3, 2, 128)  # 3 layers so that hidden_states[2] and [-1] differ


class BertLayer(nn.Module):
    def __init__(self, size: BertSize) -> None:
        super().__init__()
        self.heads = size.heads
        self.head_dim = size.hidden // size.heads
        self.query = nn.Linear(size.hidden, size.hidden)
        self.key = nn.Linear(size.hidden, size.hidden)
        self.value = nn.Linear(size.hidden, size.hidden)
        self.attn_out = nn.Linear(size.hidden, size.hidden)
        self.attn_norm = nn.LayerNorm(size.hidden, eps=1e-12)
        self.ffn_in = nn.Linear(size.hidden, size.intermediate)
        self.ffn_out = nn.Linear(size.intermediate, size.hidden)
        self.ffn_norm = nn.LayerNorm(size.hidden, eps=1e-12)
        self.act = nn.GELU()

    def split(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], x.shape[1], self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / (self.head_dim**0.5) + mask_bias
        ctx = (scores.softmax(dim=-1) @ v).permute(0, 2, 1, 3)
        ctx = ctx.reshape(ctx.shape[0], ctx.shape[1], -1)
        x = self.attn_norm(x + self.attn_out(ctx))
        return self.ffn_norm(x + self.ffn_out(self.act(self.ffn_in(x))))

    def forward_rows(self, h: torch.Tensor, rows: "PackedRows", mask_bias: torch.Tensor) -> torch.Tensor:
        """The same layer on the kept rows only (h: [kept, hidden]); see BertEncoder.last_hidden_rows."""
        q, k, v = (self.split(rows.unpack(t)) for t in (self.query(h), self.key(h), self.value(h)))
        scores = q @ k.transpose(-1, -2) / (self.head_dim**0.5) + mask_bias
        ctx = (scores.softmax(dim=-1) @ v).permute(0, 2, 1, 3)
        ctx = rows.pack(ctx.reshape(ctx.shape[0], ctx.shape[1], -1))
        h = self.attn_norm(h + self.attn_out(ctx))
        return self.ffn_norm(h + self.ffn_out(self.act(self.ffn_in(h))))


class PackedRows:
    """The token positions of a padded [batch, seq] layout that are computed, as rows of a [kept, hidden] matrix.

    `keep` (bool [batch * seq]) marks the positions; pack gathers them, unpack scatters them back into
    [batch, seq, hidden] with zeros elsewhere (by a gather from the kept rows plus one zero row, which
    exports to a plain ONNX Gather).
    """

    def __init__(self, keep: torch.Tensor, batch: torch.Tensor | int, seq: torch.Tensor | int) -> None:
        self.batch, self.seq = batch, seq
        self.index = torch.nonzero(keep).squeeze(1)  # [kept]
        counts = torch.cumsum(keep.to(torch.int64), 0)
        # Kept position -> its row; any other -> the zero row appended after the last kept one.
        self.rows_of = torch.where(keep, counts - 1, counts[-1:])  # [batch * seq]

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1, x.shape[-1]).index_select(0, self.index)

    def unpack(self, rows: torch.Tensor) -> torch.Tensor:
        padded = torch.cat([rows, rows.new_zeros(1, rows.shape[1])], 0).index_select(0, self.rows_of)
        return padded.reshape(self.batch, self.seq, rows.shape[1])


class BertEncoder(nn.Module):
    """Returns hidden_states as Hugging Face does: [embeddings, layer 1, ..., layer N]."""

    def __init__(self, vocab_size: int, size: BertSize) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, size.hidden)
        self.position_embeddings = nn.Embedding(size.max_positions, size.hidden)
        self.token_type_embeddings = nn.Embedding(2, size.hidden)
        self.embed_norm = nn.LayerNorm(size.hidden, eps=1e-12)
        self.register_buffer("position_ids", torch.arange(size.max_positions).unsqueeze(0), persistent=False)
        self.layers = nn.ModuleList([BertLayer(size) for _ in range(size.layers)])
        for emb in (self.word_embeddings, self.position_embeddings, self.token_type_embeddings):
            nn.init.normal_(emb.weight, std=0.02)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> list[torch.Tensor]:
        positions = self.position_ids[:, : input_ids.shape[1]]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(positions)
        x = self.embed_norm(x)
        # transformers >= 4.2x: (1 - mask) * finfo(float32).min, broadcast over heads and queries.
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        hidden = [x]
        for layer in self.layers:
            x = layer(x, mask_bias)
            hidden.append(x)
        return hidden

    def last_hidden_rows(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor, rows: torch.Tensor
    ) -> torch.Tensor:
        """The last hidden state at the positions `rows` ([batch], one per sequence): [batch, hidden].

        Equals forward(...)[-1][arange(batch), rows] but runs the dense layers (Linear, LayerNorm, GELU:
        nearly all the FLOPs) only on the positions the result depends on: every unmasked position
        (the keys and values of attention) plus the selected ones. Padding positions are never
        computed, so a batch of short reports padded to a long one costs what its real tokens cost.
        Masked keys get the same bias as in forward (exp underflows to exactly 0), so outputs match
        forward within float rounding.
        """
        batch, seq = input_ids.shape
        positions = self.position_ids[:, :seq]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(positions)
        x = self.embed_norm(x)
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        selected = torch.arange(batch) * seq + rows
        flat = torch.arange(batch * seq)
        keep = (attention_mask.reshape(-1) != 0) | (flat[None, :] == selected[:, None]).any(0)
        packed = PackedRows(keep, batch, seq)
        h = packed.pack(x)
        for layer in self.layers:
            h = layer.forward_rows(h, packed, mask_bias)
        return h.index_select(0, packed.rows_of.index_select(0, selected))


class MedClipText(nn.Module):
    """MedCLIPTextModel: mean over ALL positions of mean(hs[1], hs[2], hs[-1]); Linear no bias."""

    def __init__(self, vocab_size: int, size: BertSize, proj_dim: int = 512) -> None:
        super().__init__()
        self.bert = BertEncoder(vocab_size, size)
        self.projection_head = nn.Linear(size.hidden, proj_dim, bias=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hs = self.bert(input_ids, attention_mask, torch.zeros_like(input_ids))
        stacked = torch.stack([hs[1], hs[2], hs[-1]])  # n_layer, batch, seq, hidden
        embed = stacked.permute(1, 0, 2, 3).mean(2).mean(1)  # padding positions included, as in MedCLIP
        return self.projection_head(embed)


class CxrClipText(nn.Module):
    """CXR-CLIP 'eos' pooling: last_hidden_state at attention_mask.sum(-1) - 1, then Linear."""

    def __init__(self, vocab_size: int, size: BertSize, proj_dim: int = 512, skip_padding: bool = True) -> None:
        super().__init__()
        self.bert = BertEncoder(vocab_size, size)
        self.projection = nn.Linear(size.hidden, proj_dim)
        # True: the graph computes no padding position (BertEncoder.last_hidden_rows), same outputs.
        self.skip_padding = skip_padding

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        eos = attention_mask.sum(dim=-1) - 1
        if self.skip_padding:
            return self.projection(self.bert.last_hidden_rows(input_ids, attention_mask, token_type_ids, eos))
        last = self.bert(input_ids, attention_mask, token_type_ids)[-1]
        return self.projection(last[torch.arange(last.shape[0]), eos])


# ---------------------------------------------------------------------------------------------
# Image towers from torchvision
# ---------------------------------------------------------------------------------------------


def swin(tiny: bool) -> SwinTransformer:
    """torchvision Swin-T (embed 96, depths 2-2-6-2), or a narrow one-block-per-stage variant."""
    if not tiny:
        return torchvision.models.swin_t(weights=None)
    return SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=[7, 7])


def swin_width(model: SwinTransformer) -> int:
    return int(model.norm.normalized_shape[0])


class MedClipSwinImage(nn.Module):
    """MedCLIPVisionModelViT: 1 channel repeated to 3 inside the model; pooled Swin output -> Linear no bias."""

    def __init__(self, tiny: bool, proj_dim: int = 512) -> None:
        super().__init__()
        self.swin = swin(tiny)
        self.projection_head = nn.Linear(swin_width(self.swin), proj_dim, bias=False)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if pixel_values.shape[1] == 1:
            pixel_values = pixel_values.repeat((1, 3, 1, 1))
        x = self.swin.norm(self.swin.features(pixel_values))  # B, H, W, C (Hugging Face: layernorm)
        pooled = torch.flatten(self.swin.avgpool(self.swin.permute(x)), 1)  # Hugging Face pooler_output
        return self.projection_head(pooled)


class CxrClipSwinImage(nn.Module):
    """CXR-CLIP Swin: image_features[:, 0] of last_hidden_state (first of the 7x7 final tokens)."""

    def __init__(self, tiny: bool, proj_dim: int = 512) -> None:
        super().__init__()
        self.swin = swin(tiny)
        self.projection = nn.Linear(swin_width(self.swin), proj_dim)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.swin.norm(self.swin.features(pixel_values))  # B, H, W, C
        return self.projection(x[:, 0, 0, :])


def resnet50_trunk(tiny: bool) -> ResNet:
    """ResNet-50 without fc (Bottleneck, 2048-d avgpool); tiny = one narrow block per stage."""
    model = ResNet(Bottleneck, [1, 1, 1, 1], width_per_group=8) if tiny else torchvision.models.resnet50(weights=None)
    del model.fc
    return model


class CxrClipResNetImage(nn.Module):
    """CXR-CLIP ResNet50: avgpool 2048 -> Linear. BatchNorm (the original's SyncBatchNorm, reverted)."""

    def __init__(self, tiny: bool, proj_dim: int = 512) -> None:
        super().__init__()
        self.resnet = resnet50_trunk(tiny)
        self.projection = nn.Linear(2048, proj_dim)
        calibrate_batchnorm(self.resnet, (3, 224, 224))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = model_forward_trunk(self.resnet, pixel_values)
        return self.projection(torch.flatten(self.resnet.avgpool(x), 1))


def calibrate_batchnorm(model: nn.Module, chw: tuple[int, int, int], batches: int = 2, batch: int = 4) -> None:
    """Set eval-mode BatchNorm statistics from a few seeded random batches, as training would: a
    random-init ResNet-50 with running stats (0, 1) grows activations to the hundreds, where float32
    rounding alone exceeds the 1e-4 export tolerance; trained checkpoints are normalised like this."""
    gen = torch.Generator().manual_seed(1234)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model_forward_trunk(model, torch.randn(batch, *chw, generator=gen))
    model.eval()
    for bn in bns:
        bn.momentum = 0.1


def model_forward_trunk(r: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = r.maxpool(r.relu(r.bn1(r.conv1(x))))
    return r.layer4(r.layer3(r.layer2(r.layer1(x))))


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Inverse of nn.SyncBatchNorm.convert_sync_batchnorm, for exporting CXR-CLIP built by its own code."""
    out = module
    if isinstance(module, nn.SyncBatchNorm):
        out = nn.BatchNorm2d(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                out.weight = module.weight
                out.bias = module.bias
        out.running_mean = module.running_mean
        out.running_var = module.running_var
        out.num_batches_tracked = module.num_batches_tracked
    for name, child in module.named_children():
        out.add_module(name, revert_sync_batchnorm(child))
    return out
