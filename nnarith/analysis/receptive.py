"""Receptive fields, as defined by Araujo, Norris and Sim, "Computing Receptive Fields of
Convolutional Neural Networks" (Distill, 2019).

Per spatial dimension we track, in input pixels, the field of output unit 0 as the closed
interval [lo, hi] and the jump j between neighbouring units. A layer with effective kernel
k, stride s and left padding p maps (lo, hi, j) to

    lo' = lo - p*j        hi' = hi + (k - 1 - p)*j        j' = j*s

so size = hi - lo + 1, effective stride = j, effective padding = -lo. Branches take the
union of their intervals. A view that moves the spatial dimensions (a permute among them, a
reshape that adds or removes unit dimensions) moves their intervals: `Axes`. Two states are
not intervals:
- WHOLE: every output depends on the whole input (after global pooling, flatten or fc);
- UNDEFINED: the field is not one fixed window (after a transposed conv or upsampling,
  whose output units see differently sized parts of their input, or a window attention, whose
  tokens see their window wherever it lies from them).
"""

from __future__ import annotations

from dataclasses import dataclass

WHOLE = "whole"
UNDEFINED = "undefined"


@dataclass(frozen=True)
class Window:
    """What a layer does to the field: effective kernel, stride and left padding per dim."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad: tuple[int, ...]


@dataclass(frozen=True)
class Axes:
    """A view that rearranges the spatial dimensions: output dimension i is input dimension
    order[i], or a new unit dimension (None), whose field is the one pixel of its size 1. An input
    dimension not in the order is a unit dimension removed: its interval goes with it."""

    order: tuple[int | None, ...]


Interval = tuple[int, int, int]  # (lo, hi, jump)
Field = tuple[Interval, ...] | str  # intervals per dimension, WHOLE or UNDEFINED
Effect = Window | Axes | str | None  # a window, rearranged dimensions, WHOLE, UNDEFINED, or None: unchanged


def start(rank: int) -> Field:
    """The field of the input itself: one pixel, jump 1, in every spatial dimension."""
    return tuple((0, 0, 1) for _ in range(rank)) if rank else WHOLE


def apply(field: Field, effect: Effect) -> Field:
    if effect is None:
        return field
    if effect == WHOLE or field == WHOLE:
        return WHOLE
    if effect == UNDEFINED or field == UNDEFINED:
        return UNDEFINED
    if isinstance(effect, Axes):
        return tuple((0, 0, 1) if i is None else field[i] for i in effect.order)
    assert isinstance(effect, Window) and isinstance(field, tuple)
    return tuple(
        (lo - p * j, hi + (k - 1 - p) * j, j * s)
        for (lo, hi, j), k, s, p in zip(field, effect.kernel, effect.stride, effect.pad)
    )


def union(fields: list[Field]) -> tuple[Field, str | None]:
    """Merge the fields of parallel branches; the second value warns of misalignment."""
    if WHOLE in fields:
        return WHOLE, None
    if UNDEFINED in fields:
        return UNDEFINED, None
    merged = []
    warning = None
    for dims in zip(*fields):
        lo = min(d[0] for d in dims)
        hi = max(d[1] for d in dims)
        centres = {d[0] + d[1] for d in dims}
        jumps = {d[2] for d in dims}
        if len(jumps) > 1:
            warning = f"branches have different effective strides {sorted(jumps)}; the field is their union"
        elif len(centres) > 1 and warning is None:
            offsets = sorted({c / 2 for c in centres})
            warning = (f"branch fields are not centred alike (at {offsets} input pixels); "
                       "the field is their union")
        merged.append((lo, hi, dims[0][2]))
    return tuple(merged), warning


def explain(field: Field, effect: Effect) -> str | None:
    """The recurrence with the numbers filled in, for --explain: 'r = 5 + (3-1)*2 = 9, jump 2*2 = 4'.

    r is the size before the layer, (k-1) the effective kernel less one, times the jump j
    between neighbouring units before it. None where the layer leaves the field as it was.
    """
    if effect is None or field == WHOLE or field == UNDEFINED:
        return None
    if effect == WHOLE:
        return "the whole input"
    if effect == UNDEFINED:
        return "not one fixed window (output units see differently sized or placed parts of the input)"
    if isinstance(effect, Axes):
        names = _names(len(field))
        return f"the field's dimensions, as ({', '.join('new: 1' if i is None else names[i] for i in effect.order)})"
    assert isinstance(effect, Window) and isinstance(field, tuple)
    texts = []
    for (lo, hi, j), k, s, p in zip(field, effect.kernel, effect.stride, effect.pad):
        r = hi - lo + 1
        if k == s == 1 and p < 0:  # a crop: the field moves, its size stays
            texts.append(f"r = {r}, starting {-p}*{j} = {-p * j} pixels later")
            continue
        text = f"r = {r} + ({k}-1)*{j} = {r + (k - 1) * j}"
        texts.append(text + (f", jump {j}*{s} = {j * s}" if s != 1 else ""))
    return _per_dim(texts)


def explain_union(merged: Field) -> str | None:
    sizes = size(merged)
    if sizes is None:
        return None
    return "union of the branches: " + _per_dim([f"r = {n}" for n in sizes])


def _names(rank: int) -> tuple[str, ...]:
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(rank, tuple(f"d{i}" for i in range(rank)))


def _per_dim(texts: list[str]) -> str:
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{n}: {t}" for n, t in zip(_names(len(texts)), texts))


def size(field: Field) -> list[int] | None:
    return None if isinstance(field, str) else [hi - lo + 1 for lo, hi, _ in field]


def describe(field: Field) -> dict | str | None:
    """The JSON form: {size, stride, padding}, null for the whole input, or 'undefined'."""
    if field == WHOLE:
        return None
    if field == UNDEFINED:
        return UNDEFINED
    return {
        "size": [hi - lo + 1 for lo, hi, _ in field],
        "stride": [j for _, _, j in field],
        "padding": [-lo for lo, _, _ in field],
    }
