"""`solve`'s answer: the value found, the target, the figure achieved, the difference and what the search did;
as text, or JSON nnarith.solve/1."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from nnarith.analysis.figures import Figure
from nnarith.analysis.search import Found
from nnarith.render import units
from nnarith.render.compare import Item, ratio_json
from nnarith.render.fit import wrap
from nnarith.render.lines import args_json

SCHEMA = "nnarith.solve/1"


@dataclass
class Solved:
    item: Item  # the spec at the value found
    vary: str
    figure: Figure
    target: Fraction
    target_text: str  # as written, or the other spec's item
    target_from: str | None  # the other spec, for a target written @other.yaml
    found: Found
    step: int
    doubled: bool  # no --max: the upper end was found by doubling


def _number(f: Figure, n: int | Fraction, scaled: bool = True) -> str:
    """'36,712,876 (36.71 M)', '100,000 bytes = 100.00 kB = 97.66 KiB'; exact alone unless scaled."""
    if isinstance(n, Fraction) and n.denominator != 1:
        return f"{float(n):,.6g}"
    n = int(n)
    if f.bytes:
        return f"{n:,} bytes = {units.si_bytes(n)} = {units.iec_bytes(n)}" if n >= 1000 and scaled else f"{n:,} bytes"
    return f"{n:,}" + (f" ({units.count(n)})" if n >= 1000 and scaled else "")


def difference(s: Solved) -> tuple[Fraction, Fraction | None]:
    """achieved - target, and that over the target (None for a target of 0)."""
    d = s.found.achieved - s.target
    return d, (d / s.target if s.target else None)


def render_solve(s: Solved, width: int) -> str:
    f, found, r = s.figure, s.found, s.item.report
    others = ", ".join(f"{k}={v}" for k, v in r.args.items() if k != s.vary)
    d, rel = difference(s)
    sign = "+" if d >= 0 else "-"
    percent = None if rel is None else float(rel) * 100
    rel_text = "" if percent is None else f", {percent:+,.0f}% of the target" if abs(percent) >= 1000 else \
        f", {percent:+.3g}% of the target"
    target = _number(f, s.target) + (f": {s.target_from}'s" if s.target_from else "")
    head = f"{r.name} ({r.file}): {s.vary} = {found.value}" + (f", with {others}" if others else "")
    out = [*wrap(head.split(), width, "", "  "),
           *wrap([f.label, *target.split()], width, "  target    ", "            "),
           f"  achieved  {f.label} {_number(f, found.achieved)}",
           f"  off by    {sign}{_number(f, abs(d), scaled=False)}{rel_text}"]
    bounds = f"{s.vary} from {found.lo} to {found.hi}" + (" (the end found by doubling)" if s.doubled else "")
    bounds += f", multiples of {s.step}" if s.step > 1 else ""
    out += wrap(f"{bounds}, {_method(s)}".split(), width, "  searched  ", "            ")
    if not found.reached:
        side = "below" if found.achieved < s.target else "above"
        out += wrap(f"not reached: every {s.vary} searched gives {f.label} {side} the target; the closest is "
                    f"{s.vary} = {found.value}".split(), width, "  ", "    ")
    unit = f"{f.unit} at batch {r.batch}, {r.dtype}" if f.bytes else f.unit
    out += wrap(f"{f.label}: {unit}, {f.counts}".split(), width, "  ", "    ")
    return "\n".join(out) + "\n"


def _method(s: Solved) -> str:
    found = s.found
    if found.method == "every value":
        return f"every value ({found.evaluated} evaluated)"
    if found.method == "bisection":
        return (f"by bisection; the figure was monotonic at all {found.evaluated} values evaluated (the ends, "
                "samples between them and the answer's neighbours)")
    (a, fa), (b, fb), (c, fc) = found.broken or ((0, 0),) * 3
    turn = f"not monotonic ({s.vary} = {a}, {b}, {c} give {fa:,}, {fb:,}, {fc:,})"
    if found.whole:
        return f"every value, as the figure is {turn}"
    return (f"as the figure is {turn}, the best of the {found.evaluated} values evaluated: not every value, as the "
            f"range is too large; narrow --min and --max to search it whole")


def solve_json(s: Solved) -> dict:
    found = s.found
    d, rel = difference(s)
    target: int | float = int(s.target) if s.target.denominator == 1 else float(s.target)
    return {"schema": SCHEMA, "spec": s.item.report.file, "name": s.item.report.name,
            **args_json(s.item.report), "vary": s.vary, "value": found.value,
            "figure": s.figure.name, "unit": s.figure.unit, "target": target, "target_written": s.target_text,
            "target_from": s.target_from, "achieved": found.achieved,
            "difference": int(d) if d.denominator == 1 else float(d), "relative": ratio_json(rel),
            "reached": found.reached,
            "search": {"min": found.lo, "max": found.hi, "multiple_of": s.step, "max_by_doubling": s.doubled,
                       "method": found.method, "exact": found.whole, "evaluated": found.evaluated,
                       "not_monotonic": [list(p) for p in found.broken] if found.broken else None}}
