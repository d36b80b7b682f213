"""The few modules a spec needs beyond torch.nn: composition, and layers PyTorch spells differently.

`nnarith export` copies the classes an exported model uses into its file, with their bases
here and the classes named in `uses`: a class whose code names another class of this module
(not a base) lists it there. Each has an extra_repr that reads as its constructor's
arguments, as torch.nn's do.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn


class Sequence(nn.Sequential):
    """Layers in order. An AuxHead among them reads the current tensor and passes it on."""

    uses = ("AuxHead",)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self:
            if isinstance(module, AuxHead):
                module.tap(x)
            else:
                x = module(x)
        return x


class AuxHead(Sequence):
    """A training-only side head (GoogLeNet's auxiliary classifiers).

    It runs in training mode, or in eval mode when its network asks (to verify its shapes);
    its outputs are collected by the Network that owns it.
    """

    def __init__(self, layers: OrderedDict) -> None:
        super().__init__(layers)
        self.outputs: list[torch.Tensor] | None = None  # the owning Network's list
        self.always = False

    def tap(self, x: torch.Tensor) -> None:
        if self.training or self.always:
            y = self(x)
            if self.outputs is not None:
                self.outputs.append(y)


class Network(Sequence):
    """A whole spec. In training mode with auxiliary heads it returns (output, aux1, aux2, ...),
    as torchvision's GoogLeNet does; otherwise the output alone.

    ties: (module, owner) names, each module's weight made the owner's Parameter, as Hugging Face's
    tie_weights makes GPT-2's lm_head.weight its wte.weight; model.parameters() yields it once.
    frozen: the modules whose parameters take no gradient (the spec's `frozen: true`)."""

    uses = ("AuxHead",)

    def __init__(self, layers: OrderedDict, ties: tuple[tuple[str, str], ...] = (),
                 frozen: tuple[str, ...] = ()) -> None:
        super().__init__(layers)
        for module, owner in ties:
            self.get_submodule(module).weight = self.get_submodule(owner).weight
        for module in frozen:
            self.get_submodule(module).requires_grad_(False)
        self._aux_outputs: list[torch.Tensor] = []
        for module in self.modules():
            if isinstance(module, AuxHead):
                module.outputs = self._aux_outputs

    def run_aux_heads(self, on: bool) -> None:
        """Run the auxiliary heads in eval mode too (their outputs are then collected)."""
        for module in self.modules():
            if isinstance(module, AuxHead):
                module.always = on

    def forward(self, x: torch.Tensor):
        self._aux_outputs.clear()
        y = super().forward(x)
        if self.training and self._aux_outputs:
            return (y, *self._aux_outputs)
        return y


class Concat(nn.Module):
    """Parallel branches on one input, joined along the channels (dim 1)."""

    def __init__(self, branches: OrderedDict) -> None:
        super().__init__()
        for name, branch in branches.items():
            self.add_module(name, branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.children()], dim=1)


class Elementwise(nn.Module):
    """Parallel branches on one input, combined elementwise by the tensor method `op` (add, mul),
    broadcasting as PyTorch does.

    into: the branch whose fresh output the result overwrites (torchvision's `out += identity`),
    or None to allocate it. Under autograd it always allocates, since the overwritten tensor may
    be needed for the backward pass.
    """

    op = ""

    def __init__(self, branches: OrderedDict, into: int | None = None) -> None:
        super().__init__()
        self.into = into
        for name, branch in branches.items():
            self.add_module(name, branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [branch(x) for branch in self.children()]
        if self.into is None or (torch.is_grad_enabled() and any(o.requires_grad for o in outs)):
            total = getattr(outs[0], self.op)(outs[1])
            rest = outs[2:]
        else:
            total = outs[self.into]
            rest = [o for i, o in enumerate(outs) if i != self.into]
        for o in rest:
            getattr(total, self.op + "_")(o)
        return total

    def extra_repr(self) -> str:
        return f"into={self.into}"


class Add(Elementwise):
    """The branches summed."""

    op = "add"


class Mul(Elementwise):
    """The branches multiplied (a squeeze-and-excitation gate scaling its map)."""

    op = "mul"


class FlattenLinear(nn.Linear):
    """nn.Linear that first flattens a map [N, C, ...] to [N, C*...], as an fc after conv layers."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, flatten: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
        self.flatten = flatten

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.flatten(1) if self.flatten else x)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", flatten={self.flatten}"


class Maxout(nn.Linear):
    """Maxout (Goodfellow et al. 2013): the max over `pieces` affine maps for each output."""

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, bias: bool = True) -> None:
        super().__init__(in_features, out_features * pieces, bias)
        self.outputs, self.pieces = out_features, pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x.flatten(1))
        return y.view(y.shape[0], self.outputs, self.pieces).amax(-1)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.outputs}, pieces={self.pieces}, bias={self.bias is not None}"


class _Steps:
    """Batch-first recurrent layers that return their output sequence, or only its last step."""

    def __init__(self, *args, sequence: bool = True, **kwargs) -> None:
        super().__init__(*args, batch_first=True, **kwargs)
        self.sequence = sequence

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = super().forward(x)
        return y if self.sequence else y[:, -1].clone()  # a tensor of its own, not a view of y

    def extra_repr(self) -> str:
        return super().extra_repr().replace(", batch_first=True", "") + f", sequence={self.sequence}"


class RNN(_Steps, nn.RNN):
    def extra_repr(self) -> str:
        relu = ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        return super().extra_repr() + relu


class GRU(_Steps, nn.GRU):
    pass


class LSTM(_Steps, nn.LSTM):
    pass



class ChannelLayerNorm(nn.LayerNorm):
    """Layer norm over the channels at each position of a map [N, C, ...], as ConvNeXt's channels-first
    LayerNorm and torchvision's LayerNorm2d: the channels moved last, normalised, moved back."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.layer_norm(x.movedim(1, -1), self.normalized_shape, self.weight, self.bias, self.eps)
        return y.movedim(-1, 1)


class LayerScale(nn.Module):
    """A learned scale per channel of a map [N, C, ...] (`spatial` its spatial dimensions; ConvNeXt's gamma) or per
    feature of tokens [N, T, F] (spatial=0; ViT's LayerScale), initialised to `init`."""

    def __init__(self, dim: int, init: float = 1e-6, spatial: int = 0) -> None:
        super().__init__()
        self.init, self.spatial = init, spatial
        self.gamma = nn.Parameter(torch.full((dim, *(1,) * spatial), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma

    def extra_repr(self) -> str:
        return f"{self.gamma.shape[0]}, init={self.init}, spatial={self.spatial}"


class StochasticDepth(nn.Module):
    """Stochastic depth, as torchvision.ops.StochasticDepth: in training, each sample (mode 'row') or the whole
    batch ('batch') is zeroed with probability p and the rest scaled by 1/(1-p); the input itself at inference."""

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
        if survival > 0.0:
            noise.div_(survival)
        return x * noise

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}"


class Reshape(nn.Module):
    """x.reshape to a shape per image, the batch kept: a view of a contiguous input (PyTorch copies one
    that is not, such as a permute's)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"{self.shape}"


class Permute(nn.Module):
    """x.permute(dims), the batch's dimension 0 among them, as torchvision.ops.Permute: a view."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.dims)

    def extra_repr(self) -> str:
        return f"{self.dims}"


class CenterCrop(nn.Module):
    """The centre of a map [N, C, ...], one size per spatial dimension, as torchvision's CenterCrop
    places it (the first index int(round((n - size) / 2)), halves rounding to even): a view."""

    def __init__(self, size: tuple[int, ...]) -> None:
        super().__init__()
        self.size = tuple(size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = [slice(None), slice(None)]
        for n, size in zip(x.shape[2:], self.size):
            first = int(round((int(n) - size) / 2.0))  # int(n): a tensor when traced (fvcore)
            index.append(slice(first, first + size))
        return x[tuple(index)]

    def extra_repr(self) -> str:
        return f"{self.size}"
