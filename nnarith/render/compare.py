"""`compare`'s networks side by side: table, Markdown, JSON nnarith.compare/1. Every figure is read through
analysis/figures.py from the items' reports (render/solve.py writes solve's answer).

The table has a row per figure and a column per network, lettered A, B, ... under a legend naming them, so that
long spec names and their values stay readable; each network after the first has its ratio to A beside it. Where
the networks do not fit the width side by side, the table is cut into several, each repeating A.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from nnarith.analysis import receptive
from nnarith.analysis.figures import FIGURES, Figure, Measured
from nnarith.render import units
from nnarith.render.fit import wrap
from nnarith.render.lines import args_json, args_text, lines, rf_text
from nnarith.render.style import Painter, plain
from nnarith.text import visible

if TYPE_CHECKING:
    from nnarith.analysis.report import Report

COMPARE_SCHEMA = "nnarith.compare/1"
SHOWN = ("params", "weights", "macs", "memory", "training_memory")  # the table's figures; JSON has them all
STAGE_FIGURES = ("params", "macs", "memory")
GAP = "  "


@dataclass
class Item:
    text: str  # as written on the command line: 'speech_dnn.yaml[hidden=1]'
    measured: Measured

    @property
    def report(self) -> Report:
        return self.measured.report


def letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"A{i}"


def ratio(value: int, first: int) -> Fraction | None:
    """value / first; None where the first is 0 (no ratio, not a zero)."""
    return Fraction(value, first) if first else None


def ratio_text(r: Fraction | None) -> str:
    if r is None:
        return "n/a"
    if r == 0:
        return "0x"
    places = min(6, max(0, 3 - math.floor(math.log10(r))))  # 4 significant digits: 0.9995x, 2.186x, 82.93x
    return f"{float(r):,.{places}f}x"


def ratio_json(r: Fraction | None) -> float | None:
    return None if r is None else round(float(r), 6)


def figure_text(f: Figure, n: int, exact: bool) -> str:
    if exact:
        return units.exact(n)
    return units.si_bytes(n) if f.bytes else units.count(n)


def field(item: Item) -> receptive.Field:
    """The receptive field of the last layer whose field is not the whole input (a classifier's, before its
    global pooling or fc: ResNet-50's 427/32); the whole input where every layer's is."""
    return next((r.rf for r in reversed(item.report.rows) if r.rf != receptive.WHOLE), receptive.WHOLE)


def stages(item: Item) -> dict[str, dict[str, int]]:
    """The top-level blocks (stages) of a network, by name: their params, MACs and memory (bytes)."""
    report = item.report
    groups = {r.path[0] for r in report.rows if len(r.path) > 1}
    return {line.name: {"params": line.counts.params, "macs": line.counts.macs, "memory": line.held * report.scale}
            for line in lines(report.rows, 1) if line.name in groups}


def shared_stages(items: list[Item]) -> list[tuple[str, list[dict[str, int]]]]:
    """Each stage with each network's figures, where the networks have the same stages (top-level blocks of the
    same names, in the same order: ResNet-18's and ResNet-50's layer1 to layer4); else none. Stages named alike
    in networks of different structure (the first of 5 repeated blocks, and the only one) would compare parts
    that do not correspond."""
    each = [stages(i) for i in items]
    if any(list(s) != list(each[0]) for s in each[1:]):
        return []
    return [(name, [s[name] for s in each]) for name in each[0]]


Row = tuple[str, list[str], list[str]]  # label, a cell per network, a ratio per network after the first


def _rows(items: list[Item], exact: bool) -> list[Row]:
    rows: list[Row] = []
    for name in SHOWN:
        f = FIGURES[name]
        values = [f.read(i.measured) for i in items]
        rows.append((f.label, [figure_text(f, v, exact) for v in values],
                     [ratio_text(ratio(v, values[0])) for v in values[1:]]))
    rows.append(("receptive field", [rf_text(field(i)) for i in items], ["" for _ in items[1:]]))
    depths = [i.report.depth for i in items]
    rows.append(("depth", [str(d) for d in depths], [ratio_text(ratio(d, depths[0])) for d in depths[1:]]))
    return rows


def _stage_rows(items: list[Item], exact: bool) -> list[Row]:
    rows: list[Row] = []
    for name, figures in shared_stages(items):
        for key in STAGE_FIGURES:
            f = FIGURES[key]
            values = [s[key] for s in figures]
            rows.append((f"{visible(name)} {f.label}", [figure_text(f, v, exact) for v in values],
                         [ratio_text(ratio(v, values[0])) for v in values[1:]]))
    return rows


def _grid(rows: list[Row], head: str, count: int, width: int, paint: Painter) -> list[str]:
    """The rows under a head of letters, cut into tables that fit the width, each repeating A."""
    label_w = max(len(head), *(len(r[0]) for r in rows))
    value_w = [max(1, *(len(r[1][i]) for r in rows)) for i in range(count)]
    ratio_w = [max(len(f"{letter(i)}/A"), *(len(r[2][i - 1]) for r in rows)) for i in range(1, count)]
    chunks: list[list[int]] = []
    used = label_w + len(GAP) + value_w[0]
    for i in range(1, count):
        more = 2 * len(GAP) + value_w[i] + ratio_w[i - 1]
        if not chunks or used + more > width:
            chunks.append([])
            used = label_w + len(GAP) + value_w[0]
        chunks[-1].append(i)
        used += more
    out: list[str] = []
    for others in chunks or [[]]:
        cells = [(head, label_w, False), ("A", value_w[0], True)]
        for i in others:
            cells += [(letter(i), value_w[i], True), (f"{letter(i)}/A", ratio_w[i - 1], True)]
        out += [_line([c for c, _, _ in cells], cells, paint, "heading"), paint(GAP.join("─" * w for _, w, _ in cells),
                                                                                "guide")]
        for label, values, ratios in rows:
            texts = [label, values[0]]
            for i in others:
                texts += [values[i], ratios[i - 1]]
            out.append(_line(texts, cells, paint, "name"))
        out.append("")
    return out


def _line(texts: list[str], cells: list[tuple[str, int, bool]], paint: Painter, meaning: str) -> str:
    parts = []
    for text, (_, w, right) in zip(texts, cells):
        fill = " " * (w - len(text))
        shown = paint(text, meaning) if meaning == "heading" else text
        parts.append(fill + shown if right else shown + fill)
    return GAP.join(parts).rstrip()


def _legend(items: list[Item], width: int) -> list[str]:
    out = []
    for i, item in enumerate(items):
        r = item.report
        args = args_text(r)
        words = [f"{item.text}:", *(f"{r.name}, input {units.input_shape(r.input)}" + (f"; {args}" if args else "")
                                    ).split()]
        out += wrap(words, width, f"{letter(i)}  ", "   ")
    return [visible(line) for line in out]  # painted output is made visible here, before colour goes in


def _conventions(items: list[Item], width: int) -> list[str]:
    r, optimizer = items[0].report, items[0].measured.optimizer
    text = (f"At batch {r.batch}, {r.dtype}. params = weights + biases; MACs exclude the bias; memory: bytes of the "
            f"input and every allocated layer output (shape's sum, not a peak); training memory: the peak of one "
            f"training step with {optimizer} by liveness; receptive field: size/stride at the last layer whose field "
            "is not the whole input; depth: layers "
            "with weights on the longest path. Ratios to A; n/a where A's figure is 0.")
    return wrap(text.split(), width)


def render_table(items: list[Item], *, exact: bool, width: int, paint: Painter = plain) -> str:
    count = len(items)
    out = [*_legend(items, width), ""]
    out += _grid(_rows(items, exact), "figure", count, width, paint)
    stage_rows = _stage_rows(items, exact)
    if stage_rows and count > 1:
        out += [paint("Per stage (the top-level blocks, the same in every network):", "heading")]
        out += _grid(stage_rows, "stage", count, width, paint)
    out += _conventions(items, width)
    return "\n".join(out) + "\n"


def render_markdown(items: list[Item], *, exact: bool) -> str:
    def table(rows: list[Row], head: str) -> list[str]:
        cols = ["A", *(c for i in range(1, len(items)) for c in (letter(i), f"{letter(i)}/A"))]
        out = [f"| {head} | " + " | ".join(cols) + " |", "|---|" + "--:|" * len(cols)]
        for label, values, ratios in rows:
            cells = [values[0], *(c for v, q in zip(values[1:], ratios) for c in (v, q))]
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        return out

    out = [f"- **{letter(i)}** `{item.text}`: {item.report.name}" for i, item in enumerate(items)]
    out += ["", *table(_rows(items, exact), "figure")]
    stage_rows = _stage_rows(items, exact)
    if stage_rows and len(items) > 1:
        out += ["", "Per stage (the top-level blocks, the same in every network):", "", *table(stage_rows, "stage")]
    out += ["", " ".join(_conventions(items, 10 ** 6))]
    return "\n".join(out) + "\n"


def compare_json(items: list[Item]) -> dict:
    first = items[0]
    totals = [{name: f.read(i.measured) for name, f in FIGURES.items()} for i in items]
    doc_items = []
    for item, t in zip(items, totals):
        r = item.report
        doc_items.append({
            "item": item.text, "spec": r.file, "name": r.name, **args_json(r),
            "input": list(r.input.dims), "totals": t, "receptive_field": receptive.describe(field(item)),
            "depth": r.depth,
            "ratios": {**{k: ratio_json(ratio(v, totals[0][k])) for k, v in t.items()},
                       "depth": ratio_json(ratio(r.depth, first.report.depth))},
        })
    doc_stages = [{"name": name, "figures": [
        {**s, "ratios": {k: ratio_json(ratio(v, figures[0][k])) for k, v in s.items()}} for s in figures]}
        for name, figures in shared_stages(items)]
    return {"schema": COMPARE_SCHEMA, "batch": first.report.batch, "dtype": first.report.dtype,
            "optimizer": first.measured.optimizer,
            "figures": {name: {"unit": f.unit, "counts": f.counts} for name, f in FIGURES.items()},
            "items": doc_items, "stages": doc_stages}


def render_json(doc: dict) -> str:
    """One key a line, and one item (a network, a stage) a line in the lists."""
    parts = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            text = "[\n  " + ",\n  ".join(json.dumps(v) for v in value) + "\n ]"
        else:
            text = json.dumps(value)
        parts.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
