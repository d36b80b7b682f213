"""The modules of the token kinds (layers/tokens.py, layers/patches.py), as nnarith.torch.modules' are:
each with an extra_repr that reads as its constructor's arguments, copied by `nnarith export` into the
files that use them."""

from __future__ import annotations

import torch
from torch import nn

from nnarith.layers.base import IDS


class PositionEmbedding(nn.Module):
    """A learned table of `positions` rows, the first T added to tokens [N, T, F]: the params of BERT's and
    GPT-2's nn.Embedding(positions, dim) read at positions arange(T), and of ViT's nn.Parameter (1, T, dim)."""

    def __init__(self, positions: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(positions, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight[: x.shape[1]]

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"


class SinusoidalPosition(nn.Module):
    """Vaswani et al.'s fixed position encoding added to tokens [N, T, F]: a buffer of `positions` rows,
    sin(pos / 10000^(2i/F)) at feature 2i and cos at 2i + 1, as the PyTorch tutorial's PositionalEncoding
    registers it; scale: the tokens multiplied by sqrt(F) first, as the paper scales its embeddings."""

    def __init__(self, positions: int, dim: int, scale: bool = False) -> None:
        super().__init__()
        self.scale = scale
        pos = torch.arange(positions, dtype=torch.float64).unsqueeze(1)
        angle = pos / 10000.0 ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # feature 2i's rate
        table = torch.zeros(positions, dim, dtype=torch.float64)
        table[:, 0::2] = torch.sin(angle)
        table[:, 1::2] = torch.cos(angle[:, : dim // 2])  # an odd F has one sine more than cosines
        self.register_buffer("table", table.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * x.shape[-1] ** 0.5 if self.scale else x) + self.table[: x.shape[1]]

    def extra_repr(self) -> str:
        return f"{self.table.shape[0]}, {self.table.shape[1]}, scale={self.scale}"


class SegmentEmbedding(nn.Module):
    """BERT's token-type embedding nn.Embedding(segments, dim) with every token of segment 0: its row 0 added."""

    def __init__(self, segments: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(segments, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight[0]

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"


class ClassToken(nn.Module):
    """`count` learned tokens prepended to tokens [N, T, F], as torchvision's ViT class_token (1, 1, F)."""

    def __init__(self, dim: int, count: int = 1) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, count, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)

    def extra_repr(self) -> str:
        return f"{self.token.shape[2]}, count={self.token.shape[1]}"


class SelectToken(nn.Module):
    """Token `index` of tokens [N, T, F], as [N, F]: ViT's x[:, 0]; a view."""

    def __init__(self, index: int = 0) -> None:
        super().__init__()
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.index]

    def extra_repr(self) -> str:
        return str(self.index)


class MeanTokens(nn.Module):
    """The mean over the tokens of [N, T, F]: [N, F]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=1)


class PatchEmbed(nn.Module):
    """A map [N, C, *spatial] cut into patches, each projected to `dim` features: tokens [N, patches, dim], as
    torchvision's VisionTransformer does (conv_proj, then reshape and permute)."""

    def __init__(self, channels: int, dim: int, size, spatial: int = 2, bias: bool = True) -> None:
        super().__init__()
        conv = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[spatial - 1]
        self.proj = conv(channels, dim, kernel_size=size, stride=size, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class ToTokens(nn.Module):
    """Each position of a map [N, C, *spatial] a token of its C channels: [N, positions, C]; a view."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).transpose(1, 2)


def sample_input(dims: tuple[int, ...], layout: str, batch: int, device=None) -> torch.Tensor:
    """An input batch for a spec: token ids (all 0, an id of every vocabulary) where it reads ids, else
    random features."""
    if layout == IDS:
        return torch.zeros(batch, *dims, dtype=torch.long, device=device)
    return torch.randn(batch, *dims, device=device)
