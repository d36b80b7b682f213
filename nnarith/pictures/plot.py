"""`nnarith plot`'s drawing: the charts of charts.py with matplotlib, the only module that imports it.

matplotlib's Figure is used without pyplot (no GUI backend is looked for, and the import is lighter); PNG goes
through the Agg canvas, SVG and PDF through matplotlib's own writers. The x axis is shared: one position per
layer, or per block folded at the chart's depth, names on the bottom chart only, thinned where they would
overlap. Every number drawn is the report's, scaled to a named prefix (K = 10^3, MB = 10^6 bytes).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

import matplotlib
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from nnarith.analysis.report import DTYPE_BYTES, Report
from nnarith.loader.nodes import Network
from nnarith.pictures.charts import Charts, Series, charts
from nnarith.pictures.metrics import METRICS
from nnarith.render import units
from nnarith.render.lines import Depth

FORMATS = ("png", "svg", "pdf")
PANEL_HEIGHT = 2.4  # inches
LABEL_PITCH = 0.17  # inches between two names on the x axis (9 pt text, turned upright)
LEFT, RIGHT, TOP, GAP = 1.15, 0.25, 0.95, 0.55  # inches: the y axes' labels, the title, between two charts
MARGINS = LEFT + RIGHT
YLABEL = 0.62  # inches from the y axis to the middle of its label, left of its tick labels
NAME_LIMIT = 28  # characters of a position's name shown; a longer one keeps its first and last parts
DPI = 110
SVG_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}  # no date: the same spec, the same file
STYLE = {"font.size": 10, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 9, "ytick.labelsize": 9,
         "legend.fontsize": 9, "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "nnarith",
         "svg.fonttype": "path",
         "axes.titley": 1.0, "axes.titlepad": 6}  # a title at a fixed height: its automatic place measures every tick
COLOURS = {"params": "#3b6ea8", "macs": "#d9822b", "memory": "#4c9a5b", "saved": "#b5475a", "rf": "#6b4fa0",
           "size": "#7a7a7a"}
# what a prefix scales, per figure: counts K/M/G, bytes kB/MB/GB (decimal, as the table writes them)
_COUNT_PREFIXES = ((1, ""), (10**3, "K"), (10**6, "M"), (10**9, "G"), (10**12, "T"), (10**15, "P"))
_BYTE_PREFIXES = ((1, "bytes"), (10**3, "kB"), (10**6, "MB"), (10**9, "GB"), (10**12, "TB"), (10**15, "PB"))


def panels(metrics: Sequence[str]) -> list[tuple[str, ...]]:
    """The charts, in METRICS' order: memory and saved share one (both bytes per layer), as rf and size do."""
    chosen = [m for m in METRICS if m in metrics]
    out: list[tuple[str, ...]] = []
    for m in chosen:
        pair = {"saved": "memory", "size": "rf"}.get(m)
        if pair in chosen:
            out[-1] += (m,)
        else:
            out.append((m,))
    return out


def figure(data: Charts, metrics: Sequence[str]) -> Figure:
    """The figure of the chosen metrics (those with nothing to draw are left out). Laid out by hand, in inches:
    matplotlib's constrained layout measures every tick label, seconds for a network of 500 layers."""
    chosen = [m for m in metrics if data.has(m)]
    if not chosen:
        raise ValueError(f"nothing to draw for {', '.join(metrics)} (saved needs the network; rf and size a layer "
                         "with a field of one window, or a map)")
    groups = panels(chosen)
    n = len(data.positions)
    width = min(max(4.0 + 0.2 * n, 10.0), 26.0)
    names = [_short(p.name) for p in data.positions]
    label_room = 0.3 + 0.09 * max(len(s) for s in names)  # inches under the bottom chart for upright names
    height = TOP + PANEL_HEIGHT * len(groups) + label_room
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=LEFT / width, right=1 - RIGHT / width, top=1 - TOP / height,
                        bottom=label_room / height, hspace=GAP / (PANEL_HEIGHT - GAP))
    axes = fig.subplots(len(groups), 1, squeeze=False)[:, 0]
    for ax, group in zip(axes, groups):
        _DRAW[group[0]](ax, data, group)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_xticks([])
    every = max(1, math.ceil(LABEL_PITCH / _pitch(axes[-1], n)))
    axes[-1].set_xticks(range(0, n, every), names[::every], rotation=90)
    for ax in axes:  # aligned, at a fixed distance: matplotlib's own placement measures every tick label
        ax.yaxis.set_label_coords(-YLABEL / (width - MARGINS), 0.5)
    fig.suptitle(_title(data), fontsize=11, y=1 - 0.12 / height, va="top")
    return fig


def write(data: Charts, metrics: Sequence[str], path: str, format: str) -> None:
    assert format in FORMATS, format
    with matplotlib.rc_context(STYLE):
        fig = figure(data, metrics)
        if format == "png":
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig).print_png(path, metadata={"Software": None})
        else:
            fig.savefig(path, format=format, metadata=SVG_METADATA if format == "svg"
                        else {"Creator": None, "Producer": None, "CreationDate": None})


def figure_svg(report: Report, metrics: Sequence[str] | None = None, depth: Depth = None, *,
               net: Network | None = None, prefix: str = "nnarith-chart-") -> str:
    """The charts as one <svg> element, to inline in an HTML page: fonts drawn as paths, no external reference
    (the XML declaration and DOCTYPE are dropped), its ids prefixed with `prefix` and its style sheet scoped to
    the element (class `prefix` less its dash), so that neither touches the rest of the page. metrics: METRICS'
    names (None: every one with data; 'saved' needs `net`, the network analysed); depth as `plot --depth`."""
    data = charts(report, net, depth)
    chosen = list(METRICS) if metrics is None else list(metrics)
    out = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure(data, chosen).savefig(out, format="svg", metadata=SVG_METADATA)
    text = out.getvalue()
    text = text[text.index("<svg"):]
    scope = prefix.rstrip("-")
    text = text.replace("<svg ", f'<svg class="{scope}" ', 1).replace("*{", f"svg.{scope} *{{", 1)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m[1]}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})", text)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m[1]}"', text)


def _title(data: Charts) -> str:
    where = ("per layer" if not data.folded else
             f"per block, {data.depth} level{'s' if data.depth != 1 else ''} deep (--depth all for every layer)")
    return (f"{data.name}: {where}\ninput {data.input}, batch {data.batch}, {data.dtype} "
            f"({DTYPE_BYTES[data.dtype]} bytes per element)")


def _short(name: str) -> str:
    """A dotted name of at most NAME_LIMIT characters: its first parts and its last, the middle elided."""
    if len(name) <= NAME_LIMIT:
        return name
    *parts, last = name.split(".")
    for keep in range(len(parts) - 1, 0, -1):
        short = ".".join(parts[:keep]) + "…" + last
        if len(short) <= NAME_LIMIT:
            return short
    return name[:NAME_LIMIT - 1] + "…"


def _prefix(most: float, prefixes: tuple[tuple[int, str], ...]) -> tuple[int, str]:
    """The largest prefix not above the axis' largest value."""
    chosen = prefixes[0]
    for p in prefixes:
        if most >= p[0]:
            chosen = p
    return chosen


def _bars(ax, values: Sequence[int | None], colour: str, offset: float = 0.0, width: float = 0.8,
          label: str | None = None, scale: int = 1) -> None:
    """Bars as one collection of rectangles: ax.bar makes an artist per bar, slow for hundreds of layers."""
    bars = [(i + offset - width / 2, v / scale) for i, v in enumerate(values) if v is not None]
    ax.add_collection(PolyCollection([[(x, 0), (x, h), (x + width, h), (x + width, 0)] for x, h in bars],
                                     facecolors=colour, edgecolors="none", label=label))
    ax.autoscale_view()
    ax.set_ylim(bottom=0)


def _count_panel(ax, data: Charts, metric: str, what: str, unit: str) -> None:
    series: Series = getattr(data, metric)
    total = data.totals[metric]
    scale, prefix = _prefix(max((v for v in series.values if v), default=0), _COUNT_PREFIXES)
    _bars(ax, series.values, COLOURS[metric], scale=scale)
    ax.set_ylabel(f"{what}\n({prefix} = 10^{round(math.log10(scale))})" if scale > 1 else what)
    ax.set_title(f"{what} {_per(data)}: {units.count(total)} in all ({unit})", loc="left")
    _shares(ax, series.values, total, scale)


def _params(ax, data: Charts, group: tuple[str, ...]) -> None:
    _count_panel(ax, data, "params", "parameters", "weights + biases")


def _macs(ax, data: Charts, group: tuple[str, ...]) -> None:
    _count_panel(ax, data, "macs", "MACs", "multiply-accumulates, bias excluded; FLOPs = 2 x MACs")


def _shares(ax, values: Sequence[int | None], total: int, scale: int, top: int = 4, most: int = 12,
            least: float = 0.025) -> None:
    """The share of the total above the bars that hold the most: the largest values (at least 2.5% of the total
    each), 4 of them or more where bars tie, a tie labelled on all its bars or none (12 at most), upright where two
    of them are too close for their text to stand side by side."""
    if not total:
        return
    biggest: list[tuple[int, int]] = []
    for value in sorted({v for v in values if v and v / total >= least}, reverse=True):
        tied = [(v, i) for i, v in enumerate(values) if v == value]
        if len(biggest) >= top or len(biggest) + len(tied) > most:
            break
        biggest += tied
    if not biggest:
        return
    texts = {i: f"{100 * v / total:.1f}%" for v, i in biggest}
    at = sorted(texts)
    pitch = _pitch(ax, len(values)) * min((b - a for a, b in zip(at, at[1:])), default=len(values))
    upright = pitch < 0.07 * max(len(t) for t in texts.values()) + 0.05  # inches: 8.5 pt digits side by side
    for v, i in biggest:
        ax.annotate(texts[i], (i, v / scale), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8.5, rotation=90 if upright else 0)
    ax.set_ylim(top=max(v for v, _ in biggest) / scale * (1.3 if upright else 1.15))


def _pitch(ax, positions: int) -> float:
    """Inches between two positions on the x axis: the figure's width, less its margins, over the positions."""
    return (ax.get_figure().get_figwidth() - MARGINS) / positions


def _memory(ax, data: Charts, group: tuple[str, ...]) -> None:
    both = "saved" in group and data.saved is not None
    shown = [data.memory] if "memory" in group else []
    if "saved" in group and data.saved is not None:
        shown.append(data.saved)
    most = max((v for s in shown for v in s.values if v), default=0)
    scale, prefix = _prefix(most, _BYTE_PREFIXES)
    width = 0.4 if both else 0.8
    if "memory" in group:
        _bars(ax, data.memory.values, COLOURS["memory"], -0.2 if both else 0, width, scale=scale,
              label=f"activation memory (each layer's new output): {units.si_bytes(data.totals['memory'])} in all")
    if data.saved is not None and "saved" in group:
        kept = sum(v for v in data.saved.values if v)
        aux = f", training-only heads' {units.si_bytes(data.saved_aux_bytes)} not drawn" if data.saved_aux_bytes \
            else ""
        _bars(ax, data.saved.values, COLOURS["saved"], 0.2 if both else 0, width, scale=scale,
              label=f"kept for backward (one training step): {units.si_bytes(kept)} in all{aux}")
    ax.set_ylabel("memory\n(bytes)" if scale == 1 else f"memory\n({prefix} = 10^{round(math.log10(scale))} bytes)")
    ax.set_title(f"memory {_per(data)}, batch {data.batch}, {data.dtype}", loc="left")
    ax.set_ylim(top=most / scale * (1.25 + 0.2 * both))  # room for the legend above the bars
    ax.legend(loc="upper right", frameon=False)


def _share(ax, data: Charts, group: tuple[str, ...]) -> None:
    xs = range(len(data.positions))
    params, cum = data.params.values, data.share("params")
    # where the largest parameter step starts, and what it and the rest hold: VGG-16's fc6 to fc8 hold 89.4%
    step = max(range(1, len(params)), key=lambda k: params[k] or 0) if data.totals["params"] else None
    if step is not None and cum[step - 1] < 0.005:  # 'the first layer to the output: 100%' says nothing
        step = None
    rest = "" if step is None else (f" ({_short(data.positions[step].name)} to the output: "
                                    f"{100 * (1 - cum[step - 1]):.1f}%)")
    for metric, label in (("params", "parameters" + rest), ("macs", "MACs"), ("memory", "activation memory")):
        ax.plot(xs, [100 * s for s in data.share(metric)], color=COLOURS[metric], label=label, linewidth=1.8,
                marker="o" if len(xs) <= 60 else None, markersize=3, zorder=3 if metric == "params" else 2)
    if step is not None:
        ax.axvline(step - 0.5, color=COLOURS["params"], linewidth=0.9, linestyle=":")
    ax.set_ylim(0, 105)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel("cumulative share\n(% of the total)")
    ax.set_title("cumulative share, from the input to each position (the total is 100%)", loc="left")
    ax.legend(loc="best", frameon=False)


def _fields(ax, data: Charts, group: tuple[str, ...]) -> None:
    xs = range(len(data.positions))
    drawn = []
    if "rf" in group:
        drawn += [(s, COLOURS["rf"], "-") for s in data.rf]
    if "size" in group:
        drawn += [(s, COLOURS["size"], "--") for s in data.size]
    for k, (s, colour, line) in enumerate(drawn):
        values = [math.nan if v is None else v for v in s.values]
        ax.plot(xs, values, line, color=colour, label=s.label, linewidth=1.8, marker="o" if len(xs) <= 60 else None,
                markersize=3, alpha=1 - 0.25 * (k % 2))
    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_formatter(ScalarFormatter())
    if any(v is not None for s, _, _ in drawn for v in s.values):
        ax.legend(loc="best", frameon=False)
    _spans(ax, data)
    ax.set_ylabel("size\n(log scale)")
    ax.set_title("receptive field (input pixels) and output size (positions of the layer's output)"
                 if len(group) == 2 else "receptive field (input pixels)" if group == ("rf",) else
                 "output size (positions of the layer's output)", loc="left")


def _spans(ax, data: Charts) -> None:
    """Shade the runs of positions whose field is not one window: the whole input, or n/a."""
    marks = data.rf[0].marks
    i = 0
    while i < len(marks):
        j = i
        while j + 1 < len(marks) and marks[j + 1] == marks[i]:
            j += 1
        if marks[i]:
            shade = "#eeeeee" if marks[i] == "whole" else "#f6e8d0"
            ax.axvspan(i - 0.5, j + 0.5, color=shade, zorder=0)
            text = "field: the whole input" if marks[i] == "whole" else "field: not one window (n/a)"
            ax.text((i + j) / 2, 0.5, text, transform=ax.get_xaxis_transform(), ha="center", va="center",
                    fontsize=8.5, color="#555555", rotation=0 if j - i >= 6 else 90, zorder=3,
                    bbox={"facecolor": shade, "edgecolor": "none", "alpha": 0.9, "pad": 2})
        i = j + 1


def _per(data: Charts) -> str:
    return "per block" if data.folded else "per layer"


_DRAW = {"params": _params, "macs": _macs, "memory": _memory, "saved": _memory, "share": _share, "rf": _fields,
         "size": _fields}
