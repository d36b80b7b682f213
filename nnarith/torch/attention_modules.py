"""Multi-head self-attention as nnarith counts it: the matrix products written out, the scores materialised.

nn.MultiheadAttention's kernels hide their arithmetic from the counters: in eval mode without autograd it takes
a fused fast path (torch._native_multi_head_attention) that FlopCounterMode counts as nothing, and otherwise it
calls scaled_dot_product_attention, whose CPU kernel FlopCounterMode does not count and fvcore skips; that
kernel never holds the heads x T x T scores either. This module computes the same function with its parameters
laid out and named as nn.MultiheadAttention's (in_proj_weight, in_proj_bias, out_proj), so that its state_dict
loads into nn.MultiheadAttention(features, heads, batch_first=True) where heads x head_dim = features, and it
also builds a head_dim of its own, which nn.MultiheadAttention cannot.
"""

from __future__ import annotations

import torch
from torch import nn


class SelfAttention(nn.Module):
    """Self-attention on tokens [N, T, F]: q, k and v from one projection of x, softmax(q kᵀ / sqrt(d)) v per
    head, the heads joined and projected back to F. causal: each token attends to itself and those before it."""

    def __init__(self, features: int, heads: int, head_dim: int, bias: bool = True, causal: bool = False) -> None:
        super().__init__()
        self.features, self.heads, self.head_dim, self.causal = features, heads, head_dim, causal
        inner = heads * head_dim
        self.in_proj_weight = nn.Parameter(torch.empty(3 * inner, features))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * inner)) if bias else None
        self.out_proj = nn.Linear(inner, features, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)  # as nn.MultiheadAttention initialises it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, _ = x.shape
        qkv = nn.functional.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = qkv.view(n, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.head_dim**-0.5
        if self.causal:  # an added mask of -inf above the diagonal: the whole T x T is computed, as dense kernels do
            scores = scores + torch.full((t, t), float("-inf"), device=x.device, dtype=x.dtype).triu(1)
        heads = torch.matmul(scores.softmax(-1), v)
        joined = heads.transpose(1, 2).reshape(n, t, self.heads * self.head_dim)
        # out_proj as a function, as nn.MultiheadAttention calls it: a model built of either has the same modules
        # that run (verify --against compares the output shapes of those that hold parameters)
        return nn.functional.linear(joined, self.out_proj.weight, self.out_proj.bias)

    def extra_repr(self) -> str:
        return f"{self.features}, {self.heads}, head_dim={self.head_dim}, causal={self.causal}"
