"""The locally connected layer (unshared convolution), which torch.nn does not have.

One of the files whose classes `nnarith export` copies into an exported model (construct.HELPER_MODULES):
its code uses torch alone, which is all an exported file imports.
"""

from __future__ import annotations

import torch
from torch import nn


class LocallyConnected(nn.Module):
    """A convolution whose every output position has its own filters (Keras' LocallyConnected1D/2D;
    Goodfellow et al., Deep Learning, 9.5, "unshared convolution"), in 1 to 3 spatial dimensions.

    The padded input is cut into its windows with Tensor.unfold, one spatial dimension at a time,
    and the windows copied into patches [P, N, C_in*prod(kernel)] (P the output positions); one
    batched matrix product with the weights [P, C_in*prod(kernel), C_out] gives every position's
    outputs at once. The bias is one per output element, [C_out, *output size], as Keras' is.
    """

    def __init__(self, in_channels: int, out_channels: int, input_size: tuple[int, ...],
                 kernel_size: int | tuple[int, ...], stride: int | tuple[int, ...] = 1,
                 padding: int | tuple[int, ...] = 0, dilation: int | tuple[int, ...] = 1, bias: bool = True) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.input_size = in_channels, out_channels, tuple(input_size)
        rank = len(self.input_size)  # an int stands for every spatial dimension, as in nn.Conv2d
        self.kernel_size, self.stride, self.padding, self.dilation = (
            tuple(v) if isinstance(v, tuple) else (v,) * rank for v in (kernel_size, stride, padding, dilation))
        self.output_size = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                                 zip(self.input_size, self.kernel_size, self.stride, self.padding, self.dilation))
        fan_in = in_channels * torch.Size(self.kernel_size).numel()
        self.weight = nn.Parameter(torch.empty(torch.Size(self.output_size).numel(), fan_in, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels, *self.output_size)) if bias else None
        bound = fan_in ** -0.5  # nn.Conv's default initialisation, from each filter's inputs
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, rank = x.shape[0], len(self.kernel_size)
        if any(self.padding):
            x = nn.functional.pad(x, [p for p in reversed(self.padding) for _ in (0, 1)])
        for dim, (k, s, d) in enumerate(zip(self.kernel_size, self.stride, self.dilation)):
            x = x.unfold(2 + dim, d * (k - 1) + 1, s)  # [N, C, *out, *windows]: a view
        if any(d > 1 for d in self.dilation):
            x = x[(..., *(slice(None, None, d) for d in self.dilation))]  # the kernel's taps in each window
        # [*out, N, C, *kernel], copied (always, so that backward keeps this one tensor) into patches
        order = (*range(2, 2 + rank), 0, 1, *range(2 + rank, 2 + 2 * rank))
        patches = x.permute(order).clone(memory_format=torch.contiguous_format)
        y = torch.bmm(patches.view(self.weight.shape[0], n, -1), self.weight)  # [P, N, C_out]
        out = y.permute(1, 2, 0).reshape(n, self.out_channels, *self.output_size)
        out = out.clone(memory_format=torch.contiguous_format)  # [N, C_out, *out], a copy always
        return out.add_(self.bias) if self.bias is not None else out

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, bias={self.bias is not None}")
