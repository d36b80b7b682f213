"""Text reports of `verify` and `bench` (their JSON is each result's .json())."""

from __future__ import annotations

from nnarith.render import units
from nnarith.render.style import Painter, plain
from nnarith.text import visible
from nnarith.torch.bench import Benchmark
from nnarith.torch.verify import Check, Verification

MAX_LISTED = 25


def _value(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, tuple):
        return units.shape(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]

    def fmt(cells: tuple[str, ...]) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(padded).rstrip()

    return [fmt(head), "  ".join("─" * w for w in widths), *(fmt(r) for r in rows)]


def render_verification(v: Verification, all_checks: bool = False, *, paint: Painter = plain) -> str:
    verdict = "PASSED" if v.passed else "FAILED"
    # A spec's name and path are the user's text: no control characters reach the terminal.
    out = [f"{visible(v.name)}  ({visible(v.file)})  on {v.device}, batch {v.batch}: {verdict} "
           f"({len(v.checks)} checks)", ""]
    rows: list[tuple[str, ...]] = []
    groups: dict[str, list[Check]] = {}
    for c in v.checks:
        if c.group and not all_checks:
            groups.setdefault(c.group, []).append(c)
    for group, checks in groups.items():
        ok = sum(c.status == "ok" for c in checks)
        rows.append((group, f"{len(checks)} layers", f"{ok} match", "ok" if ok == len(checks) else "MISMATCH"))
    for c in v.checks:
        if (all_checks or not c.group) and c.status != "note":
            rows.append((c.what, _value(c.expected), _value(c.measured), "ok" if c.status == "ok" else "MISMATCH"))
    out += _table(("check", "expected", "measured", "status"), rows, {1, 2})
    wrong = [c for c in v.checks if c.status == "mismatch" and c.group and not all_checks]
    if wrong:
        out += ["", f"mismatched layers ({len(wrong)}):"]
        out += [f"  {c.what}: expected {_value(c.expected)}, measured {_value(c.measured)}" for c in wrong[:MAX_LISTED]]
        if len(wrong) > MAX_LISTED:
            out.append(f"  ... and {len(wrong) - MAX_LISTED} more (--format json lists them all)")
    notes = [f"note: {c.what}: {c.detail}" for c in v.checks if c.status == "note"]
    notes += [f"{c.what}: {c.detail}" for c in v.checks if c.status == "mismatch" and c.detail and not c.group]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def render_benchmark(b: Benchmark) -> str:
    out = [f"{visible(b.name)} on {visible(b.device)}"]
    if b.fallback:
        out.append(b.fallback)
    peaks = ", ".join(f"{d} {p:g} TFLOP/s" for d, p in b.peak_tflops.items())
    out += [f"measured peak (square matmul): {peaks}", ""]
    rows = []
    for r in b.results:
        fraction = f"{r.fraction_of_peak:.1%}" if r.fraction_of_peak is not None else "-"
        rows.append((r.mode, r.dtype, str(r.batch), f"{r.ms_median:.2f}", f"{r.ms_spread:.2f}",
                     f"{r.images_per_s:,.1f}", f"{r.tflops:.3f}", fraction, units.si_bytes(r.peak_memory_bytes),
                     units.si_bytes(r.predicted_memory_bytes), str(r.runs)))
    head = ("mode", "dtype", "batch", "ms median", "IQR ms", "images/s", "TFLOP/s", "of peak", "peak memory",
            "predicted", "runs")
    out += _table(head, rows, set(range(2, 11)))
    out += ["", f"peak memory: {b.memory_measure}; predicted: parameters and buffers (fp32) + activations "
                "(nnarith's count)",
            "TFLOP/s from nnarith's FLOPs (2 x MACs; training counts 3 x the forward)"]
    out += [f"note: {visible(n)}" for n in b.notes]
    return "\n".join(out) + "\n"
