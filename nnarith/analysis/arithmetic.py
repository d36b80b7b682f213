"""Output-size arithmetic, exactly as PyTorch computes it, with the working shown.

Each function returns the size and a derivation such as `(224 + 2*1 - 3)/1 + 1 = 224`,
used by --explain and by the flag on a size that does not divide.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from nnarith.text import decimal


@dataclass(frozen=True)
class Size:
    value: int  # what PyTorch produces
    text: str  # the arithmetic, numbers filled in
    inexact: bool = False  # the division left a remainder and was rounded (floored, or ceil mode's up)


def _decimal(num: int, den: int) -> str:
    return decimal(Fraction(num, den)).rstrip("0").rstrip(".")


def window_out(n: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> Size:
    """Conv and pooling: floor((N + 2P - D(F-1) - 1)/S) + 1, or PyTorch's ceil mode.

    The numerator may be negative (kernel larger than the padded input); callers
    reject an output below 1.
    """
    num = n + 2 * p - d * (k - 1) - 1
    pad = f" + 2*{p}" if p else ""
    if d == 1:
        expr = f"({n}{pad} - {k})/{s} + 1"
    else:
        expr = f"({n}{pad} - {d}*({k}-1) - 1)/{s} + 1"
    if not ceil:
        out = num // s + 1
        if num % s == 0:
            return Size(out, f"{expr} = {out}")
        return Size(out, f"{expr} = {_decimal(num + s, s)} -> {out}", inexact=True)
    out = -(-num // s) + 1
    text = f"{expr} = {_decimal(num + s, s)} -> {out} (ceil)" if num % s else f"{expr} = {out}"
    # PyTorch drops a last window that would start inside the right padding.
    if out > 1 and (out - 1) * s >= n + p:
        out -= 1
        text += f" -> {out} (the last window would start in the padding)"
    return Size(out, text, inexact=num % s != 0)  # rounded up: a size that does not divide, as floored ones


def transposed_out(n: int, k: int, s: int, p: int, d: int = 1, op: int = 0) -> Size:
    """Transposed conv: (N-1)S - 2P + D(F-1) + output_padding + 1."""
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    pad = f" - 2*{p}" if p else ""
    kern = f"({k}-1)" if d == 1 else f"{d}*({k}-1)"
    extra = f" + {op}" if op else ""
    return Size(out, f"({n}-1)*{s}{pad} + {kern}{extra} + 1 = {out}")


def scaled_out(n: int, scale: float) -> Size:
    """Upsampling by a factor: floor(N * scale), as torch.nn.Upsample does.

    PyTorch multiplies in double precision (10 * 0.3 gives 3, not 2.999...), so sizes that a
    double holds exactly (below 2^53, all that PyTorch can build) do the same. Larger ones,
    which a double would round, multiply exactly instead.
    """
    exact = Fraction(n * scale) if n < 2**53 else n * Fraction(scale)
    out = exact.numerator // exact.denominator
    if exact == out:
        return Size(out, f"{n}*{scale:g} = {out}")
    return Size(out, f"{n}*{scale:g} = {_decimal(exact.numerator, exact.denominator)} -> {out}", inexact=True)


def adaptive_reads(n: int, o: int) -> int:
    """Input elements adaptive pooling reads along one dimension: the sum over its O windows
    [floor(i*N/O), ceil((i+1)*N/O)) of their sizes, which is N + O - gcd(N, O).

    Closed form, because O may be 10^99: the ceilings sum to the floors' sum plus N plus the
    O - gcd(N, O) windows whose end is not a whole number, and the floors cancel.
    """
    return n + o - gcd(n, o)
