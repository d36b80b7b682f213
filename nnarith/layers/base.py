"""The layer registry: one class per layer kind, registered once.

Each class holds, side by side, its fields, its shape rule, its parameter, MAC and op
counts, what it does to the receptive field (`infer`), and its PyTorch builder (`torch`),
which imports torch only when called.

Definitions used by every kind (stated once, as fvcore does):
- weights, biases: trainable elements; params = weights + biases.
- buffers: non-trainable elements, counted as `model.buffers()` counts them in PyTorch.
- MACs: multiply-accumulates of conv, fc and recurrent layers, bias excluded.
  FLOPs = 2 x MACs, as torch.utils.flop_counter.FlopCounterMode counts.
- ops: all other arithmetic, one per elementary operation (a bias add, an activation,
  a comparison in max pooling, ...), as each kind states. Never mixed into MACs.
- fvcore: the count of fvcore's FlopCountAnalysis, whose convention is: one fused
  multiply-add counts as one flop for conv and linear; batch norm at inference counts
  2 per element with affine (1 without); adaptive_avg_pool2d 1 per input element;
  2-D upsampling 1 (nearest) or 4 (bilinear) per output element. fvcore counts every
  other operator as 0, listing it as unsupported or ignoring it: among them convolutions
  with padding='same' (aten::_convolution_mode), 1-D and 3-D adaptive pooling, recurrent
  layers, and all pooling, activations and adds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any, ClassVar

from nnarith.analysis.receptive import Effect
from nnarith.errors import Loc, SpecError
from nnarith.layers.fields import Field

NEW, VIEW, INPLACE = "new", "view", "inplace"  # how a layer's output is stored
SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass(frozen=True)
class Shape:
    """A tensor's shape for one image (no batch dimension).

    layout: 'flat' for [F], 'map' for [C, *spatial], 'seq' for [T, F] (a recurrent output).
    """

    dims: tuple[int, ...]
    layout: str = "map"
    flattened_by: str | None = None  # the layer that made it flat, for messages

    @property
    def numel(self) -> int:
        return prod(self.dims)

    @property
    def rank(self) -> int:
        """Number of spatial dimensions."""
        return 0 if self.layout == "flat" else len(self.dims) - 1

    def __str__(self) -> str:
        return "x".join(str(d) for d in self.dims)


@dataclass
class Out:
    """What one layer produces, with every count it contributes."""

    shape: Shape
    weights: int = 0
    biases: int = 0
    buffers: int = 0
    macs: int = 0
    other_ops: int = 0
    effect: Effect = None  # on the receptive field; None leaves it unchanged
    storage: str = NEW  # NEW allocates; VIEW and INPLACE reuse the input's memory
    fvcore: int = 0  # what fvcore's FlopCountAnalysis counts for it (see FVCORE below)
    flags: list[str] = field(default_factory=list)  # sizes that did not divide
    work: dict[str, str] = field(default_factory=dict)  # arithmetic for --explain


class Layer:
    kind: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    fields: ClassVar[dict[str, Field]] = {}
    shorthand: ClassVar[str | None] = None  # the field a scalar fills: `fc: 4096`
    help: ClassVar[str] = ""

    def __init__(self, args: dict[str, Any], locs: dict[str, Loc], loc: Loc, name: str = "") -> None:
        self.__dict__.update(args)  # each field is an attribute: self.kernel, self.out
        self.args = args  # validated, defaults filled in
        self.locs = locs  # where each field was written
        self.loc = loc  # where the layer was written
        self.name = name or self.kind

    def infer(self, x: Shape) -> Out:
        raise NotImplementedError

    def torch(self, x: Shape, inplace: bool) -> Any:
        """The equivalent torch.nn.Module for input x (imports torch; never on the analytic path).

        inplace: whether the layer may overwrite its input, as the analysis decided.
        """
        raise NotImplementedError(f"no PyTorch builder for '{self.kind}'")

    # helpers for the rules ------------------------------------------------------------

    def error(self, message: str, field: str | None = None, hint: str | None = None) -> SpecError:
        return SpecError(message, self.locs.get(field, self.loc) if field else self.loc, hint=hint)

    def per_dim(self, name: str, x: Shape) -> tuple[int, ...]:
        """A spatial field expanded to one value per spatial dimension of x."""
        value = self.args[name]
        if not isinstance(value, tuple):
            return (value,) * x.rank
        if len(value) != x.rank:
            raise self.error(
                f"{name} lists {len(value)} values but the input {x} has {x.rank} spatial "
                f"dimension{'s' if x.rank != 1 else ''}",
                name,
                hint=f"give one value for every dimension, or a list of {x.rank}",
            )
        return value

    def need_map(self, x: Shape) -> None:
        if x.layout == "flat":
            by = f" by '{x.flattened_by}'" if x.flattened_by else ""
            raise self.error(
                f"{self.kind} needs a spatial map [C, ...], but the input is flat [{x}]"
                f" (flattened{by})",
                hint="move this layer before the map is flattened, or give the input as [C, L] or [C, H, W]",
            )
        if not 1 <= x.rank <= 3:
            raise self.error(f"{self.kind} works in 1, 2 or 3 spatial dimensions; the input {x} has {x.rank}")


REGISTRY: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    clash = [f for f in cls.fields if hasattr(cls, f) or f in ("args", "locs", "loc", "name")]
    assert not clash, f"fields of '{cls.kind}' hide attributes: {clash}"
    for name in (cls.kind, *cls.aliases):
        assert name not in REGISTRY, f"layer kind '{name}' registered twice"
        REGISTRY[name] = cls
    return cls


def torch_class(name: str, x: Shape):
    """PyTorch's class for the input's rank: torch_class("Conv", x) is nn.Conv2d for a 2-D map."""
    from torch import nn

    return getattr(nn, f"{name}{x.rank}d")


def dim_texts(x: Shape, texts: list[str]) -> str:
    """Per-dimension arithmetic, merged where dimensions agree: 'H, W: (7 - 3)/3 + 1 = ...'."""
    if len(set(texts)) == 1:
        return texts[0]
    names = SPATIAL_NAMES.get(x.rank, tuple(f"d{i}" for i in range(x.rank)))
    return "; ".join(f"{n}: {t}" for n, t in zip(names, texts))


def dim_flags(x: Shape, results: list) -> list[str]:
    """One flag for the dimensions whose size did not divide, naming them unless all agree."""
    bad = [(i, r.text) for i, r in enumerate(results) if r.inexact]
    if not bad:
        return []
    if x.rank == 1 or (len(bad) == x.rank and len({t for _, t in bad}) == 1):
        return [bad[0][1]]
    names = SPATIAL_NAMES.get(x.rank, tuple(f"d{i}" for i in range(x.rank)))
    return ["; ".join(f"{names[i]}: {t}" for i, t in bad)]

