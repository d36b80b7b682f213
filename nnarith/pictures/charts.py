"""The data of `nnarith plot`'s charts, read from a Report: no drawing here, and no matplotlib.

The x axis is the network's positions: the input, then one per line of `shape --depth N` (render/lines.py's
grouping: a block deeper than N levels is one position, its figures the sum of its rows', its output and
receptive field its last row's). Every figure is the report's own, or the training memory model's
(analysis/liveness.py) for the bytes kept for backward; a position without a figure holds None, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from nnarith.analysis import liveness, receptive
from nnarith.analysis.report import Report, Row
from nnarith.layers.base import MAP
from nnarith.loader.nodes import Network
from nnarith.render import units
from nnarith.render.lines import Depth, Line, lines
from nnarith.render.tree import INNER, SCREEN

WHOLE_TEXT, UNDEFINED_TEXT = "whole", "n/a"  # as the table writes a field that is not one window


@dataclass(frozen=True)
class Position:
    """One place on the x axis: the input, a layer, or a block folded at the chart's depth."""

    name: str  # the line's name, as `shape --depth` lists it; 'input' for the input
    kind: str
    rows: tuple[Row, ...]  # the report's rows it sums (none for the input)


@dataclass(frozen=True)
class Series:
    """One figure at every position; None where there is none (the input's parameters, a field that is
    the whole input): marks then says why, where there is something to say ('whole', 'n/a')."""

    label: str
    values: tuple[int | None, ...]
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Charts:
    name: str
    input: str  # '3x224x224', '128 token ids'
    batch: int
    dtype: str
    depth: Depth  # the depth the positions are at: a number, or 'all'
    folded: bool  # some block is folded into one position
    positions: tuple[Position, ...]
    params: Series
    macs: Series
    memory: Series  # bytes
    saved: Series | None  # bytes; None without the network (the memory model needs its layers)
    saved_aux_bytes: int  # what training-only heads keep for backward, not on the chart's positions
    rf: tuple[Series, ...]  # one per spatial dimension, or one where every dimension is alike
    size: tuple[Series, ...]
    totals: dict[str, int]  # the report's totals of params, macs, memory (bytes): the shares' denominators

    def share(self, metric: str) -> tuple[float, ...]:
        """The cumulative share of a figure's total, at every position (0 to 1); a position without a
        figure adds nothing to it."""
        series = getattr(self, metric)
        total = self.totals[metric]
        running, out = 0, []
        for v in series.values:
            running += v or 0
            out.append(running / total if total else 0.0)
        return tuple(out)

    def has(self, metric: str) -> bool:
        """Whether the metric has anything to draw."""
        if metric == "saved":
            return self.saved is not None
        if metric in ("rf", "size"):
            return any(v is not None for s in getattr(self, metric) for v in s.values[1:])  # past the input
        return True


def charts(report: Report, net: Network | None = None, depth: Depth = None) -> Charts:
    """The chart data of `report` at `depth` levels (None: default_depth's; 'all': every layer). `net`, the
    network analysed, gives the bytes kept for backward."""
    shown = default_depth(report.rows) if depth is None else depth
    folded_lines = lines(report.rows, shown)
    level = 10**9 if shown == "all" else shown
    groups = [tuple(g) for _, g in groupby(report.rows, key=lambda r: r.path[:level])]
    assert len(groups) == len(folded_lines)  # lines() starts a line exactly where the path prefix changes
    kept = None if net is None else {s.name: s.bytes for s in liveness.training(net, report).layers}
    positions = (Position("input", "", ()),
                 *(Position(line.name, line.kind, rows) for line, rows in zip(folded_lines, groups)))
    return Charts(
        name=report.name,
        input=units.input_shape(report.input),
        batch=report.batch,
        dtype=report.dtype,
        depth=shown,
        folded=any(len(r.path) > level for r in report.rows),
        positions=positions,
        params=Series("parameters", (None, *(line.params for line in folded_lines))),
        macs=Series("MACs", (None, *(line.macs for line in folded_lines))),
        memory=Series("activation memory", (report.input_bytes,
                                             *(line.held * report.scale for line in folded_lines))),
        saved=None if kept is None else Series("kept for backward",
                                               (None, *(sum(kept[r.name] for r in rows) for rows in groups))),
        saved_aux_bytes=sum(kept[r.name] for r in report.aux_rows) if kept else 0,
        rf=_fields(report, folded_lines),
        size=_sizes(report, groups),
        totals={"params": report.totals.params, "macs": report.totals.macs, "memory": report.totals.memory_bytes},
    )


def default_depth(rows: list[Row]) -> Depth:
    """'all' where every layer fits a screen (SCREEN positions, as the table's rows); else, as the table picks
    its depth, the deepest whose positions fit and whose folded blocks are blocks rather than a merge's parts.
    Positions, not rows: a chart has no row for a container, so U-Net's nested merges fit whole."""
    if len(rows) <= SCREEN:
        return "all"
    best = 1
    for d in range(1, max(len(r.path) for r in rows)):
        if len(lines(rows, d)) > SCREEN:
            break
        if not any(len(r.path) > d and r.kinds[d - 1] in INNER for r in rows):
            best = d
    return best


def axis_names(rank: int) -> tuple[str, ...]:
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(rank, tuple(f"d{i}" for i in range(rank)))


def _per_axis(label: str, values: list[tuple[int, ...] | None], marks: list[str]) -> tuple[Series, ...]:
    """One series per axis, or one where every position's sizes are alike on all axes ('H = W')."""
    rank = max((len(v) for v in values if v is not None), default=0)
    if rank == 0:
        return (Series(label, tuple(None for _ in values), tuple(marks)),)
    names = axis_names(rank)
    if all(v is None or len(set(v)) == 1 for v in values):
        return (Series(f"{label}, {' = '.join(names)}" if rank > 1 else label,
                       tuple(None if v is None else v[0] for v in values), tuple(marks)),)
    return tuple(Series(f"{label}, {name}", tuple(None if v is None or len(v) <= i else v[i] for v in values),
                        tuple(marks)) for i, name in enumerate(names))


def _fields(report: Report, folded_lines: list[Line]) -> tuple[Series, ...]:
    fields = [receptive.start(report.input.rank), *(line.rf for line in folded_lines)]
    sizes = [None if isinstance(f, str) else tuple(receptive.size(f)) for f in fields]
    marks = [WHOLE_TEXT if f == receptive.WHOLE else UNDEFINED_TEXT if f == receptive.UNDEFINED else ""
             for f in fields]
    if report.input.rank == 0:  # the input's own field is 'whole' by convention: nothing to say there
        marks[0] = ""
    return _per_axis("receptive field", sizes, marks)


def _sizes(report: Report, groups: list[tuple[Row, ...]]) -> tuple[Series, ...]:
    shapes = [report.input, *(rows[-1].shape for rows in groups)]
    sizes = [s.dims[1:] if s.layout == MAP and s.rank else None for s in shapes]
    return _per_axis("output size", sizes, [s.layout if v is None else "" for s, v in zip(shapes, sizes)])
