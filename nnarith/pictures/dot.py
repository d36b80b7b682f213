"""The graph as DOT text (Graphviz's language), and its rendering to SVG or PNG by Graphviz.

The DOT text needs nothing installed. Rendering needs the `graphviz` Python package and the `dot` program; both
are looked for only when a picture is asked for, and their absence is a message saying what to install.
"""

from __future__ import annotations

import html

from nnarith.analysis.counts import Counts
from nnarith.analysis.report import Report
from nnarith.errors import NnarithError
from nnarith.layers.base import Shape
from nnarith.loader.nodes import Network
from nnarith.pictures.graph import ALL, AUX, BLOCK, INPUT, LAYER, MERGE, SHORTCUT, Box, Cluster, Graph, build
from nnarith.render.units import count, exact, input_shape, shape
from nnarith.text import visible

FONT = "Helvetica,Arial,sans-serif"
# fill and outline by what a box stands for; weighted layers apart from those without parameters
_STYLE = {
    "weighted": 'fillcolor="#dce8f7", color="#4a72a8"',
    "plain": 'fillcolor="#f4f4f4", color="#8a8a8a"',
    BLOCK: 'fillcolor="#e3f1df", color="#4d8a41", peripheries=2',
    MERGE: 'shape=ellipse, style=filled, fillcolor="#fbf0cf", color="#b08a1e"',
    INPUT: 'shape=box, style=filled, fillcolor="#ffffff", color="#8a8a8a"',
}
_EDGES = {SHORTCUT: 'color="#2f8a4c", penwidth=1.6, tooltip="identity shortcut"', AUX: "style=dashed"}


class MissingGraphviz(NnarithError):
    """A picture was asked for, and Graphviz (the Python package or the dot program) is not there."""


def to_dot(graph: Graph, subtitle: str = "") -> str:
    """DOT text for the graph: top to bottom, a box per layer or folded block, an ellipse per merge."""
    title = _html(graph.title) + (f'<br/><font point-size="12">{_html(subtitle)}</font>' if subtitle else "")
    lines = [
        "digraph network {",  # the name is in the label and tooltip, which Graphviz reads with their escapes
        f'  graph [rankdir=TB, newrank=true, nodesep=0.3, ranksep=0.32, pad=0.25, fontname="{FONT}", '
        f"fontsize=18, labelloc=t, label=<{title}>, tooltip={_quoted(graph.title)}];",
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=13, margin="0.14,0.05"];',
        '  edge [color="#555555", arrowsize=0.7];',
    ]
    _members(graph.root, lines, "  ")
    for ids in graph.orders:  # a merge's branches left to right, in the spec's order
        lines.append(f"  {{rank=same; {' -> '.join(ids)} [style=invis];}}")
    for e in graph.edges:
        extra = _EDGES.get(e.kind)
        lines.append(f"  {e.tail} -> {e.head}" + (f" [{extra}]" if extra else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _members(cluster: Cluster, lines: list[str], indent: str) -> None:
    for m in cluster.members:
        if isinstance(m, Box):
            lines.append(f"{indent}{m.id} [{_box(m)}];")
            continue
        style = "rounded,dashed" if m.aux else "rounded"
        lines += [f"{indent}subgraph {m.id} {{",
                  f'{indent}  graph [label=<{_frame_label(m)}>, style="{style}", color="#9aa5b1", fontsize=13, '
                  f'labeljust=l, tooltip={_quoted(m.label + (f" ({m.note})" if m.note else ""))}];']
        _members(m, lines, indent + "  ")
        lines.append(f"{indent}}}")


def _frame_label(cluster: Cluster) -> str:
    note = f'<br align="left"/><font point-size="11">{_html(cluster.note)}</font>' if cluster.note else ""
    return f"<b>{_html(cluster.label)}</b>{note}"


def _box(box: Box) -> str:
    """A box's attributes: its label (name and kind, output, params), style and tooltip (the exact figures)."""
    copies = f" × {box.copies}" if box.copies > 1 else ""
    head = f"<b>{_html(box.label)}</b>" + (f" · {_html(box.kind)}" if box.role != INPUT else "") + copies
    each = " each" if box.copies > 1 else ""
    lines = [head, _html(input_shape(Shape(box.dims, box.kind)) if box.role == INPUT else shape(box.dims))]
    params = f"{count(box.counts.params)} params{each}"
    if box.role == BLOCK:  # three lines: what it folds, then its parameters
        lines[1] += f" · {box.layers:,} layer{'s' if box.layers != 1 else ''}{each}"
        lines.append(params)
    elif box.role == LAYER or box.counts.params:  # a merge has none, as a rule: then its shape alone
        lines[1] += f" · {params}"
    label = head + "".join(f'<br/><font point-size="11">{line}</font>' for line in lines[1:])
    role = box.role if box.role in (BLOCK, MERGE, INPUT) else "weighted" if box.counts.params else "plain"
    style = _STYLE[role] + (', style="rounded,filled,dashed"' if box.aux and role != MERGE else "")
    return f"label=<{label}>, {style}, tooltip={_quoted(_tooltip(box))}"


def _tooltip(box: Box) -> str:
    """The exact figures, for a pointer over the box in an SVG."""
    if box.role == INPUT:
        return f"input {input_shape(Shape(box.dims, box.kind))}"
    c: Counts = box.counts
    shown = box.names if box.copies <= 4 else [*box.names[:2], "...", box.names[-1]]  # Graphviz takes 16 KiB
    names = box.names[0] if box.copies == 1 else f"{box.copies:,} copies: {', '.join(shown)}"
    each = ", each" if box.copies > 1 else ""
    what = f"{box.layers:,} layers" if box.role == BLOCK else box.kind
    return (f"{names}\n{what}{each}: output {shape(box.dims)}, {exact(c.params)} params ({exact(c.weights)} weights"
            f" + {exact(c.biases)} biases), {exact(c.macs)} MACs (bias excluded)")


def _html(text: str) -> str:
    """Text inside an HTML-like label: control characters made visible, markup characters escaped."""
    return html.escape(visible(text), quote=True)


def _quoted(text: str) -> str:
    """A DOT double-quoted string: backslashes (Graphviz's escapes such as \\N), quotes and ampersands (Graphviz
    reads entities in it) escaped."""
    text = visible(text).replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def render(dot: str, format: str) -> bytes:
    """DOT text drawn by Graphviz's dot, as 'svg' or 'png' bytes."""
    try:
        import graphviz
    except ImportError:
        raise MissingGraphviz(f"drawing {format.upper()} needs the graphviz Python package: pip install "
                              "'nnarith[diagram]' (and the system's graphviz package for the dot program); "
                              "a .dot file needs neither") from None
    try:
        return graphviz.pipe("dot", format, dot.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound:
        raise MissingGraphviz(f"drawing {format.upper()} needs Graphviz's dot program, which is not on PATH: install "
                              "the system's graphviz package (apt-get install graphviz, brew install graphviz, "
                              "dnf install graphviz); a .dot file needs nothing") from None
    except graphviz.CalledProcessError as e:
        message = (e.stderr or b"").decode("utf-8", "replace").strip() or f"exit status {e.returncode}"
        raise NnarithError(f"Graphviz's dot failed: {visible(message)}") from None


def svg_document(dot: str) -> str:
    """The SVG of DOT text as an element to inline in HTML: no XML declaration, no DOCTYPE (an external DTD)."""
    text = render(dot, "svg").decode("utf-8")
    return text[text.index("<svg"):]


def diagram_dot(net: Network, report: Report, depth: int | str | None = None) -> tuple[str, Graph]:
    """The DOT text of a network's diagram at `depth` (None: the default folding; 'all': every layer), titled
    with the report's totals, and the graph it draws."""
    graph = build(net, report, depth)
    return to_dot(graph, subtitle(report, graph)), graph


def diagram_svg(net: Network, report: Report, depth: int | str | None = None) -> str:
    """The diagram as an SVG element for inlining in HTML (no external reference); needs Graphviz."""
    return svg_document(diagram_dot(net, report, depth)[0])


def subtitle(report: Report, graph: Graph) -> str:
    """The title's second line: the input, the totals, and what the depth folds."""
    t = report.totals
    parts = [f"input {input_shape(report.input)}", f"{count(t.params)} params",
             f"{count(t.macs)} MACs (bias excluded)"]
    if any(e.kind == SHORTCUT for e in graph.edges):
        parts.append("identity shortcuts in green")
    if report.aux_rows:
        parts.append(f"training-only heads (dashed) {count(report.aux_totals.params)} params more")
    if graph.depth < ALL:
        parts.append(f"blocks deeper than {graph.depth} level{'s' if graph.depth != 1 else ''} folded")
    return " · ".join(parts)
