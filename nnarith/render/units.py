"""Number formatting. Counts use decimal prefixes (K = 10^3, M = 10^6, G = 10^9);
bytes use kB/MB/GB (10^3) and KiB/MiB/GiB (2^10) by name, never mixed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnarith.text import scientific

if TYPE_CHECKING:
    from nnarith.layers.base import Shape

# (size, prefix) pairs, smallest first
_COUNT = tuple((10 ** (3 * i), p) for i, p in enumerate("KMGTPEZY", 1))
_SI_BYTES = tuple((10 ** (3 * i), p + "B") for i, p in enumerate("kMGTPEZY", 1))
_IEC_BYTES = tuple((2 ** (10 * i), p + "iB") for i, p in enumerate("KMGTPEZY", 1))


def exact(n: int) -> str:
    return f"{n:,}"


def _scaled(n: int, units: tuple[tuple[int, str], ...], small: str) -> str:
    m = abs(n)
    if m < units[0][0]:
        return f"{n}{small}"
    if m >= 1000 * units[-1][0]:  # past the largest prefix: scientific notation
        return scientific(n) + small
    size, unit = units[0]
    for next_size, next_unit in units[1:]:  # the largest prefix not above n; most stop at once
        if m < next_size:
            break
        size, unit = next_size, next_unit
    q, r = divmod(m * 100, size)  # hundredths, rounded half to even as text.decimal rounds (in integers: faster)
    if 2 * r > size or (2 * r == size and q % 2):
        q += 1
    return f"{'-' if n < 0 else ''}{q // 100}.{q % 100:02d} {unit}"


def count(n: int) -> str:
    """1792 -> '1.79 K'; counts below 1000 stay exact."""
    return _scaled(n, _COUNT, "")


def si_bytes(n: int) -> str:
    return _scaled(n, _SI_BYTES, " B")


def iec_bytes(n: int) -> str:
    return _scaled(n, _IEC_BYTES, " B")


def shape(dims: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in dims)


def input_shape(x: Shape) -> str:
    """The input as a title names it: '3x224x224', or '128 token ids' (a size alone reads as features)."""
    from nnarith.layers.base import IDS

    return counted(x.dims[0], "token id") if x.layout == IDS else shape(x.dims)


def counted(n: int, word: str, words: str | None = None) -> str:
    """'1 bias', '27,560 biases': a count and its noun, singular for one."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def byte_forms(n: int) -> list[str]:
    """'5,498,420,736 bytes', '= 5.50 GB', '= 5.12 GiB': the byte count, then the units that say something new
    (296 bytes are 296 B in either unit, said once)."""
    out = [counted(n, "byte")]
    for form in (si_bytes(n), iec_bytes(n)):
        if form != f"{n} B" and f"= {form}" not in out:
            out.append(f"= {form}")
    return out
