"""The report page's layer tables: shape's tree (blocks over their layers, summed where --depth collapses them),
each figure shown short with its exact value in a tooltip, and kept exact in data-v, which the page's script sorts.

A figure's data-v is its integer's digits (they pass 2^53, so the script compares digits, not floats); a cell
without data-v has no value to sort by (an undefined receptive field) and stays last.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from nnarith.analysis import receptive
from nnarith.analysis.counts import COLUMNS
from nnarith.analysis.report import Report, Row, Totals
from nnarith.render import units
from nnarith.render.lines import Depth, memory_text, number, rf_text
from nnarith.render.tree import Node, tree
from nnarith.text import visible

# (label, how it sorts, class of its cells); the script reads the sort type from the header
HEAD = (("#", "order", "order"), ("layer", "text", "name"), ("kind", "text", "kind"), ("output", "number", "shape"),
        *((f.label, "number", "num") for f in COLUMNS), ("memory", "number", "num"), ("RF", "number", "num"),
        ("flags", "", "marks"))


def esc(text: str) -> str:
    """A name or text from the spec as HTML text: control characters shown escaped, then <, >, & and quotes."""
    return html.escape(visible(text), quote=True)


@dataclass
class Marks:
    """The flags' and notes' marks, numbered through the tables as the lists under them number them."""

    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def of(self, node: Node) -> str:
        out = []
        for items, sign, meaning, text in ((self.flags, "!", "flag", node.line.flags),
                                           (self.notes, "~", "note", node.line.notes)):
            for item in text:
                items.append(item)
                out.append(f'<a class="{meaning}" href="#{meaning}{len(items)}">{sign}{len(items)}</a>')
        return " ".join(out)


def working_groups(rows: list[Row], depth: Depth, first: int) -> list[tuple[tuple[str, ...], list[tuple[int, Row]]]]:
    """The rows as the table's lines group them at `depth` (a layer alone, or the layers of a collapsed block),
    each row with its working's number: the page's w{n}, and g{n} for a block's group, n its first layer's."""
    limit = None if depth in (None, "all") else depth
    out: list[tuple[tuple[str, ...], list[tuple[int, Row]]]] = []
    for i, r in enumerate(rows, first):
        key = r.path[:limit]
        if out and out[-1][0] == key:
            out[-1][1].append((i, r))
        else:
            out.append((key, [(i, r)]))
    return out


def layer_table(report: Report, rows: list[Row], totals: Totals, depth: Depth, *, exact: bool, marks: Marks,
                first: int, with_input: bool) -> str:
    """The table of `rows` at `depth` levels, its totals in the foot. first: the number of rows[0]'s working."""
    ids = {key: f"g{group[0][0]}" if len(key) < len(group[0][1].path) else f"w{group[0][0]}"
           for key, group in working_groups(rows, depth, first)}
    body = [_input_row(report, exact)] if with_input else []
    for order, node in enumerate(tree(rows, depth), 1):
        body.append(_row(report, node, order, exact, marks, None if node.container else ids[node.path]))
    mem = totals.memory_bytes
    foot = ['<td></td><td class="name">total</td><td></td><td></td>',
            *(_number(f.of(totals.counts), exact) for f in COLUMNS),
            _cell(units.exact(mem) if exact else units.si_bytes(mem), mem, units.exact(mem) + " bytes"), "<td></td>",
            "<td></td>"]
    head = "".join(f'<th class="{css}" data-type="{kind}" scope="col">' + (f"<button>{label}</button>" if kind else
                   label) + "</th>" for label, kind, css in HEAD)
    return ('<div class="scroll"><table class="layers sortable">'
            f"<thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody>"
            f'<tfoot><tr>{"".join(foot)}</tr></tfoot></table></div>')


def _cell(text: str, value: int | str | None, title: str = "", css: str = "num") -> str:
    v = "" if value is None else f' data-v="{value}"'
    t = f' title="{title}"' if title and title != text else ""
    return f'<td class="{css}"{v}{t}>{text}</td>'


def _number(n: int, exact: bool) -> str:
    return _cell(number(n, exact), n, units.exact(n))


def _input_row(report: Report, exact: bool) -> str:
    mem = report.input_bytes
    dims = report.input.dims
    return ('<tr class="input"><td class="order" data-v="0">0</td><td class="name" data-v="input">input</td>'
            '<td class="kind" data-v=""></td>' + _cell(units.shape(dims), math.prod(dims), css="shape")
            + "<td></td>" * len(COLUMNS)
            + _cell(units.exact(mem) if exact else units.si_bytes(mem), mem, units.exact(mem) + " bytes")
            + _cell("1/1" if report.input.rank else "whole", 1 if report.input.rank else "whole")
            + "<td></td></tr>")


def _row(report: Report, node: Node, order: int, exact: bool, marks: Marks, working: str | None) -> str:
    line = node.line
    full = ".".join(node.path)
    short, dotted = esc(line.name), esc(full)
    if working is not None:  # a layer, or a collapsed block: its (first) layer's working
        short, dotted = (f'<a href="#{working}" title="its working">{t}</a>' for t in (short, dotted))
    name = (f'<td class="name" data-v="{esc(full)}"><span class="guide">{esc(node.guide)}</span>'
            f'<span class="short">{short}</span><span class="full">{dotted}</span></td>')
    held = line.held * report.scale
    memory = memory_text(line, report, exact)
    cells = [f'<td class="order" data-v="{order}">{order}</td>', name,
             _cell(esc(line.kind), esc(line.kind), css="kind"),
             _cell(units.shape(line.dims), math.prod(line.dims), css="shape"),
             *(_number(f.of(line.counts), exact) for f in COLUMNS),
             _cell(memory, held, "" if memory in ("in place", "view") else units.exact(held) + " bytes"),
             _cell(rf_text(line.rf), _rf_value(line.rf)),
             f'<td class="marks">{"" if node.container else marks.of(node)}</td>']
    css = ' class="sum"' if node.container else ""
    return f"<tr{css}>{''.join(cells)}</tr>"


def _rf_value(rf: receptive.Field) -> int | str | None:
    """What the RF column sorts by: the field's area in input pixels; 'whole' past every window; None (last,
    unsorted) where the field is not one fixed window."""
    if rf == receptive.WHOLE:
        return "whole"
    sizes = receptive.size(rf)
    return None if sizes is None else math.prod(sizes)
