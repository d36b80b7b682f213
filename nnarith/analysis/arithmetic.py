"""Output-size arithmetic, exactly as PyTorch computes it, with the working shown.

Each function returns the size and a derivation such as `(224 + 2*1 - 3)/1 + 1 = 224`,
used by --explain and by the flag on a size that does not divide. Each is one expression
(analysis/expr.py), and cached: a network repeats its few sizes over thousands of layers.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd
from typing import NamedTuple

from nnarith.analysis.expr import DoubleProduct, Expr, Paren, Quot, Rounded, minus, mul, plus


class Size(NamedTuple):  # immutable, as the cache below shares each one
    value: int  # what PyTorch produces
    text: str  # the arithmetic, numbers filled in
    inexact: bool = False  # the division left a remainder and was rounded (floored, or ceil mode's up)

    @classmethod
    def of(cls, size: Rounded | Expr) -> Size:
        """A size and its working, from the one expression that computes it."""
        if isinstance(size, Rounded):
            return cls(size.value, size.equation(), size.inexact)
        return cls(size.value, size.equation(grouped=False))


@lru_cache(maxsize=4096, typed=True)
def window_out(n: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> Size:
    """Conv and pooling: floor((N + 2P - D(F-1) - 1)/S) + 1, or PyTorch's ceil mode.

    The numerator may be negative (kernel larger than the padded input); callers
    reject an output below 1.
    """
    padded = plus(n, mul(2, p)) if p else n
    # Without dilation, the same number written as the textbooks do: (N + 2P - F)/S + 1.
    num = minus(padded, k) if d == 1 else minus(padded, mul(d, minus(k, 1, tight=True)), 1)
    size = Rounded(plus(Quot(num, s), 1), up=ceil, note="ceil" if ceil else "")
    # PyTorch drops a last window that would start inside the right padding.
    if ceil and size.value > 1 and (size.value - 1) * s >= n + p:
        size = size.then(size.value - 1, "the last window would start in the padding")
    return Size.of(size)  # inexact whether floored or rounded up: either way the size does not divide


@lru_cache(maxsize=4096, typed=True)
def transposed_out(n: int, k: int, s: int, p: int, d: int = 1, op: int = 0) -> Size:
    """Transposed conv: (N-1)S - 2P + D(F-1) + output_padding + 1."""
    out = mul(minus(n, 1, tight=True), s)
    if p:
        out = minus(out, mul(2, p))
    k1 = minus(k, 1, tight=True)
    out = plus(out, Paren(k1) if d == 1 else mul(d, k1))
    return Size.of(plus(out, op, 1) if op else plus(out, 1))


@lru_cache(maxsize=4096, typed=True)
def scaled_out(n: int, scale: float) -> Size:
    """Upsampling by a factor: floor(N * scale), as torch.nn.Upsample does, in doubles (DoubleProduct)."""
    return Size.of(Rounded(DoubleProduct(n, scale)))


def adaptive_reads(n: int, o: int) -> int:
    """Input elements adaptive pooling reads along one dimension: the sum over its O windows
    [floor(i*N/O), ceil((i+1)*N/O)) of their sizes, which is N + O - gcd(N, O).

    Closed form, because O may be 10^99: the ceilings sum to the floors' sum plus N plus the
    O - gcd(N, O) windows whose end is not a whole number, and the floors cancel.
    """
    return n + o - gcd(n, o)
