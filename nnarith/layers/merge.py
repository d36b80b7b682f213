"""How parallel branches merge: `concat` along the channels, or elementwise `add`.

Both are written as containers in a spec (`concat: [branch, ...]`); their output row is
the merge itself. Concat allocates its output. Add writes into one branch's fresh output
when it can (torchvision's `out += identity`), and allocates only when every branch
returns its input unchanged. ops: add does branches-1 adds per output element.
"""

from __future__ import annotations

from nnarith.analysis.expr import plus
from nnarith.errors import Loc, SpecError
from nnarith.layers.base import NEW, Out, Shape

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
    channels = plus(*(s.dims[0] for s in shapes))
    out = Out(Shape((channels.value, *first.dims[1:]), first.layout, first.flattened_by))
    out.work["output"] = channels.equation(grouped=False, tail="channels")
    return out


def _listing(shapes: list[Shape], names: list[str]) -> str:
    return ", ".join(f"'{n}' [{s}]" for s, n in zip(shapes, names))
