"""The terminal table: the layers as a tree (blocks over their layers), a totals row, a legend,
and the definitions of the totals; fitted to a width and coloured by meaning.

Written by hand rather than with rich.Table, which takes about 0.8 s for 1,000 rows: cells are
padded here and painted after (nnarith.render.style), so escape codes never count as width.
Names from the spec pass through text.visible() first: a spec cannot send escape codes.
"""

from __future__ import annotations

from nnarith.analysis.backward import ratio_text
from nnarith.analysis.counts import COLUMNS
from nnarith.analysis.report import DTYPE_BYTES, Report, Totals
from nnarith.render import units
from nnarith.render.fit import wrap
from nnarith.render.grid import Cell, grid
from nnarith.render.lines import (
    NOTES_HEADING,
    TOTAL_NOTES,
    Depth,
    args_text,
    flags_and_notes,
    memory_text,
    number,
    rf_text,
    stored_note,
)
from nnarith.render.style import Painter, plain
from nnarith.render.tree import Node, default_depth, rows_at, tree
from nnarith.text import visible

HEAD = ("layer", "kind", "output", *(f.label for f in COLUMNS), "memory", "RF", "flags")
AUX_HEADING = "Training-only heads (left out of the totals above)"
FLAGS_HEADING = "Flags: sizes that do not divide (PyTorch rounds down, or up in ceil mode; errors with --strict)"


def render_table(report: Report, *, exact: bool = False, depth: Depth = None, explain: bool = False,
                 paint: Painter = plain, width: int | None = None) -> str:
    """depth: levels of the tree shown ('all': every layer; None: as many as fit a screen or two).
    width: the columns no line may exceed (None: no limit)."""
    shown = default_depth(report.rows) if depth is None else depth
    out = [*_title(report, paint, width), ""]
    nodes = tree(report.rows, shown)
    marks = _Marks()
    out += grid(_cells(report, nodes, report.totals, exact, marks, with_input=True), _head(exact), paint, width)
    out += _legend(marks, paint, width)
    every = rows_at(report.rows, max((len(r.path) for r in report.rows), default=1)) if depth is None else 0
    if every > len(nodes):  # the depth chosen here collapses blocks: say so, and how to see them
        out += wrap(f"Blocks deeper than {shown} level{'s' * (shown != 1)} are collapsed into sums: --depth all "
                    f"shows all {len(report.rows)} layers ({every} rows).".split(" "), width)
    out += ["", *_summary(report, report.totals, "Totals (inference)", paint, width)]
    if report.aux_rows:
        out += ["", *(paint(line, "heading") for line in wrap(AUX_HEADING.split(), width)), ""]
        out += grid(_cells(report, tree(report.aux_rows, shown), report.aux_totals, exact, marks, with_input=False),
                    _head(exact), paint, width)
        out += ["", *_summary(report, report.aux_totals, "Training-only totals", paint, width)]
    flags, notes = flags_and_notes(report)
    for sign, items, heading, meaning in (("!", flags, FLAGS_HEADING, "flag"),
                                          ("~", notes, f"Notes: {NOTES_HEADING}", "note")):
        if items:
            out += ["", *(paint(line, meaning) for line in wrap(heading.split(), width))]
            for i, item in enumerate(items, 1):
                mark = f"{sign}{i}"
                folded = wrap([mark, *visible(item).split()], width, "  ", " " * (len(mark) + 3))
                out += [folded[0].replace(mark, paint(mark, meaning), 1), *folded[1:]]
    if explain:
        from nnarith.render.explain import explain_text

        out += ["", *explain_text(report, width)]
    return "\n".join(out) + "\n"


def _title(report: Report, paint: Painter, width: int | None) -> list[str]:
    per = DTYPE_BYTES[report.dtype]
    out = [paint(line, "heading") for line in wrap(visible(report.name).split(), width, "", "  ")]
    if report.source:
        out += wrap(visible(report.source).split(), width, "", "  ")
    out += wrap(f"input {units.input_shape(report.input)}, batch {report.batch}, {report.dtype} "
                f"({units.counted(per, 'byte')} per element)".split(" "), width, "", "  ")
    if args := args_text(report):
        out += wrap(args.split(" "), width, "", "  ")
    return out


def _head(exact: bool) -> tuple[str, ...]:
    memory = HEAD.index("memory")
    return (*HEAD[:memory], "memory (bytes)", *HEAD[memory + 1:]) if exact else HEAD  # human units carry their own


class _Marks:
    """The flags' and notes' marks, numbered through the tables as the sections below list them."""

    def __init__(self) -> None:
        self.flags = self.notes = 0

    def of(self, node: Node) -> list[Cell]:
        out = []
        for _ in node.line.flags:
            self.flags += 1
            out.append((f"!{self.flags}", "flag"))
        for _ in node.line.notes:
            self.notes += 1
            out.append((f"~{self.notes}", "note"))
        return out


def _cells(report: Report, nodes: list[Node], totals: Totals, exact: bool, marks: _Marks,
           with_input: bool) -> list[list]:
    """The grid's rows: (name, guide, a sum of layers?), then each column's text; the flags column as marks."""
    rows: list[list] = []
    if with_input:
        mem = report.input_bytes
        rows.append([("input", "", False), "", units.shape(report.input.dims), *[""] * len(COLUMNS),
                     units.exact(mem) if exact else units.si_bytes(mem), "1/1" if report.input.rank else "whole", []])
    for node in nodes:
        line = node.line
        rows.append([(visible(line.name), node.guide, node.container or node.collapsed), visible(line.kind),
                     units.shape(line.dims),
                     *(number(f.of(line.counts), exact) for f in COLUMNS), memory_text(line, report, exact),
                     rf_text(line.rf), [] if node.container else marks.of(node)])
    mem = totals.memory_bytes
    rows.append([("total", "", False), "", "", *(number(f.of(totals.counts), exact) for f in COLUMNS),
                 units.exact(mem) if exact else units.si_bytes(mem), "", None])  # None: the totals row
    return rows


def _legend(marks: _Marks, paint: Painter, width: int | None) -> list[str]:
    text = ("RF size/stride: the receptive field of one output element in input pixels, and the stride "
            "between neighbouring outputs' fields")
    text += "; !n a flag below" * bool(marks.flags) + "; ~n a note below" * bool(marks.notes)
    return [paint(line, "guide") for line in wrap(f"{text}.".split(" "), width)]


def _summary(report: Report, t: Totals, title: str, paint: Painter, width: int | None) -> list[str]:
    """The totals defined, one figure a line; a line too long folds under its figure."""
    network = title.startswith("Totals")
    memory = units.byte_forms(t.memory_bytes)
    entries = [
        ("params", [f"{t.params:,}", f"= {units.counted(t.weights, 'weight')}",
                    f"+ {units.counted(t.biases, 'bias', 'biases')}"]),
        ("buffers", [f"{t.buffers:,}", *f"({TOTAL_NOTES['buffers']})".split()]),
        ("MACs", [*_both(t.macs), *f"({TOTAL_NOTES['MACs']})".split()]),
        ("FLOPs", [*_both(t.flops), *f"({TOTAL_NOTES['FLOPs']})".split()]),
        ("other ops", [f"{t.other_ops:,}", *f"({TOTAL_NOTES['other ops']})".split()]),
        ("memory", [f"{units.counted(t.activations, 'element')} per image", *["(input included)"] * network,
                    f"= {memory[0]}", *memory[1:], f"({report.dtype}, batch {report.batch})"]),
        ("param mem", [*units.byte_forms(report.stored_bytes(t.params)),
                       *f"({stored_note(report)})".split()]),
    ]
    if network:
        entries.append(("output", [units.shape(report.output.dims)]))
        entries.append(("depth", [f"{report.depth}", *"(layers with weights on the longest path, as papers count "
                                  "them)".split()]))
        if report.training:
            entries += training_entries(report)
    out = [paint(title, "heading")]
    for label, words in entries:
        out += wrap(words, width, f"  {label:<11}", " " * 13)
    return out


def training_entries(report: Report) -> list[tuple[str, list[str]]]:
    """shape --training's totals: the backward MACs, the step's beside 3 x forward, trainable params."""
    b, forward = report.backward, report.totals.macs
    step = forward + b.macs
    return [("backward", [*_both(b.macs), "MACs", f"= dX {b.dx:,}", f"+ dW {b.dw:,}"]),
            ("step", [*_both(step), "MACs", "(forward + backward):", *ratio_text(forward, step).split()]),
            ("trainable", [f"{b.trainable:,}", "params", "of", f"{report.totals.params:,}",
                           *"(those of frozen layers are not)".split()])]


def _both(n: int) -> list[str]:
    """'15,470,264,320 = 15.47 G', or just '400' where the two agree."""
    short = units.count(n)
    return [f"{n:,}"] if short == str(n) else [f"{n:,}", f"= {short}"]
