"""Number formatting. Counts use decimal prefixes (K = 10^3, M = 10^6, G = 10^9);
bytes use kB/MB/GB (10^3) and KiB/MiB/GiB (2^10) by name, never mixed."""

from __future__ import annotations

_COUNT = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))
_SI_BYTES = ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB"))
_IEC_BYTES = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def exact(n: int) -> str:
    return f"{n:,}"


def _scaled(n: int, units: tuple[tuple[int, str], ...], small: str) -> str:
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
