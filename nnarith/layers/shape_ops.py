"""Shape operations: reshape (unflatten), permute, channel shuffle and centre crop.

reshape, permute and crop are views in PyTorch (x.reshape, x.permute, slicing): they allocate
nothing and compute nothing, and so count no memory and no ops. A permuted or cropped tensor is
not contiguous: the layer after it reads it strided, or copies it first (.contiguous()). nnarith
counts the view as a view, and such a copy not at all: a reshape or flatten straight after a
permute or crop, which PyTorch cannot make a view and so copies, is counted as a view all the same
(`nnarith verify` shows the difference in memory). channel_shuffle is the kind for ShuffleNet's
reshape-transpose-reshape, which allocates.

Layouts (layers/base.py): a reshape to one size is flat; to two sizes a map [C, L] (as a list in
`input:` is), or tokens [T, F] with `layout: tokens`; to three or four a map. A permute of the two
dimensions of a map [C, L] gives tokens [L, C] (each position a token of C features), and back.

Receptive fields: a crop moves the field of each remaining unit by the crop's offset (its size
and jump stay). A permute among the spatial dimensions permutes their fields, and a reshape that
only adds or removes unit dimensions keeps theirs (receptive.Axes). A permute that moves the
channels among the spatial dimensions, or a reshape that regroups spatial sizes, leaves no field
per position: 'n/a' (receptive.UNDEFINED). A reshape to flat features is the whole input, as flatten.
"""

from __future__ import annotations

from math import prod
from typing import Any

from nnarith.analysis.receptive import UNDEFINED, WHOLE, Axes, Effect, Window
from nnarith.errors import Loc, SpecError
from nnarith.layers.base import (
    FLAT,
    MAP,
    NEW,
    SPATIAL_NAMES,
    TOKENS,
    VIEW,
    Example,
    Layer,
    Out,
    Shape,
    Tensors,
    Words,
    dim_texts,
    register,
)
from nnarith.layers.fields import REQUIRED, Choice, Field, Int, Spatial

MAX_DIMS = 4  # a channel and 1 to 3 spatial dimensions, as conv and pooling read them


class IntList(Field):
    """A list of integers, each at least `min`; with `infer`, one of them may be -1."""

    def __init__(self, default: Any = REQUIRED, doc: str = "", min: int = 1, infer: bool = False) -> None:
        super().__init__(default, doc)
        self.item, self.infer = Int(min=min), infer

    def check(self, value: Any, loc: Loc, where: str) -> tuple[int, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(value, loc, where, "a list of integers, such as [1024, 4, 4]")
        locs = getattr(value, "item_locs", None) or [loc] * len(value)
        items = []
        for i, v in enumerate(value):
            if self.infer and v == -1 and type(v) is int:
                if -1 in items:
                    raise SpecError(f"{where} gives -1 twice; one size at most can be inferred", locs[i])
                items.append(v)
            elif self.infer and type(v) is int and v < self.item.min:
                raise self.fail(v, locs[i], f"{where}[{i}]", f"{self.item.expected()} or -1")
            else:
                items.append(self.item.check(v, locs[i], f"{where}[{i}]"))
        return tuple(items)


def _centre(n: int, size: int) -> int:
    """The first index of a centred crop, as torchvision's CenterCrop computes it, int(round((n -
    size) / 2)): the odd pixel goes after the crop when half the margin rounds down to an even number,
    before it otherwise (Python rounds halves to even), e.g. 1 -> 0, 3 -> 2, 5 -> 2."""
    half, odd = divmod(n - size, 2)
    return half + odd * (half % 2)


def _align(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int | None, ...] | None:
    """For each size of b, the size of a it is (None: a new unit dimension), where b is a with unit
    dimensions added or removed; None where it is not."""
    order: list[int | None] = []
    i = 0
    for n in b:
        while i < len(a) and a[i] != n and a[i] == 1:
            i += 1  # a unit dimension removed
        if i < len(a) and a[i] == n:
            order.append(i)
            i += 1
        elif n == 1:
            order.append(None)
        else:
            return None
    return tuple(order) if all(d == 1 for d in a[i:]) else None


@register
class Reshape(Layer):
    kind = "reshape"
    aliases = ("unflatten",)
    shorthand = "shape"
    help = "reshape to a shape per image (one size may be -1, inferred); a view, allocates nothing"
    functional = True
    words = (Words(r"reshape|unflatten", 217),)  # before flatten: 'unflatten'
    example = Example("reshape: [4, 3, 3]", (36,), "reshape")
    fields = {
        "shape": IntList(doc="the sizes per image, without the batch; one may be -1", infer=True),
        "layout": Choice(MAP, TOKENS, default=MAP, doc="of a result of two sizes: a map [C, L] or tokens [T, F]"),
    }

    def infer(self, x: Shape) -> Out:
        dims = self.sizes(x)
        if len(dims) > MAX_DIMS:
            raise self.error(f"reshape to {len(dims)} sizes; a map has a channel and 1 to 3 spatial dimensions",
                             "shape", hint="give at most 4 sizes per image, without the batch")
        if self.layout == TOKENS and len(dims) != 2:
            raise self.error(f"layout tokens is [T, F], two sizes; the shape has {len(dims)}", "layout")
        if len(dims) == 1:
            shape = Shape(dims, FLAT, flattened_by=x.flattened_by if x.layout == FLAT else self.name)
        else:
            shape = Shape(dims, self.layout if len(dims) == 2 else MAP)
        out = Out(shape, effect=self.field(x, shape), storage=VIEW)
        out.work["output"] = f"{x} -> {shape}"
        return out

    def sizes(self, x: Shape) -> tuple[int, ...]:
        """The shape with its -1 inferred, holding as many elements as the input."""
        known = prod(d for d in self.shape if d != -1)
        if -1 in self.shape:
            if x.numel % known:
                raise self.error(f"reshape cannot infer its -1: the input {x} holds {x.numel:,} elements, which "
                                 f"the other sizes' product {known:,} does not divide", "shape")
            return tuple(x.numel // known if d == -1 else d for d in self.shape)
        if known != x.numel:
            shape = "x".join(map(str, self.shape))
            raise self.error(f"reshape to {shape} holds {known:,} elements, but the input {x} holds {x.numel:,}",
                             "shape", hint=f"the sizes must multiply to {x.numel:,}; write one of them as -1 to "
                             "have it inferred")
        return self.shape

    @staticmethod
    def field(x: Shape, y: Shape) -> Effect:
        if y.layout == FLAT:
            return WHOLE  # as flatten
        if x.dims == y.dims and x.layout == y.layout:
            return None
        if x.layout == MAP and y.layout == MAP and x.dims[0] == y.dims[0]:
            order = _align(x.dims[1:], y.dims[1:])
            if order is not None:
                return Axes(order)
        return UNDEFINED  # spatial sizes regrouped: no field per position

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        dims = self.sizes(x)
        if x.layout == FLAT and len(dims) > 1:
            return construct("nn.Unflatten", 1, dims)
        return construct("Reshape", dims)


@register
class Permute(Layer):
    kind = "permute"
    shorthand = "dims"
    help = "reorder the dimensions after the batch (counted from 0); a view, allocates nothing"
    functional = False  # a module in torchvision's ConvNeXt and Swin (torchvision.ops.Permute), unlike reshape
    words = (Words(r"permut|^transpose\b", 313),)
    example = Example("permute: [1, 2, 0]", (3, 4, 5), "permute")
    fields = {"dims": IntList(doc="the new order of the dimensions after the batch: [1, 2, 0] puts channels last",
                              min=0)}

    def infer(self, x: Shape) -> Out:
        n = len(x.dims)
        if sorted(self.dims) != list(range(n)):
            with_batch = len(self.dims) == n + 1 and sorted(self.dims) == list(range(n + 1)) and self.dims[0] == 0
            hint = (f"leave out the batch: dims count from the first dimension after it, here "
                    f"{list(d - 1 for d in self.dims[1:])}" if with_batch else
                    f"give each of 0 to {n - 1} once")
            raise self.error(f"permute dims {list(self.dims)} do not reorder the {n} dimension{'s' if n != 1 else ''} "
                             f"of the input {x} (the batch not counted)", "dims", hint=hint)
        dims = tuple(x.dims[d] for d in self.dims)
        moved = tuple(self.dims) != tuple(range(n))
        if n == 1:
            shape = x
        elif n == 2:
            shape = Shape(dims, ({MAP: TOKENS, TOKENS: MAP}[x.layout]) if moved else x.layout)
        else:
            shape = Shape(dims)
        out = Out(shape, storage=VIEW)
        if n > 2 and moved:  # a swap of [C, L] keeps each position's field: its token's
            out.effect = Axes(tuple(d - 1 for d in self.dims[1:])) if self.dims[0] == 0 else UNDEFINED
        out.work["output"] = f"{x} -> {shape}"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("Permute", (0, *(d + 1 for d in self.dims)))


@register
class ChannelShuffle(Layer):
    kind = "channel_shuffle"
    shorthand = "groups"
    help = "ShuffleNet's channel shuffle: interleave the channels of `groups` groups; a new tensor"
    keeps_shape = True
    functional = True
    words = (Words(r"channel.?shuffle", 311),)
    example = Example("channel_shuffle: 2", (4, 3, 3), "channel shuffle")
    fields = {"groups": Int(doc="groups of channels, which must divide the channels")}

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        c = x.dims[0]
        if c % self.groups:
            raise self.error(f"groups={self.groups} does not divide the {c} input channels", "groups",
                             hint=f"groups must divide the {c} channels; ShuffleNet v1 shuffles as many groups as its "
                             "grouped convolutions have, v2 the 2 branches it concatenates")
        out = Out(x, storage=NEW)  # reshape, transpose, reshape: the last copies; a copy computes nothing
        out.work["output"] = f"{c} channels: {self.groups} groups of {c // self.groups}, interleaved"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # its backward shuffles the gradient back: it keeps nothing

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.ChannelShuffle", self.groups)


@register
class Crop(Layer):
    kind = "crop"
    shorthand = "size"
    help = "centre crop of a map to a size (U-Net's copy and crop), as torchvision's CenterCrop; a view"
    functional = True
    words = (Words(r"^crop\d*\b|cent(er|re).?crop|and.?crop", 307),)  # not a document's 'single-crop error'
    example = Example("crop: 3", (2, 6, 6), "crop")
    fields = {"size": Spatial(doc="the size kept, or one per spatial dimension")}

    def offsets(self, x: Shape) -> tuple[int, ...]:
        self.need_map(x)
        sizes = self.per_dim("size", x)
        bad = [(name, n, s) for name, n, s in zip(SPATIAL_NAMES[x.rank], x.dims[1:], sizes) if s > n]
        if bad:
            name, n, s = bad[0]
            alike = len(bad) == x.rank and len({(n, s) for _, n, s in bad}) == 1  # one size for every dimension
            where = "" if alike else f" in {name}"
            raise self.error(f"crop to {s} is larger than the input {x}{where}", "size",
                             hint=f"a crop keeps part of the map: give a size of at most {n}{where}")
        return tuple(_centre(n, s) for n, s in zip(x.dims[1:], sizes))

    def infer(self, x: Shape) -> Out:
        offsets = self.offsets(x)
        sizes = self.per_dim("size", x)
        ones = (1,) * x.rank
        out = Out(Shape((x.dims[0], *sizes)), effect=Window(ones, ones, tuple(-o for o in offsets)), storage=VIEW)
        texts = [f"{n} -> {s}, starting at {o}" for n, s, o in zip(x.dims[1:], sizes, offsets)]
        out.work["output"] = dim_texts(x, texts)
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("CenterCrop", self.per_dim("size", x))
