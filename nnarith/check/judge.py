"""Judging one stated figure against the truth: right, wrong, or right under another convention.

Every part of a figure is judged: in `224*224*64=3.2M` both the arithmetic and the result
must be right. A part is right when the true value lies in what it can stand for at its
precision (3.2M accepts 3,211,264; 3.3M does not). A part that is wrong under the default
convention but right under another is a note naming that convention: weights without
biases, FLOPs = 2 x MACs, MiB vs MB, elements vs bytes, floor vs ceil. --strict makes
those wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from nnarith.check.claims import Claim
from nnarith.check.fit import NoFit, agrees
from nnarith.check.numbers import Unreadable, Value, other_base, read_numbers, unit_of
from nnarith.check.shapes import Field, per_dim, read_field, read_shapes, shape_matches
from nnarith.check.truth import Truth
from nnarith.errors import Loc, SpecError
from nnarith.text import decimal

OK, WRONG, NOTE = "ok", "wrong", "note"
SIZES = ("input_size", "params_size", "forward_backward_size", "total_size", "trainable_size", "non_trainable_size")
IN_BYTES = ("memory", "activations", "params", "weights")  # figures that may be written in bytes
HINTS = {
    "output": "write a shape such as 55x55x96, (96, 55, 55) or [1, 96, 55, 55]; for a size that does not divide, "
              "2.33x2.33 or \"doesn't fit\"",
    "rf": "write a size such as 11, 11x11, or size/stride such as 11/4",
}


@dataclass
class Item:
    """One checked figure, as the report and the JSON give it."""

    line: int
    what: str
    stated: str
    expected: Any
    status: str
    derivation: str  # the true value's arithmetic (JSON adds the note after a '; ')
    col: int = 0
    true_text: str = ""  # the true value as the text report writes it
    note: str = ""  # the convention a note matches, or what is wrong with the arithmetic


# a crop's field starts inside its input: a negative padding, -88x-88, which is not arithmetic (-88 times -88)
_SIGNED_DIMS = re.compile(r"\s*(?=[^-]*-[0-9])(-?[0-9]+(?:\s*[x×X]\s*-?[0-9]+)*)(?!\s*[-+*/=^0-9.,])")


def parse(figure: Claim) -> tuple[list, str]:
    """The parts of a written figure, and its text without the prose after it.

    An unreadable figure is an error at its location.
    """
    text, cuts = _unlabelled(figure.text)
    if figure.convention == "keras":  # Keras' KB, MB and GB are binary: 136.04 KB for 139,304 bytes
        text = re.sub(r"\b([KMG])B\b", lambda m: m[1] + "iB", text)
    try:
        if figure.name == "rf_padding" and (signed := _SIGNED_DIMS.match(text)):
            parts, end = [tuple(int(d) for d in re.split(r"\s*[x×X]\s*", signed[1]))], signed.end()
        elif figure.name in ("output", "input", "rf_stride", "rf_padding", "stride"):
            parts, end = read_shapes(text)
        elif figure.name in ("rf", "kernel"):
            return [read_field(text)], text
        elif figure.name == "memory" and text.lower() in ("in place", "view"):
            return [Value(0, 0)], text
        else:
            parts, end = read_numbers(text, memory=figure.name in ("memory", "activations", *SIZES),
                                      default_unit=figure.unit)
    except Unreadable as e:
        loc = Loc(figure.loc.file, figure.loc.line, figure.loc.col + e.offset)
        hint = HINTS.get(figure.name, "write it like 34,848, 3.2M, 61 million, 1.16 MB or (11*11*3)*96 = 34,848")
        raise SpecError(f"cannot read the {figure.name} '{text}': {e}", loc, hint=hint) from None
    return parts, figure.text[:end + sum(n for at, n in cuts if at <= end)].strip()


_LABELLED_SUM = re.compile(r"(?i)(\d[\d,.]*\s*[KMG]?)(\s+(?:weights?|biases?))(\s*\+\s*)(\d[\d,.]*\s*[KMG]?)"
                           r"(\s+(?:weights?|biases?))\b")


def _unlabelled(text: str) -> tuple[str, list[tuple[int, int]]]:
    """'61,706 = 61,470 weights + 236 biases' read as the sum it is: the words out, and where (in the
    text left) how many characters went, to find the end of the figure in the text as written."""
    cuts: list[tuple[int, int]] = []
    out, last = [], 0
    for m in _LABELLED_SUM.finditer(text):
        out.append(text[last:m.start()])
        at = len("".join(out))
        cuts += [(at + len(m[1]), len(m[2])), (at + len(m[1]) + len(m[3]) + len(m[4]), len(m[5]))]
        out.append(m[1] + m[3] + m[4])
        last = m.end()
    return "".join(out) + text[last:], cuts


def judge(figure: Claim, what: str, truth: Truth, bytes_per: int, strict: bool,
          more: Callable[[], list] = list) -> Item:
    """`more` gives further conventions' values, asked for only when these fail."""
    parts, stated = parse(figure)
    candidates = [(truth.value, None, truth.derivation)] + [(v, None, d) for v, d in truth.also] + truth.others
    results = [_match(figure.name, p, candidates, bytes_per) for p in parts]
    fits = [figure.name == "output" and agrees(p, truth.unrounded) for p in parts]  # "doesn't fit", 2.33
    if any(r is None and not f for r, f in zip(results, fits)):
        candidates += more()
        results = [r or _match(figure.name, p, candidates, bytes_per) for r, p in zip(results, parts)]
    value, derivation = truth.value, truth.derivation
    last = results[-1]
    if last and last[0] is None and (last[2], last[1]) in truth.also:  # right by another, equal reading
        value, derivation = last[2], last[1]
    first_bytes = isinstance(parts[-1], Value) and parts[-1].bytes and figure.name in IN_BYTES
    scale = bytes_per if first_bytes else 1
    derivation += f" x {bytes_per} bytes = {value * bytes_per:,} bytes" if scale > 1 else ""
    item = Item(figure.loc.line, what, stated, _expected(value, scale), OK, derivation, figure.loc.col,
                _true_text(figure.name, value, scale))
    right = [r is not None or f for r, f in zip(results, fits)]
    if not all(right):
        item.status = WRONG
        if len(parts) > 1 and not right[-1] and any(right[:-1]):
            item.note = "the arithmetic is right, the stated result is not"
        elif len(parts) > 1 and right[-1]:
            item.note = "the stated result is right, the arithmetic is not"
        elif any(isinstance(p, NoFit) for p in parts) and figure.name == "output":
            item.note = "it fits: its sizes divide"
        if strict and truth.unrounded is not None:
            item.true_text = _unrounded(truth)
        return item
    conventions = [r for r in results if r and r[0]]
    lecture = any(f and r is None for r, f in zip(results, fits))  # only the unrounded sizes explain it
    if conventions and not lecture:
        item.status = WRONG if strict else NOTE
        item.note = ("--strict: " if strict else "") + f"{conventions[-1][0]}: {conventions[-1][1]}"
    elif truth.unrounded is not None:
        _unfit(item, truth, lecture, any(r is not None and not f for r, f in zip(results, fits)), strict)
    return item


def _unfit(item: Item, truth: Truth, lecture: bool, whole: bool, strict: bool) -> None:
    """An output whose sizes do not divide: the lecture's answer (`lecture`: the fraction, or the words) is
    a note by default and right under --strict; PyTorch's whole sizes (`whole`) right, and a note under --strict."""
    if strict:
        item.true_text = _unrounded(truth)
        if whole:
            item.status, item.note = NOTE, f"--strict: the size does not divide; PyTorch {truth.rounding}"
    elif lecture:
        sizes = _unrounded(truth).removesuffix(", which does not fit")
        item.status, item.note = NOTE, f"does not fit: {sizes} before rounding; PyTorch {truth.rounding}"


def _unrounded(truth: Truth) -> str:
    """'4x2.33x2.33, which does not fit': the sizes before rounding, to two decimals."""
    sizes = (str(v) if v.denominator == 1 else decimal(v, 2).rstrip("0").rstrip(".") for v in truth.unrounded)
    return "x".join(sizes) + ", which does not fit"


def _match(figure: str, part: Any, candidates: list, per: int) -> tuple[str | None, str, Any] | None:
    """(the convention it matches, None for the default; its derivation; its value), or None: wrong."""
    for value, convention, derivation in candidates:
        for how, unit in _agrees(figure, part, value, per):
            conventions = [c for c in (convention, how) if c]
            return ("; ".join(conventions) or None), derivation + unit, value
    if isinstance(part, Value) and part.hi > part.lo and figure not in SIZES and part.digits:  # 73M for 73.6M
        cut = Value((part.lo + part.hi) / 2, part.hi + (part.hi - part.lo) / 2 - Fraction(1, 10**6), part.bytes)
        for value, convention, derivation in candidates:
            if convention and "without biases" in convention:
                continue  # a truncated count of something else is two steps from the figure: wrong
            for how, unit in _agrees(figure, cut, value, per):
                conventions = [c for c in (convention, how, "truncated rather than rounded") if c]
                return "; ".join(conventions), derivation + unit, value
    return None


def _agrees(figure: str, part: Any, value: Any, per: int):
    """The ways a part agrees with a true value: (None, or the convention; the unit conversion)."""
    if figure in SIZES:  # bytes, as the tool's definition gives them
        if Value(part.lo, part.hi).holds(value):
            yield None, ""
        elif part.alt and Value(*part.alt).holds(value):
            yield f"MiB vs MB, in {other_base(part.unit)} but written {part.unit}", ""
        return
    if figure in ("kernel", "rf") and isinstance(part, Field):
        if _field_agrees(part, value):
            yield None, ""
        return
    if figure == "stride":
        figure = "rf_stride"
    if figure in ("output", "input"):
        if isinstance(part, (tuple, Value)) and shape_matches(part, value, spatial=True):
            yield None, ""
        return
    if figure == "rf":
        if _field_agrees(part, value):
            yield None, ""
        return
    if figure == "depth":  # a count of layers: exactly, never "about"
        if part.exact and part.lo == value:
            yield None, ""
        return
    if figure in ("rf_stride", "rf_padding"):
        dims = part if isinstance(part, tuple) else (int(part.lo),) if isinstance(part, Value) and part.exact else None
        if isinstance(value, list) and dims is not None and per_dim(dims, value):
            yield None, ""
        return
    readings = [(part.lo, part.hi, part.bytes, None, "")]
    if part.alt:
        meant = other_base(part.unit)
        size = unit_of(meant, True)[0]
        n = value * per if figure in IN_BYTES else value
        readings.append((*part.alt, True, f"MiB vs MB, in {meant} but written {part.unit}",
                         f" = {float(Fraction(n, size)):.4g} {meant}"))
    bytes_ = f" x {per} bytes = {value * per:,} bytes" if isinstance(value, int) else ""
    for lo, hi, is_bytes, base, base_unit in readings:
        v = Value(lo, hi)
        ways = []
        if not is_bytes:
            ways.append((v.holds(value), None, ""))
            if figure in ("memory", "activations"):
                ways.append((v.holds(value, per), "elements vs bytes, bytes written without a unit", bytes_))
        elif figure in IN_BYTES:  # a byte unit written out says what it counts: the params' bytes are right as such
            ways.append((v.holds(value, per), None, bytes_ + base_unit))
            if figure in ("memory", "activations"):
                ways.append((v.holds(value), "elements vs bytes, the element count written as bytes",
                             " elements" + (f" = {float(Fraction(value, unit_of(meant, True)[0])):.4g} {meant}"
                                            if base else "")))
        for ok, how, unit in ways:
            if ok:
                yield "; ".join(c for c in (base, how) if c) or None, unit


def _field_agrees(stated: Field, value: Any) -> bool:
    if stated.special:
        return stated.special == ("whole" if value is None else value)
    if not isinstance(value, dict):
        return False
    size = stated.size
    if len(size) == len(value["size"]) + 1 and value.get("depth") is not None:  # AlexNet's 5 × 5 × 48
        if size[-1] != value["depth"]:
            return False
        size = size[:-1]
    return per_dim(size, value["size"]) and (stated.stride is None or per_dim(stated.stride, value["stride"]))


def _expected(value: Any, scale: int) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return value["size"]
    if value is None:
        return "whole"
    return value * scale if isinstance(value, int) else value


def _true_text(figure: str, value: Any, scale: int) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, dict) and figure == "kernel":  # 7x7/2, as GoogLeNet's table writes patch size/stride
        return "x".join(map(str, value["size"])) + "/" + str(value["stride"][0])
    if isinstance(value, dict):
        return "/".join(_true_text(figure, value[k], 1) for k in ("size", "stride"))
    if isinstance(value, list):
        return "x".join(map(str, value)) if len(set(value)) > 1 else str(value[0])
    if value is None:
        return "whole"
    if isinstance(value, int):
        return f"{value * scale:,}" + (" bytes" if scale > 1 else "")
    return str(value)


def unmatched(figure: Claim, what: str, reason: str) -> Item:
    return Item(figure.loc.line, what, figure.text, None, WRONG, "", figure.loc.col, "unknown", reason)
