"""Text reports of `verify` and `bench` (their JSON is each result's .json()).

Lines fit WIDTH columns: a table's gaps narrow to one space where two do not fit, a check whose
name is too long for its column takes a line of its own, and prose folds. Colour comes from the
painter, applied to text already padded, so that escape codes never count towards a width.
"""

from __future__ import annotations

import textwrap
from fractions import Fraction

from nnarith.render import units
from nnarith.render.style import Painter, plain
from nnarith.text import visible
from nnarith.torch.bench import Benchmark
from nnarith.torch.by_operator import Split
from nnarith.torch.verify import Check, Verification

MAX_LISTED = 25
WIDTH = 100
FOLDED = 24  # the narrowest a table's first column (a check's name) is folded to
Cell = str | tuple[str, str]  # a cell's text, or its text and what it means (a style.MEANINGS key)


def _value(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, tuple):
        return units.shape(v)
    if isinstance(v, Fraction):  # a measured figure that does not divide by the batch: shown exactly
        return f"{v.numerator:,}/{v.denominator:,}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _short(v: int | Fraction) -> str:
    return units.count(v) if isinstance(v, int) else _value(v)


def _table(head: tuple[str, ...], rows: list[tuple[Cell, ...]], right: set[int], paint: Painter,
           indent: str = "") -> list[str]:
    texts = [tuple(c if isinstance(c, str) else c[0] for c in r) for r in rows]
    widths = [max(len(r[i]) for r in (head, *texts)) for i in range(len(head))]
    # Two spaces between columns where they fit with the first column folded to FOLDED (a name on a
    # line of its own beyond that), else one.
    room, least = WIDTH - len(indent), min(widths[0], max(FOLDED, len(head[0])))
    gap = 2 if least + sum(widths[1:]) + 2 * (len(widths) - 1) <= room else 1
    widths[0] = min(widths[0], max(room - sum(widths[1:]) - gap * (len(widths) - 1), least))

    def fmt(cells: tuple[Cell, ...]) -> list[str]:
        pairs = [(c, "") if isinstance(c, str) else c for c in cells]
        lines = []
        if len(pairs[0][0]) > widths[0]:  # too long for its column: on a line of its own
            lines.append(indent + paint(pairs[0][0], pairs[0][1] or "name"))
            pairs[0] = ("", "")
        padded = [(t.rjust(w) if i in right else t.ljust(w), m) for i, ((t, m), w) in enumerate(zip(pairs, widths))]
        while padded and not padded[-1][0].strip():
            padded.pop()
        if padded:  # no trailing spaces: the last cell is stripped before it is painted
            padded[-1] = (padded[-1][0].rstrip(), padded[-1][1])
        return [*lines, indent + (" " * gap).join(paint(t, m) if m else t for t, m in padded)]

    rule = (" " * gap).join("─" * w for w in widths)
    head_line = (" " * gap).join(h.rjust(w) if i in right else h.ljust(w)
                                 for i, (h, w) in enumerate(zip(head, widths))).rstrip()
    return [indent + paint(head_line, "heading"), indent + paint(rule, "guide"),
            *(line for r in rows for line in fmt(r))]


def _fold(text: str, indent: str = "", more: str = "    ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + more,
                         break_on_hyphens=False, break_long_words=False)


def _note(text: str, paint: Painter) -> list[str]:
    """'note: ...', folded, then its first word painted (after folding: the codes take no columns)."""
    first, *rest = _fold(f"note: {text}")
    return [paint("note:", "note") + first[len("note:"):], *rest]


def _status(ok: bool) -> Cell:
    return ("✓", "right") if ok else ("✗", "wrong")


LISTED = {"training state"}  # groups of a few whole-model figures, listed one by one rather than per layer


def render_verification(v: Verification, all_checks: bool = False, paint: Painter = plain) -> str:
    verdict = paint("PASSED", "right") if v.passed else paint("FAILED", "wrong")
    # A spec's name and path are the user's text: no control characters reach the terminal.
    what = f"{visible(v.name)}  ({visible(v.file)})"
    run = f"on {v.device}, batch {v.batch}: {{}} ({len(v.checks)} checks)"
    # the verdict stays whole on the first line's end, or on a line of its own where the name is long
    fits = len(what) + 2 + len(run.format("PASSED")) <= WIDTH
    out = [f"{what}  {run.format(verdict)}"] if fits else [what, f"  {run.format(verdict)}"]
    if any(c.batch for c in v.checks) or v.fvcore:
        out += _fold(f"per image, as `nnarith shape` counts: measured on a batch of {v.batch}, "
                     f"divided by {v.batch} (exactly)")
    rows: list[tuple[Cell, ...]] = []
    groups: dict[str, list[Check]] = {}
    for c in v.checks:
        if c.group and c.group not in LISTED and not all_checks:
            groups.setdefault(c.group, []).append(c)
    for group, checks in groups.items():
        ok = sum(c.status == "ok" for c in checks)
        rows.append((group, checks[0].unit or "shape", f"{len(checks)} layers", f"{ok} match",
                     _status(ok == len(checks))))
    for c in v.checks:
        if (all_checks or not c.group or c.group in LISTED) and c.status != "note":
            rows.append((visible(c.what), c.unit or "shape", _value(c.expected), _value(c.measured),
                         _status(c.status == "ok")))
    out += ["", *_table(("check", "counts", "nnarith", "measured", "status"), rows, {2, 3}, paint)]
    wrong = [c for c in v.checks if c.status == "mismatch" and c.group and c.group not in LISTED and not all_checks]
    if wrong:
        out += ["", paint(f"mismatched layers ({len(wrong)}):", "heading")]
        for c in wrong[:MAX_LISTED]:
            detail = f"; {c.detail}" if c.detail else ""
            out += _fold(f"{visible(c.what)}: nnarith {_value(c.expected)}, measured {_value(c.measured)}"
                         f"{' ' + c.unit if c.unit else ''}{detail}", "  ")
        if len(wrong) > MAX_LISTED:
            out.append(f"  ... and {len(wrong) - MAX_LISTED} more (--format json lists them all)")
    if v.fvcore:
        out += ["", *_fvcore_lines(v.fvcore, paint)]
    notes = [line for c in v.checks if c.status == "note" for line in _note(f"{visible(c.what)}: {c.detail}", paint)]
    notes += [line for c in v.checks if c.status == "mismatch" and c.detail and (not c.group or c.group in LISTED)
              for line in _fold(f"{visible(c.what)}: {c.detail}")]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def _fvcore_lines(s: Split, paint: Painter) -> list[str]:
    """fvcore's count per image by operator, each set against what nnarith counts in the layers that ran
    it, then fvcore's total as nnarith's MACs plus what else fvcore counts."""
    rows: list[tuple[Cell, ...]] = []
    products = {op.name: set(op.layers) for op in s.operators if op.reads == "MACs"}
    for op in s.operators:
        layers = len(op.layers)
        # a layer that runs several products (attention: linear and matmul) has all its MACs under each
        mine = set(op.layers) if op.reads == "MACs" else set()
        also = [o for o, names in products.items() if o != op.name and names & mine]
        rows.append((op.name, _value(op.per_image), str(layers), _against(op.reads, op.factor, op.base, layers, also)))
    rows.append((("total", "total"), (_value(s.total), "total"), "", ""))
    out = [paint(f"fvcore's count per image, by operator (FlopCountAnalysis.by_operator(), divided by {s.batch}):",
                 "heading")]
    out += _table(("operator", "fvcore flops", "layers", "what nnarith counts there"), rows, {1, 2}, paint, "  ")
    return out + _equation(s)


def _against(reads: str, factor: Fraction, base: int, layers: int, also: list[str]) -> str:
    if not layers:
        return "outside the spec's layers"
    their = "its" if layers == 1 else "their"
    if also:
        return f"{their} MACs, {' and '.join(also)} included: {base:,}"
    if reads == "MACs":
        return f"= {their} MACs" if factor == 1 else f"{their} MACs: {base:,}"
    if reads and factor.denominator == 1 and factor:
        return f"= {factor} x {base:,} {reads} elements"
    return f"{reads} elements: {base:,}" if reads else ""


def _equation(s: Split) -> list[str]:
    """fvcore's total = nnarith's MACs - the MACs fvcore does not count + the other operators, exactly;
    anything left over is said, not hidden."""
    terms = [f"nnarith's MACs {_short(s.macs)}"]
    missed = sum(m for _, m in s.missed)
    if missed:
        names = [n for n, _ in s.missed]
        listed = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        sign, what = ("-", "fvcore does not count") if missed > 0 else ("+", "fvcore counts beyond them")
        terms.append(f"{sign} {_short(abs(missed))} MACs {what} ({visible(listed)})")
    terms += [f"+ {op.name} {_short(op.per_image)}" for op in s.others]
    if s.unexplained:
        terms.append(f"+ {_value(s.unexplained)} that these do not explain")
    head = f"fvcore {_short(s.total)} = "
    line = head + " ".join(terms)
    if len(line) <= WIDTH:
        return [line]
    return [head + terms[0], *(" " * (len(head) - 2) + t for t in terms[1:])]


def render_benchmark(b: Benchmark, paint: Painter = plain) -> str:
    out = [paint(f"{visible(b.name)} on {visible(b.device)}", "heading")]
    if b.fallback:
        out += [paint(line, "note") for line in _fold(b.fallback)]
    peaks = ", ".join(f"{d} {p:g} TFLOP/s" for d, p in b.peak_tflops.items())
    out += [*_fold(f"measured peak (square matmul): {peaks}"), ""]
    rows: list[tuple[Cell, ...]] = []
    for r in b.results:
        fraction = f"{r.fraction_of_peak:.1%}" if r.fraction_of_peak is not None else "-"
        rows.append((r.mode, r.dtype, str(r.batch), f"{r.ms_median:.2f}", f"{r.ms_spread:.2f}",
                     f"{r.images_per_s:,.1f}", f"{r.tflops:.3f}", fraction, units.si_bytes(r.peak_memory_bytes),
                     units.si_bytes(r.predicted_memory_bytes), str(r.runs)))
    head = ("mode", "dtype", "batch", "ms median", "IQR ms", "images/s", "TFLOP/s", "of peak", "peak memory",
            "predicted", "runs")
    out += _table(head, rows, set(range(2, 11)), paint)
    out += ["", *_fold(f"peak memory: {b.memory_measure}; predicted: the peak in nnarith's memory model (nnarith "
                       "memory): inference, weights + buffers + the activations alive at once; training, a step's "
                       "peak with SGD"),
            *_fold("TFLOP/s from nnarith's FLOPs (2 x MACs; training counts 3 x the forward)")]
    out += [line for n in b.notes for line in _note(visible(n), paint)]
    return "\n".join(out) + "\n"
