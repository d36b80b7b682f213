"""Display lines shared by the table, Markdown and CSV renderers.

A line is one leaf row, or with --depth N one collapsed block: its counts summed, its
output and receptive field those of its last layer. A depth is a number of levels, or 'all'
(every layer; None means the same here, while the terminal table picks a depth for None).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnarith.analysis import receptive
from nnarith.analysis.counts import Counts, delegate_figures
from nnarith.analysis.report import Report, Row
from nnarith.layers.base import INPLACE, VIEW
from nnarith.render import units


@delegate_figures  # line.params, line.macs, ...: its counts'
@dataclass(slots=True)
class Line:
    name: str
    kind: str
    dims: tuple[int, ...]
    counts: Counts = Counts()  # the sum of its rows'
    activations: int = 0  # its last row's
    held: int = 0  # the sum of its rows'
    storage: str = "new"
    rf: receptive.Field = receptive.WHOLE
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layers: int = 1


Depth = int | str | None  # levels shown: a positive number, 'all', or None (not given)


def args_text(report: Report) -> str | None:
    """The spec arguments' values the report was computed with, and which were set: None for a spec without."""
    if not report.args:
        return None
    values = ", ".join(f"{k}={v}" for k, v in report.args.items())
    given = report.args_set
    if not given:
        return f"args {values} (the defaults)"
    if len(given) == len(report.args):
        return f"args {values} (all set)"
    return f"args {values} ({', '.join(given)} set; the others at their defaults)"


def args_json(report: Report) -> dict:
    """JSON's args and args_set, present when the spec declares arguments."""
    return {"args": dict(report.args), "args_set": list(report.args_set)} if report.args else {}


def lines(rows: list[Row], depth: Depth = None) -> list[Line]:
    if depth is None or depth == "all":
        return [
            Line(r.name, r.kind, r.shape.dims, r.counts, r.activations, r.held, r.storage, r.rf,
                 flagged(r) if r.warnings else [], noted(r) if r.notes else [])
            for r in rows
        ]
    out: list[Line] = []
    key: tuple[str, ...] | None = None
    for r in rows:
        group = r.path[:depth]
        if group == key:  # deeper inside the block of the line before, or its closing merge
            line = out[-1]
            line.layers += 1
            line.storage = "new" if r.held or line.held else r.storage
        elif len(r.path) > depth:  # the first layer of a block collapsed into one line
            line = Line(".".join(group), r.kinds[depth - 1], r.shape.dims, storage=r.storage)
            out.append(line)
        else:
            line = Line(r.name, r.kind, r.shape.dims, storage=r.storage)
            out.append(line)
        key = group
        line.dims, line.rf, line.activations = r.shape.dims, r.rf, r.activations
        line.counts += r.counts
        line.held += r.held
        line.flags += flagged(r)
        line.notes += noted(r)
    return out


def flagged(r: Row) -> list[str]:
    return [f"{r.name}: {w}" for w in r.warnings]


def noted(r: Row) -> list[str]:
    return [f"{r.name}: {n}" for n in r.notes]


def flags_and_notes(report: Report) -> tuple[list[str], list[str]]:
    """Every row's flags and notes, named as in the lines: the main rows', then the training-only heads'."""
    rows = report.rows + report.aux_rows
    return [f for r in rows for f in flagged(r)], [n for r in rows for n in noted(r)]


NOTES_HEADING = "worth knowing, nothing wrong (--strict accepts them)"  # each note says what it is about


def rf_text(rf: receptive.Field) -> str:
    """'212/32' (size/stride), per dimension where they differ; 'whole' or 'n/a'."""
    if rf == receptive.WHOLE:
        return "whole"
    if rf == receptive.UNDEFINED:
        return "n/a"
    d = receptive.describe(rf)
    size = d["size"][0] if len(set(d["size"])) == 1 else units.shape(tuple(d["size"]))
    stride = d["stride"][0] if len(set(d["stride"])) == 1 else units.shape(tuple(d["stride"]))
    return f"{size}/{stride}"


def memory_text(line: Line, report: Report, exact: bool) -> str:
    if line.storage == INPLACE and not line.held:
        return "in place"
    if line.storage == VIEW and not line.held:
        return "view"
    n = line.held * report.scale
    return units.exact(n) if exact else units.si_bytes(n)


def number(n: int, exact: bool) -> str:
    return units.exact(n) if exact else units.count(n)


# What each total counts, in the words the table's summary, the Markdown and the report page both give
TOTAL_NOTES = {
    "buffers": "non-trainable, as model.buffers() counts",
    "MACs": "conv, fc, attention, RNN multiply-accumulates; bias excluded",
    "FLOPs": "2 x MACs",
    "other ops": "bias adds, norms, activations, pooling, adds; not in MACs",
}


def stored_note(report: Report) -> str:
    return f"the params in {report.dtype}; not in memory"
