"""The modules of the selecting kinds (nnarith/layers/select.py), kept apart from modules.py as
those kinds are; construct.resolve and export look classes up in both files (HELPER_MODULES)."""

from __future__ import annotations

import torch
from torch import nn


class ChannelSlice(nn.Module):
    """x[:, start:stop], the channels [start, stop) of a map [N, C, ...]: a view, as ShuffleNet v2's
    x.chunk(2, dim=1) gives each half."""

    def __init__(self, start: int, stop: int) -> None:
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.start:self.stop]

    def extra_repr(self) -> str:
        return f"{self.start}, {self.stop}"
