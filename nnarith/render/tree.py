"""The terminal table's rows as a tree, as torchinfo draws a module hierarchy.

Each block and each seq, add or concat container (a prefix of the rows' paths, as walk reports
them) is a row of its own, its figures the sum of the rows under it, and its children are
indented under it with guides (├─ └─ │). A merge's own row (the add or concat that joins the
branches) is its container's last child. At a depth d, containers d levels deep are collapsed:
one row, as `lines(rows, d)` gives them, so the tree's leaves are exactly the Markdown's lines.

A row's output and receptive field are those of its last layer; its memory is the sum of its
layers' (a container allocates what its layers allocate).
"""

from __future__ import annotations

from dataclasses import dataclass

from nnarith.analysis.report import Row
from nnarith.layers.merge import MERGES
from nnarith.render.lines import Depth, Line, flagged, noted

SCREEN = 60  # rows of a default table: ResNet-152's two levels (60), not its three (160)
INNER = {*MERGES, "branch"}  # the parts of a merge: not where a default depth stops


@dataclass(slots=True)
class Node:
    line: Line  # its figures: a layer's own, a container's summed
    path: tuple[str, ...]
    parent: int | None  # the index of its container in the tree's list
    container: bool = False  # its figures sum the rows printed under it
    collapsed: bool = False  # its figures sum the layers of a block collapsed into it
    guide: str = ""  # '│  ├─ ': the tree's guides in front of its name


def tree(rows: list[Row], depth: Depth = "all") -> list[Node]:
    """The rows to print, in order, for `depth` levels ('all': every layer)."""
    limit = 10**9 if depth == "all" or depth is None else depth
    out: list[Node] = []
    open_: list[int] = []  # the containers the current row is inside, outermost first
    for r in rows:
        p = r.path
        shown = p[:limit]
        while open_ and out[open_[-1]].path != p[:len(out[open_[-1]].path)]:
            open_.pop()
        for k in range(len(out[open_[-1]].path) + 1 if open_ else 1, len(shown)):  # containers it opens
            out.append(Node(Line(p[k - 1], r.kinds[k - 1], r.shape.dims), p[:k], open_[-1] if open_ else None, True))
            open_.append(len(out) - 1)
        last = out[-1] if out else None
        held = r.held
        if last is not None and not last.container and last.path == shown:
            node = last  # more of a collapsed block, or the merge that closes it
            _add(node.line, r, held)
        else:
            kind = r.kinds[len(shown) - 1] if len(shown) < len(p) else r.kind
            node = Node(Line(shown[-1], kind, r.shape.dims, r.counts, r.activations, held, r.storage, r.rf),
                        shown, open_[-1] if open_ else None, collapsed=len(shown) < len(p))
            out.append(node)
        if r.warnings:
            node.line.flags += flagged(r)
        if r.notes:
            node.line.notes += noted(r)
        for i in open_:
            _add(out[i].line, r, held)
    _guides(out)
    return out


def _add(line: Line, r: Row, held: int) -> None:
    """A row more under a line: its counts and memory added, its output and field the line's now."""
    line.storage = "new" if held or line.held else r.storage
    line.dims, line.rf, line.activations = r.shape.dims, r.rf, r.activations
    line.counts += r.counts
    line.held += held


def _guides(nodes: list[Node]) -> None:
    """'├─ ' before a child with siblings after it, '└─ ' before the last; '│  ' or '   ' for each
    container above whose own siblings continue (or not)."""
    last_child: dict[int | None, int] = {}
    for i, n in enumerate(nodes):
        last_child[n.parent] = i
    for i, n in enumerate(nodes):
        if n.parent is None:
            continue
        above = nodes[n.parent]
        stem = above.guide.replace("├─", "│ ").replace("└─", "  ")
        n.guide = stem + ("└─ " if last_child[n.parent] == i else "├─ ")


def rows_at(rows: list[Row], depth: int) -> int:
    """How many rows the tree of `depth` levels has: its containers, and its leaves (a merge's own
    row is a leaf apart from its container, unless the container is collapsed into one row)."""
    containers = {r.path[:k] for r in rows for k in range(1, min(len(r.path), depth))}
    leaves = {r.path[:depth] for r in rows}
    return len(containers) + len(leaves)


def default_depth(rows: list[Row]) -> Depth:
    """The deepest depth whose tree fits SCREEN rows, and whose collapsed rows are blocks rather than a
    merge or branch (in ResNet-50, bottleneck1 collapsed, not its add1, which says the same); at least
    1; 'all' where every layer fits, or where there is nothing to collapse."""
    deepest = max((len(r.path) for r in rows), default=1)
    if deepest == 1 or rows_at(rows, deepest) <= SCREEN:
        return "all"
    best = 1
    for d in range(1, deepest):
        if rows_at(rows, d) > SCREEN:
            break
        if not any(len(r.path) > d and r.kinds[d - 1] in INNER for r in rows):
            best = d
    return best
