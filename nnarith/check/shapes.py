"""Shapes and receptive fields as people write them, and when they agree with the truth.

A shape may be written channels first or last, with or without a batch dimension and with
or without size-1 dimensions: 96x55x55, 55x55x96, [55x55x96], (96, 55, 55), [1, 96, 55, 55],
[-1, 96, 55, 55] (torchsummary), 1x1x4096 for 4096 features, 6@28x28 (LeNet's notation).
A part may also be arithmetic: `(227 - 11)/4 + 1 = 55` states a spatial size twice; or say that a
size does not divide: 2.33x2.33, "doesn't fit" (fit.py).
A receptive field is a size (11, 11x11), size/stride (11/4), `whole` or `n/a`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nnarith.check.fit import Fractional, NoFit, read_unfit
from nnarith.check.numbers import MAX_DIGITS, REL, Reader, Unreadable, Value
from nnarith.text import is_digits

_BRACKET = re.compile(r"\s*(?:torch\.Size\(\s*)?[\[(]([^\[\]()]*)[\])]\)?")
_AT = re.compile(r"\s*([0-9]+)\s*@\s*([0-9]+(?:\s*[x×X]\s*[0-9]+)*)")  # 6@28x28: six maps of 28x28
_BARE = re.compile(r"\s*([0-9]+(?:\s*[x×X]\s*[0-9]+)*)(?!\d|[.,]\d|\s*[x×X]\s*\d)")  # '6x٣' is not 6, '56.5' not 5
_OPERATOR = re.compile(r"\s*[-+*/^÷−]")
_BATCH = {"-1", "none", "?", "n", "b", "batch", "bs", "batch_size", "*"}
WHOLE_WORDS = {"whole", "global", "entire", "all", "whole input", "the whole input"}
UNDEFINED_WORDS = {"n/a", "undefined", "varies", "not defined"}

Dims = tuple[int, ...]


def _dims(inner: str) -> Dims | None:
    items = [p for p in re.split(r"\s*[x×X,]\s*|\s+", inner.strip()) if p]
    if items and items[0].lower() in _BATCH:
        items = items[1:]
    if not items or not all(is_digits(p) for p in items):  # '²' and '３' are not read
        return None
    if any(len(p) > MAX_DIGITS for p in items):  # before int(), which stops at 4,300 digits
        raise Unreadable("the number is too large to be a figure of a network")
    return tuple(int(p) for p in items)


def read_shapes(text: str) -> tuple[list[Dims | Value | NoFit | Fractional], int]:
    """The parts of a written shape: each a shape, or a number (a size written as arithmetic)."""
    reader = Reader(text, memory=False, default_unit=None)

    def part() -> Dims | Value | NoFit | Fractional:
        start = reader.pos
        unfit = read_unfit(text, start)  # "doesn't fit", 2.33x2.33: a size that does not divide (fit.py)
        if unfit and not (_OPERATOR.match(text, unfit[1]) or REL.match(text, unfit[1])):
            reader.pos = unfit[1]
            return unfit[0]
        for pattern in (_AT, _BRACKET, _BARE):
            m = pattern.match(text, start)
            if m and not _OPERATOR.match(text, m.end()):
                dims = (int(m[1]), *_dims(m[2])) if pattern is _AT else _dims(m[1])
                if dims is not None:
                    reader.pos = m.end()
                    return dims
        return reader.part()

    return reader.chain(part)


def hwc(dims: Dims) -> Dims:
    """Channels moved last: 96x55x55 -> 55x55x96."""
    return dims[1:] + dims[:1]


def shape_matches(stated: Dims | Value, true: Dims, spatial: bool) -> str | None:
    """How a written shape agrees with the true one (CHW), or None where it does not."""
    if isinstance(stated, Value):  # a number: one spatial size, or the features of a flat output
        if not stated.exact or stated.lo.denominator != 1:
            return None
        stated = (int(stated.lo),)
    if stated in (true, hwc(true)):
        return "as written"
    drop = tuple(d for d in stated if d != 1)
    if drop and drop in (tuple(d for d in true if d != 1), tuple(d for d in hwc(true) if d != 1)):
        return "size-1 dimensions aside"
    if spatial and len(true) > 1 and (stated == true[1:] or (len(stated) == 1 and set(true[1:]) == set(stated))):
        return "the spatial size"
    return None


@dataclass(frozen=True)
class Field:
    """A written receptive field: sizes, and strides when given; or 'whole' / 'undefined'."""

    size: Dims | None = None
    stride: Dims | None = None
    special: str | None = None


def read_field(text: str) -> Field:
    low = " ".join(text.lower().split()).strip(".")
    if low in WHOLE_WORDS:
        return Field(special="whole")
    if low in UNDEFINED_WORDS:
        return Field(special="undefined")
    text = re.sub(r"(?<=[\d\]])\s+\([^()]*\)\s*$", "", text)  # "7x7/2 (x96)": the count in brackets is another's
    size, slash, stride = text.partition("/")
    dims = _dims(size.strip().strip("[]()"))
    if dims is None or (slash and _dims(stride.strip().strip("[]()")) is None):
        raise Unreadable(f"'{text.strip()}' is not a receptive field")
    return Field(dims, _dims(stride.strip().strip("[]()")) if slash else None)


def per_dim(stated: Dims, true: list[int]) -> bool:
    """One value for every dimension, or one per dimension."""
    return list(stated) == true or (len(stated) == 1 and set(true) == set(stated))
