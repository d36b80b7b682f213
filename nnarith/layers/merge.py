"""How parallel branches merge: `concat` along the channels, or elementwise `add`.

Both are written as containers in a spec (`concat: [branch, ...]`); their output row is
the merge itself. Concat allocates its output. Add writes into one branch's fresh output
when it can (torchvision's `out += identity`), and allocates only when every branch
returns its input unchanged. ops: add does branches-1 adds per output element.
"""

from __future__ import annotations

from nnarith.errors import Loc, SpecError
from nnarith.layers.base import NEW, Out, Shape, Tensors

MERGES = ("concat", "add")


def merge(op: str, shapes: list[Shape], names: list[str], loc: Loc) -> Out:
    first = shapes[0]
    if len({s.layout for s in shapes}) > 1:
        raise SpecError(f"{op} cannot merge {_listing(shapes, names)}: they are not all of one kind",
                        loc)
    if op == "add":
        for s, n in zip(shapes[1:], names[1:]):
            if s.dims != first.dims:
                raise SpecError(
                    f"add needs equal shapes, but branch '{names[0]}' gives [{first}] and "
                    f"branch '{n}' gives [{s}]",
                    loc,
                    hint="project the shortcut (for example a 1x1 conv with the right out and stride)",
                )
        return Out(first, other_ops=(len(shapes) - 1) * first.numel, storage=NEW)
    for s, n in zip(shapes[1:], names[1:]):
        if s.dims[1:] != first.dims[1:]:
            raise SpecError(
                f"concat joins along the channels, so the other sizes must agree, but branch "
                f"'{names[0]}' gives [{first}] and branch '{n}' gives [{s}]",
                loc,
                hint="give every branch the same stride and padding",
            )
    channels = sum(s.dims[0] for s in shapes)
    out = Out(Shape((channels, *first.dims[1:]), first.layout, first.flattened_by))
    out.work["output"] = " + ".join(str(s.dims[0]) for s in shapes) + f" = {channels} channels"
    return out


def tensors(op: str, out: Out) -> Tensors:
    """What a merge holds in training: nothing beyond its output, for either op. The backward of
    add passes its gradient through and that of cat slices it, so PyTorch keeps no input.
    An add that writes into a branch's output at inference allocates its sum in training, as the
    PyTorch model's Add does under autograd (torch/modules.py)."""
    assert op in MERGES, op
    return Tensors(training_storage=NEW if op == "add" else None)


def _listing(shapes: list[Shape], names: list[str]) -> str:
    return ", ".join(f"'{n}' [{s}]" for s, n in zip(shapes, names))
