"""The layer registry: one class per layer kind, registered once.

Each class holds, side by side, its fields, its shape rule, its parameter, MAC and op
counts, what it does to the receptive field (`infer`), the tensors of its training forward
pass (`tensors`, for analysis/memory.py), and its PyTorch constructor (`torch`), given as data
(a Construct) that imports no torch until it is built.

Definitions used by every kind (stated once, as fvcore does):
- weights, biases: trainable elements; params = weights + biases.
- buffers: non-trainable elements, counted as `model.buffers()` counts them in PyTorch.
- MACs: multiply-accumulates of conv, fc, attention (projections, QKᵀ, AV) and recurrent layers, bias excluded.
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

Traits: what `nnarith check` knows of a kind, stated on its class (defaults on `Traits`, which
Layer and merge.MergeOp share); check builds its tables from REGISTRY and MERGES:
- words: how a document's row label names it, each a `Words` (a pattern and its rank);
- keeps_shape: its output is shaped as its input (check's derivation says "as its input");
- weighted: it has weights that a network's depth counts (conv, fc, recurrent; not bn);
- functional: a function in most PyTorch models (x + y, torch.flatten), in no module summary;
- family: a name shared by kinds a document may write for one another (sigmoid where the
  spec has relu: d2l's LeNet), or None;
- ceil_mode: it rounds its size by a `ceil` field, which check flips for figures that round
  the other way (Caffe's pooling);
- positional: its PyTorch classes whose repr gives the channels unnamed: Conv2d(3, 64, ...);
- example: a small spec using it and a label as documents write it (tests/test_registry.py
  builds, exports, verifies and checks it for every kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any, ClassVar

from nnarith.analysis.backward import Grads
from nnarith.analysis.counts import Tally
from nnarith.analysis.receptive import Effect
from nnarith.errors import Loc, SpecError
from nnarith.layers.fields import Field

NEW, VIEW, INPLACE = "new", "view", "inplace"  # how a layer's output is stored
SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}

# Layouts: what a tensor's axes are, per image (PyTorch puts the batch first).
MAP = "map"  # [C, *spatial]: channels, then 1 to 3 spatial dims; what conv and pooling read
TOKENS = "tokens"  # [T, F]: tokens (or steps), each of F features; fc and softmax act on each token
FLAT = "flat"  # [F]: features; fc after a map flattens it into this
IDS = "ids"  # [T]: integer token ids, input: {ids: T}; only a kind that reads_ids (embedding) takes them


@dataclass(frozen=True)
class Shape:
    """A tensor's shape for one image (no batch dimension), in one of the layouts above.

    A spec's input is a map, or flat for one size, unless it names its axes (loader/network.py);
    recurrent layers output tokens.
    """

    dims: tuple[int, ...]
    layout: str = MAP
    flattened_by: str | None = None  # the layer that made it flat, for messages

    @property
    def numel(self) -> int:
        return prod(self.dims)

    @property
    def rank(self) -> int:
        """Number of spatial dimensions."""
        return len(self.dims) - 1 if self.layout == MAP else 0

    def __str__(self) -> str:
        return "x".join(str(d) for d in self.dims)


@dataclass
class Out(Tally):
    """What one layer produces, with every count it contributes: an attribute per stored figure of
    Counts (out.weights, out.macs, out.fvcore, ...: 0 unless set), inherited from Tally; `out.counts`
    holds them as Counts."""

    shape: Shape
    effect: Effect = None  # on the receptive field; None leaves it unchanged
    storage: str = NEW  # NEW allocates; VIEW and INPLACE reuse the input's memory
    flags: list[str] = field(default_factory=list)  # sizes that did not divide
    notes: list[str] = field(default_factory=list)  # remarks, not errors even with --strict (fc flattening [C, L])
    work: dict[str, str] = field(default_factory=dict)  # arithmetic for --explain
    weight: tuple[int, ...] = ()  # its weight tensor's shape as PyTorch holds it, which a `tie:` may share
    grads: Grads | None = None  # its backward products, where not analysis/backward.py's uniform rule
    grad_in: bool = True  # in training, its input needs a gradient (memory.py's declaration says, for `tensors`)


@dataclass(frozen=True)
class Words:
    """A way documents name a kind in a row label ('3x3 conv, 64', 'MAX POOL1', 'Leaky ReLU').

    pattern: a regex on the lower-cased label. Labels are tried against every kind's words by
    rank, lowest first, and the first pattern that matches decides, so a narrower pattern ranks
    before a wider one that also matches ('relu6' before 'relu'). Kinds that give the same pattern
    share it: a label it matches may be any of them ('pool' alone: every pooling kind). A rank holds
    one pattern, so the order never depends on which module registered first; today's ranks are
    tens (conv 20, relu6 130, relu 150), leaving room between them.
    """

    pattern: str
    rank: int


@dataclass(frozen=True)
class Example:
    """A small spec that uses a kind, and the label a document's row would give it."""

    layer: str  # one item of `layers:`, in the spec syntax
    input: tuple[int, ...]
    label: str
    layout: str = ""  # the input's, where a list of sizes does not say it: TOKENS or IDS

    @property
    def input_yaml(self) -> str:
        """The example's input as a spec writes it: [3, 8, 8], {tokens: 4, features: 6} or {ids: 5}."""
        if self.layout == TOKENS:
            return f"{{tokens: {self.input[0]}, features: {self.input[1]}}}"
        if self.layout == IDS:
            return f"{{ids: {self.input[0]}}}"
        return str(list(self.input))


class Traits:
    """What `nnarith check` knows of a layer kind or merge operation (see the module docstring)."""

    words: ClassVar[tuple[Words, ...]] = ()
    keeps_shape: ClassVar[bool] = False
    weighted: ClassVar[bool] = False
    functional: ClassVar[bool] = False
    family: ClassVar[str | None] = None
    ceil_mode: ClassVar[bool] = False
    positional: ClassVar[tuple[str, ...]] = ()
    example: ClassVar[Example | None] = None


ACT = "act"  # a tensor in the activations' dtype (the report's dtype)
INPUT, OUTPUT = "input", "output"  # the roles naming the tensors that flow between layers
BRANCHES = "branches"  # a merge's: the outputs of its branches (its numel is theirs, not declared)


@dataclass(frozen=True)
class Tensor:
    """One tensor of a layer's forward pass, beyond its parameters.

    role: INPUT or OUTPUT name the tensors between layers (the output is the input's memory
    when the layer is a view or in place); any other role is a tensor the layer allocates.
    """

    role: str
    numel: int  # elements per image, or in all when per_image is False
    dtype: str = ACT  # ACT, or a fixed one: 'int64', 'fp32'
    per_image: bool = True  # False: its size does not grow with the batch (per-channel statistics)
    count: int = 1  # this many tensors of this size (one per step of a recurrent layer, ...)


@dataclass(frozen=True)
class Tensors:
    """What a layer holds in a training forward pass, besides its output (which Out.storage
    allocates or not): what it keeps for backward, and what it allocates and frees itself."""

    saved: tuple[Tensor, ...] = ()
    scratch: tuple[Tensor, ...] = ()
    training_storage: str | None = None  # its output's storage in training, where it differs (dropout)


class Layer(Traits):
    kind: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    fields: ClassVar[dict[str, Field]] = {}
    shorthand: ClassVar[str | None] = None  # the field a scalar fills: `fc: 4096`
    help: ClassVar[str] = ""
    reads_ids: ClassVar[bool] = False  # takes integer token ids [T] (embedding); every other kind refuses them
    # Its products read the input as a contiguous matrix: PyTorch copies a strided one (a transposed view), and
    # in training keeps the copy instead of the input (memory.py; tests/test_memory_model.py measures it).
    contiguous_input: ClassVar[bool] = False

    def __init__(self, args: dict[str, Any], locs: dict[str, Loc], loc: Loc, name: str = "") -> None:
        self.__dict__.update(args)  # each field is an attribute: self.kernel, self.out
        self.args = args  # validated, defaults filled in
        self.locs = locs  # where each field was written
        self.loc = loc  # where the layer was written
        self.name = name or self.kind

    def infer(self, x: Shape) -> Out:
        raise NotImplementedError

    def read(self, x: Shape) -> Out:
        """infer, once the input is a layout the kind reads: token ids are refused here, for every kind but
        those that look them up, so that no kind computes on integers it takes for features."""
        if x.layout == IDS and not self.reads_ids:
            raise self.error(f"{self.kind} cannot read token ids [{x}]: they are integers to look up, not features",
                             hint="look them up first: embedding: {vocab: V, dim: D} turns ids [T] into tokens "
                             "[T, D]")
        return self.infer(x)

    def strided_output(self, x: Shape) -> bool:
        """Whether its output is a strided view of a tensor it keeps (an LSTM's batch-first output)."""
        return False

    def tensors(self, x: Shape, out: Out) -> Tensors:
        """The tensors of its training forward pass on input x, giving out (its shape, and its
        storage as the walk decided it), as PyTorch's CPU kernels keep them. Every kind states its own."""
        raise NotImplementedError(f"'{self.kind}' declares no tensors")

    def torch(self, x: Shape, inplace: bool) -> Any:
        """The equivalent torch.nn.Module for input x, as its constructor call: a Construct
        (nnarith/torch/construct.py), which builds the module and writes its source.

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
        if x.layout == TOKENS:
            raise self.error(
                f"{self.kind} needs a spatial map [C, ...], but the input is {x.dims[0]} tokens of {x.dims[1]} "
                "features", hint="PyTorch would read the tokens as channels; give the input channels first as a "
                "map, input: [F, T], or use this layer before the tokens",
            )
        if x.layout == FLAT:
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
    assert not cls.ceil_mode or "ceil" in cls.fields, f"'{cls.kind}' has a ceil mode but no ceil field"
    for name in (cls.kind, *cls.aliases):
        assert name not in REGISTRY, f"layer kind '{name}' registered twice"
        REGISTRY[name] = cls
    return cls


def torch_class(name: str, x: Shape) -> str:
    """PyTorch's class for the input's rank, as a Construct names it: torch_class("Conv", x) is
    "nn.Conv2d" for a 2-D map."""
    return f"nn.{name}{x.rank}d"


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
