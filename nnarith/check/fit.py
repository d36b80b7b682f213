"""Sizes that do not divide, as a lecture answers them: `(7 - 3)/3 + 1 = 2.33`, `2.33`, "doesn't fit".

A stride-3 convolution of a 7x7 input: (N + 2P - F)/S + 1 = 2.33 is not a whole number. PyTorch floors
it to 2 (or rounds up, in ceil mode), and so does the spec; a lecture says the filter does not fit.
Both answers are judged: the one PyTorch gives is right by default and a note under --strict; the
lecture's (the fraction, to the precision written, or the words) is a note by default and right under
--strict. The fraction is the walk's own arithmetic, the flag of the row (Row.warnings), read back.

A shape may give it per dimension: 2.33x2.33, 4x2.33x2.33, 2.33x2.33x4 (channels first or last), or
2.33x3 where only the height does not divide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from nnarith.analysis.report import Row
from nnarith.check.numbers import Unreadable, Value, literal, read_numbers
from nnarith.layers.base import MAP, SPATIAL_NAMES

FIT_TEXT = r"(?:it\s+)?(?:doesn['’]?t|does\s+not)\s+fit\b"  # "doesn't fit", "does not fit": for the readers' patterns
FIT_WORDS = re.compile(rf"\s*{FIT_TEXT}[.!]?", re.I)
_SIZE = r"[0-9]+(?:\.[0-9]+)?"
_FRACTIONAL = re.compile(rf"\s*(?:(?P<open>[\[(])\s*)?(?P<dims>{_SIZE}(?:\s*[x×X,]\s*{_SIZE})*)\s*(?(open)[\])])")


@dataclass(frozen=True)
class NoFit:
    """'doesn't fit': the answer that a size does not divide."""


@dataclass(frozen=True)
class Fractional:
    """A shape with a size that is not whole: 2.33x2.33, (4, 2.33, 2.33)."""

    dims: tuple[Value, ...]


def read_unfit(text: str, pos: int) -> tuple[NoFit | Fractional, int] | None:
    """The words, or a shape with a decimal size, at `pos`; None for anything else."""
    m = FIT_WORDS.match(text, pos)
    if m:
        return NoFit(), m.end()
    m = _FRACTIONAL.match(text, pos)
    if not m or "." not in m["dims"] or ("," in m["dims"] and not m["open"]):
        return None
    sizes = re.split(r"\s*[x×X,]\s*", m["dims"].strip())
    if len(sizes) < 2:
        return None  # one number, as the number reader reads it (2.33, or 2.33 -> 2)
    return Fractional(tuple(literal(s, None, False, False) for s in sizes)), m.end()


def unrounded(row: Row) -> tuple[Fraction, ...] | None:
    """The row's output with its sizes as the formula gives them before rounding (4, 7/3, 7/3); None
    where every size divides, or where the flag's arithmetic cannot be read back."""
    if not row.warnings or row.shape.layout != MAP or row.input is None:
        return None
    spatial: list[Fraction] = [Fraction(d) for d in row.shape.dims[1:]]
    names = SPATIAL_NAMES.get(len(spatial), ())
    for flag in row.warnings:
        for part in flag.split("; "):
            name, colon, text = part.partition(": ")
            if not (colon and name in names):  # one flag for every dimension
                name, text = "", part
            dims = [names.index(name)] if name else range(len(spatial))
            try:
                value = read_numbers(text.split(" = ")[0])[0][0]
            except Unreadable:
                return None
            if not value.exact:
                return None
            for i in dims:
                spatial[i] = value.lo
    return (Fraction(row.shape.dims[0]), *spatial)


def how_rounded(row: Row) -> str:
    return "rounds it up (ceil mode)" if any("(ceil)" in w for w in row.warnings) else "floors it"


def agrees(part: object, exact: tuple[Fraction, ...] | None) -> bool:
    """Whether a part answers the unrounded sizes: the words, or every size at the precision written."""
    if exact is None:
        return False
    if isinstance(part, NoFit):
        return True
    if isinstance(part, Value):  # one size, where every spatial size is the same
        return len(set(exact[1:])) == 1 and part.holds(exact[1])
    if not isinstance(part, Fractional):
        return False
    c, spatial = exact[0], exact[1:]
    dims = part.dims
    if len(dims) > len(exact) and all(d.exact and d.lo == 1 for d in dims[:len(dims) - len(exact)]):
        dims = dims[len(dims) - len(exact):]  # [1, 4, 2.33, 2.33]: a batch of one
    for order in ((c, *spatial), (*spatial, c), spatial):
        if len(order) == len(dims) and all(d.holds(v) for d, v in zip(dims, order)):
            return True
    return False
