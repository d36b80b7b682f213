"""Swin's shifted window attention and patch merging on maps [N, C, H, W], as torchvision computes them.

WindowAttention is torchvision's ShiftedWindowAttention (v1) with its parameters and buffer named as there
(qkv, proj, relative_position_bias_table, relative_position_index), so that its state_dict loads into it; it reads
and writes the channels-first map nnarith's layout holds, moving the channels last as torchvision's blocks keep
them. One difference, of rounding only: the scores are scaled after q kᵀ, as nnarith's SelfAttention scales them,
where torchvision scales q first (the same products; other ops as layers/window.py counts them).
"""

from __future__ import annotations

import torch
from torch import nn


class WindowAttention(nn.Module):
    """Multi-head self-attention within windows of window x window positions of a map [N, C, H, W], the map
    cyclically shifted by `shift` first and back after (where the window does not cover the padded map)."""

    def __init__(self, features: int, heads: int, head_dim: int, window: int, shift: int = 0,
                 bias: bool = True) -> None:
        super().__init__()
        self.features, self.heads, self.head_dim, self.window, self.shift = features, heads, head_dim, window, shift
        inner = heads * head_dim
        self.qkv = nn.Linear(features, 3 * inner, bias=bias)
        self.proj = nn.Linear(inner, features, bias=bias)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)  # as torchvision initialises it
        # for each pair of tokens of a window, the row of the table for their offset (torchvision's index)
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
        offsets = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
        self.register_buffer("relative_position_index", (offsets[..., 0] * (2 * window - 1) + offsets[..., 1])
                             .flatten())

    def mask(self, x: torch.Tensor, hp: int, wp: int, shift: tuple[int, int]) -> torch.Tensor:
        """-100 between the tokens of a window that the shift brought from different regions, as torchvision's."""
        w = self.window
        regions = x.new_zeros((hp, wp))
        count = 0
        for h in ((0, -w), (-w, -shift[0]), (-shift[0], None)):
            for v in ((0, -w), (-w, -shift[1]), (-shift[1], None)):
                regions[h[0]:h[1], v[0]:v[1]] = count
                count += 1
        regions = regions.view(hp // w, w, wp // w, w).permute(0, 2, 1, 3).reshape(-1, w * w)
        differ = regions.unsqueeze(1) - regions.unsqueeze(2)
        return differ.masked_fill(differ != 0, -100.0).masked_fill(differ == 0, 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, height, width = x.shape
        w, h, d, t = self.window, self.heads, self.head_dim, self.window**2
        x = x.permute(0, 2, 3, 1)  # [N, H, W, C], as torchvision's blocks hold the map
        pad_b, pad_r = -height % w, -width % w
        if pad_b or pad_r:
            x = nn.functional.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = height + pad_b, width + pad_r
        shift = (0 if w >= hp else self.shift, 0 if w >= wp else self.shift)
        if any(shift):
            x = torch.roll(x, (-shift[0], -shift[1]), (1, 2))
        windows = x.reshape(n, hp // w, w, wp // w, w, c).transpose(2, 3).reshape(-1, t, c)  # partition
        if windows.untyped_storage().data_ptr() == x.untyped_storage().data_ptr():
            # a view of the input where its layout allows (channels last, a window as wide as the map): copied,
            # so that the projection keeps a tensor of its own whatever the layer before, as layers/window.py counts
            windows = windows.clone()
        qkv = nn.functional.linear(windows, self.qkv.weight, self.qkv.bias)
        q, k, v = qkv.view(-1, t, 3, h, d).permute(2, 0, 3, 1, 4).unbind(0)
        scores = torch.matmul(q, k.transpose(-2, -1)) * d**-0.5
        bias = self.relative_position_bias_table[self.relative_position_index].view(t, t, h).permute(2, 0, 1)
        scores = scores + bias.contiguous()
        if any(shift):
            scores = (scores.view(n, -1, h, t, t) + self.mask(x, hp, wp, shift).unsqueeze(1)).view(-1, h, t, t)
        heads = torch.matmul(scores.softmax(-1), v)
        joined = heads.transpose(1, 2).reshape(-1, t, h * d)
        y = nn.functional.linear(joined, self.proj.weight, self.proj.bias)
        y = y.view(n, hp // w, wp // w, w, w, c).transpose(2, 3).reshape(n, hp, wp, c)  # merge
        if any(shift):
            y = torch.roll(y, shift, (1, 2))
        if pad_b or pad_r:
            y = y[:, :height, :width].clone()  # a tensor of its own, not a view into the padded one
        return y.permute(0, 3, 1, 2)

    def extra_repr(self) -> str:
        return (f"{self.features}, {self.heads}, head_dim={self.head_dim}, window={self.window}, "
                f"shift={self.shift}")


class PatchMerge(nn.Module):
    """Each 2x2 neighbourhood of a map [N, C, H, W] into the channels, [N, 4C, H/2, W/2], in torchvision's
    PatchMerging order; an odd size padded with zeros at the bottom or right first."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        if height % 2 or width % 2:
            x = nn.functional.pad(x, (0, width % 2, 0, height % 2))
        return torch.cat([x[..., 0::2, 0::2], x[..., 1::2, 0::2], x[..., 0::2, 1::2], x[..., 1::2, 1::2]], 1)
