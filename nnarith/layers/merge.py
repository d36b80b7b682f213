"""How parallel branches merge: registered like the layer kinds, one class per operation.

Each is written as a container in a spec (`concat: [branch, ...]`); its output row is the
merge itself. Each class holds its shape rule and counts (`infer`), its storage policy
(`writes_into`: whether it may overwrite one branch's fresh output instead of allocating),
and its torch module (`torch`), with the traits check reads (layers/base.py).

Shapes meet by one broadcast rule (`broadcast`), PyTorch's, per image: dims are aligned
from the right, and each pair must be equal or one of them 1. `add` asks for equal shapes
all the same, since an add whose shapes differ is a residual connection gone wrong; `mul`
broadcasts (a squeeze-and-excitation gate [C, 1, 1] scales a map [C, H, W]).
ops: add and mul do branches-1 operations per output element; concat copies.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nnarith.analysis.expr import plus
from nnarith.errors import Loc, SpecError
from nnarith.layers.base import BRANCHES, NEW, Example, Out, Shape, Tensor, Tensors, Traits, Words


def broadcast(shapes: list[Shape]) -> tuple[int, ...] | None:
    """The shape PyTorch broadcasts the branches' outputs to, or None where they do not broadcast."""
    rank = max(len(s.dims) for s in shapes)
    padded = [(1,) * (rank - len(s.dims)) + s.dims for s in shapes]
    out = []
    for sizes in zip(*padded):
        wide = {n for n in sizes if n != 1}
        if len(wide) > 1:
            return None
        out.append(wide.pop() if wide else 1)
    return tuple(out)


class MergeOp(Traits):
    op: ClassVar[str]
    help: ClassVar[str]
    writes_into: ClassVar[bool] = False  # may overwrite a branch's own fresh output of the output's shape
    torch_name: ClassVar[str]  # its class in nnarith.torch.modules

    def __init__(self, shapes: list[Shape], names: list[str], loc: Loc) -> None:
        self.shapes, self.names, self.loc = shapes, names, loc

    def error(self, message: str, hint: str | None = None) -> SpecError:
        return SpecError(message, self.loc, hint=hint)

    def infer(self) -> Out:
        first = self.shapes[0]
        if len({s.layout for s in self.shapes}) > 1:
            listing = ", ".join(f"'{n}' [{s}]" for s, n in zip(self.shapes, self.names))
            raise self.error(f"{self.op} cannot merge {listing}: they are not all of one kind")
        return self.combine(first)

    def combine(self, first: Shape) -> Out:
        raise NotImplementedError

    @classmethod
    def tensors(cls, out: Out) -> Tensors:
        """What it holds in training (see Layer.tensors). Concat keeps nothing: its backward slices
        the gradient."""
        return Tensors()

    @classmethod
    def torch(cls, branches: Any, into: int | None) -> Any:
        """The torch module that merges `branches` (Children: the branches' Constructs) as this op
        does, as its constructor call (a Construct)."""
        from nnarith.torch.construct import construct

        return construct(cls.torch_name, branches, **({"into": into} if cls.writes_into else {}))


MERGES: dict[str, type[MergeOp]] = {}


def register_merge(cls: type[MergeOp]) -> type[MergeOp]:
    assert cls.op not in MERGES, f"merge '{cls.op}' registered twice"
    MERGES[cls.op] = cls
    return cls


@register_merge
class Concat(MergeOp):
    op = "concat"
    help = "join the branches along the channels; their other sizes must agree"
    functional = True
    words = (Words(r"concat", 230),)
    example = Example("concat: [[conv: {out: 3, kernel: 1}], [maxpool: {kernel: 3, stride: 1, pad: 1}]]", (2, 6, 6),
                      "concat")
    torch_name = "Concat"

    def combine(self, first: Shape) -> Out:
        for s, n in zip(self.shapes[1:], self.names[1:]):
            if s.dims[1:] != first.dims[1:]:
                raise self.error(
                    f"concat joins along the channels, so the other sizes must agree, but branch "
                    f"'{self.names[0]}' gives [{first}] and branch '{n}' gives [{s}]",
                    hint="give every branch the same stride and padding",
                )
        channels = plus(*(s.dims[0] for s in self.shapes))
        out = Out(Shape((channels.value, *first.dims[1:]), first.layout, first.flattened_by))
        out.work["output"] = channels.equation(grouped=False, tail="channels")
        return out


class _Elementwise(MergeOp):
    """Add and mul: one operation per output element and branch after the first, on the shape the
    branches broadcast to; the working shows the broadcast where there is one."""

    sign: ClassVar[str]

    def elementwise(self, first: Shape) -> Out:
        dims = broadcast(self.shapes)
        out = Out(Shape(dims or first.dims, first.layout, first.flattened_by), storage=NEW)
        out.other_ops = (len(self.shapes) - 1) * out.shape.numel
        if dims != first.dims or any(s.dims != dims for s in self.shapes):
            out.work["output"] = f" {self.sign} ".join(f"[{s}]" for s in self.shapes) + f" broadcast to [{out.shape}]"
        return out


@register_merge
class Add(_Elementwise):
    op, sign = "add", "+"
    help = "sum the branches; their shapes must be equal"
    keeps_shape, functional = True, True
    words = (Words(r"\badd\b|residual|shortcut sum", 240),)
    example = Example("add: [[conv: {out: 4, kernel: 3, pad: 1}], identity]", (4, 6, 6), "residual add")
    writes_into = True  # torchvision's `out += identity`: allocates only when every branch returns its input
    torch_name = "Add"

    def combine(self, first: Shape) -> Out:
        for s, n in zip(self.shapes[1:], self.names[1:]):
            if s.dims != first.dims:
                raise self.error(
                    f"add needs equal shapes, but branch '{self.names[0]}' gives [{first}] and "
                    f"branch '{n}' gives [{s}]",
                    hint="project the shortcut (for example a 1x1 conv with the right out and stride)",
                )
        return self.elementwise(first)

    @classmethod
    def tensors(cls, out: Out) -> Tensors:
        # Its backward passes the gradient through, so it keeps nothing; but under autograd the torch
        # model's Add allocates its sum rather than writing into a branch (torch/modules.py).
        return Tensors(training_storage=NEW)


@register_merge
class Mul(_Elementwise):
    op, sign = "mul", "*"
    help = "multiply the branches, broadcasting: a gate [C, 1, 1] scales [C, H, W]"
    functional = True  # torchvision's squeeze-and-excitation writes `scale * input`
    words = (Words(r"\bmul\b|\bmultiply\b|element.?wise product", 300),)
    example = Example("mul: [identity, [gap, conv: {out: 4, kernel: 1}, sigmoid]]", (4, 5, 5), "multiply")
    writes_into = True
    torch_name = "Mul"

    def combine(self, first: Shape) -> Out:
        if broadcast(self.shapes) is None:
            listing = " and ".join(f"branch '{n}' gives [{s}]" for s, n in zip(self.shapes, self.names))
            raise self.error(f"mul cannot broadcast its branches: {listing}",
                             hint="each size must equal the others' or be 1, counted from the last dimension")
        return self.elementwise(first)

    @classmethod
    def tensors(cls, out: Out) -> Tensors:
        # Each factor's gradient is the others' product: autograd keeps every branch's output; and like
        # Add, the torch model allocates the product under autograd.
        return Tensors(saved=(Tensor(BRANCHES, 0),), training_storage=NEW)
