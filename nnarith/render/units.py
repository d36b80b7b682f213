"""Number formatting. Counts use decimal prefixes (K = 10^3, M = 10^6, G = 10^9);
bytes use kB/MB/GB (10^3) and KiB/MiB/GiB (2^10) by name, never mixed."""

from __future__ import annotations

_COUNT = tuple((10 ** (3 * i), p) for i, p in reversed(list(enumerate("KMGTPEZY", 1))))
_SI_BYTES = tuple((10 ** (3 * i), p + "B") for i, p in reversed(list(enumerate("kMGTPEZY", 1))))
_IEC_BYTES = tuple((2 ** (10 * i), p + "iB") for i, p in reversed(list(enumerate("KMGTPEZY", 1))))


def exact(n: int) -> str:
    return f"{n:,}"


def _scaled(n: int, units: tuple[tuple[int, str], ...], small: str) -> str:
    if abs(n) >= 1000 * units[0][0]:  # past the largest prefix: scientific notation
        return f"{n:.2e}".replace("e+", "e") + small
    for size, unit in units:
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n}{small}"


def count(n: int) -> str:
    """1792 -> '1.79 K'; counts below 1000 stay exact."""
    return _scaled(n, _COUNT, "")


def si_bytes(n: int) -> str:
    return _scaled(n, _SI_BYTES, " B")


def iec_bytes(n: int) -> str:
    return _scaled(n, _IEC_BYTES, " B")


def shape(dims: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in dims)
