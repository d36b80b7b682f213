"""The network as a graph to draw: boxes (a layer, a folded block, a merge), the edges between them, and the
clusters (expanded blocks, aux heads) that hold them.

The graph follows the expanded tree (loader/nodes.py); every figure on it is the report's (a folded block's are
the sums of its rows). Depth is the report's: a container whose dotted path is `depth` names long is folded
into one box, as `nnarith shape --depth` folds it into one row. Consecutive siblings of the same structure (the
same layers and arguments, reading and giving the same shapes) are drawn once, "x N". A branch that holds
nothing but identity layers is drawn as an edge, the shortcut of a residual add.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from nnarith.analysis.counts import Counts
from nnarith.analysis.report import Report, Row
from nnarith.layers.merge import MERGES
from nnarith.loader.nodes import Aux, Leaf, Merge, Network, Node, Seq

# a default diagram's size: at most RANKS boxes on its longest path (its height), BOXES in all. ResNet-50 draws
# its bottlenecks' branches, GoogLeNet its inception modules' (35 boxes high, 74 in all).
RANKS, BOXES = 45, 80
ALL = 10**9  # a depth deeper than any tree: every layer
LAYER, BLOCK, MERGE, INPUT = "layer", "block", "merge", "input"  # what a box stands for
DATA, SHORTCUT, AUX = "data", "shortcut", "aux"  # what an edge carries


@dataclass
class Box:
    id: str
    names: list[str]  # the dotted paths of the copies it stands for (one unless folded "x N")
    label: str  # the short name it is drawn with
    kind: str  # the layer's kind, the block's, or the merge's op
    dims: tuple[int, ...]  # the output shape
    counts: Counts  # of one copy: the layer's, or the sum of the block's rows
    layers: int = 1  # layers in one copy: the report's rows but the merges' (an add is not a layer)
    role: str = LAYER
    aux: bool = False  # in a training-only head

    @property
    def copies(self) -> int:
        return len(self.names)


@dataclass
class Cluster:
    """An expanded block or aux head: its boxes drawn inside a labelled frame."""

    id: str
    label: str
    note: str = ""  # under the label: "one copy's figures" for a run drawn once, "training only" for an aux head
    members: list[Box | Cluster] = field(default_factory=list)
    aux: bool = False


@dataclass
class Edge:
    tail: str
    head: str
    kind: str = DATA


@dataclass
class Graph:
    title: str
    root: Cluster  # unlabelled: the whole network
    edges: list[Edge]
    depth: int  # the depth drawn (ALL: every layer)
    boxes: list[Box] = field(default_factory=list)  # every box, in execution order
    orders: list[list[str]] = field(default_factory=list)  # boxes of one rank drawn left to right: a merge's branches

    @property
    def ranks(self) -> int:
        """Boxes on the longest path: the drawing's height, top to bottom."""
        rank = {b.id: 1 for b in self.boxes}
        for e in self.edges:  # in execution order: a tail is ranked before its heads
            rank[e.head] = max(rank[e.head], rank[e.tail] + 1)
        return max(rank.values())

    @property
    def fits(self) -> bool:
        return self.ranks <= RANKS and len(self.boxes) <= BOXES


def build(net: Network, report: Report, depth: int | str | None = None) -> Graph:
    """The graph of `net` at `depth` levels: None, the deepest within RANKS and BOXES (_default); 'all', every
    layer."""
    rows = {r.name: r for r in report.rows + report.aux_rows}
    signatures: dict[int, tuple] = {}
    if depth is None:
        return _default(net, report, rows, signatures)
    return _Builder(report, rows, ALL if depth == "all" else int(depth), signatures).graph(net)


def _default(net: Network, report: Report, rows: dict[str, Row], signatures: dict[int, tuple]) -> Graph:
    """The deepest depth within the budget whose folded boxes are blocks, not a merge alone (which says what the
    shallower depth says, under a worse name); at least 1."""
    best = _Builder(report, rows, ALL, signatures).graph(net)
    if best.fits:
        return best
    best = _Builder(report, rows, 1, signatures).graph(net)
    for d in range(2, max((len(r.path) for r in rows.values()), default=1)):
        graph = _Builder(report, rows, d, signatures).graph(net)
        if not graph.fits:
            break
        if not any(b.role == BLOCK and b.kind in MERGES for b in graph.boxes):
            best = graph
    return best


class _Builder:
    def __init__(self, report: Report, rows: dict[str, Row], depth: int, signatures: dict[int, tuple]) -> None:
        self.report, self.rows, self.depth = report, rows, depth
        self.signatures = signatures  # by id(node): the same at every depth, so shared between builders
        self.boxes: list[Box] = []
        self.edges: list[Edge] = []
        self.orders: list[list[str]] = []
        self.cluster_of: dict[str, str] = {}  # box id: the id of the cluster it is drawn in
        self.clusters = 0

    def graph(self, net: Network) -> Graph:
        root = Cluster("root", "")
        x = self.report.input  # its kind: its layout, which says how to write it (128 token ids)
        start = self.box(root, Box("", ["input"], "input", x.layout, x.dims, Counts(), 0, INPUT), [])
        self.children(net.body.children, (), [start], root, False)
        folded = any(b.role == BLOCK for b in self.boxes)  # else the depth folds nothing: every layer is drawn
        return Graph(net.name, root, self.edges, self.depth if folded else ALL, self.boxes, self.orders)

    def box(self, cluster: Cluster, box: Box, tails: list[tuple[str, str]]) -> tuple[str, str]:
        """Adds a box fed by `tails` ((id, edge kind) pairs); returns it as a tail."""
        box.id = f"n{len(self.boxes)}"
        self.boxes.append(box)
        cluster.members.append(box)
        self.cluster_of[box.id] = cluster.id
        self.edges += [Edge(t, box.id, AUX if box.aux else kind) for t, kind in tails]
        return box.id, DATA

    def children(self, nodes: list[Node], path: tuple[str, ...], tails: list[tuple[str, str]], cluster: Cluster,
                 aux: bool) -> list[tuple[str, str]]:
        """A sequence: runs of siblings of one structure are drawn once, for all their copies."""
        for _, run in groupby(nodes, key=lambda n: self.signature(n, path + (n.name,))):
            copies = list(run)
            tails = self.node(copies, path, tails, cluster, aux)
        return tails

    def node(self, copies: list[Node], path: tuple[str, ...], tails: list[tuple[str, str]], cluster: Cluster,
             aux: bool) -> list[tuple[str, str]]:
        first = copies[0]
        full = path + (first.name,)
        names = [".".join(path + (c.name,)) for c in copies]
        label = _run_label([c.name for c in copies])
        if isinstance(first, Leaf):
            row = self.rows[names[0]]
            return [self.box(cluster, Box("", names, label, row.kind, row.shape.dims, row.counts, 1, LAYER, aux),
                             tails)]
        if len(full) >= self.depth:
            under = self.rows_under(first, full)
            if isinstance(first, Seq) and first.kind == "branch" and len(under) == 1:  # the branch is that layer
                row = under[0]
                return [self.box(cluster, Box("", [row.name], row.path[-1], row.kind, row.shape.dims,
                                              row.counts, 1, LAYER, aux), tails)]
            kind = "aux" if isinstance(first, Aux) else first.op if isinstance(first, Merge) else first.kind
            total = sum((r.counts for r in under), Counts())
            layers = sum(r.kind not in MERGES for r in under)
            box = self.box(cluster, Box("", names, label, kind, under[-1].shape.dims, total, layers, BLOCK,
                                        aux or isinstance(first, Aux)), tails)
            return tails if isinstance(first, Aux) else [box]  # an aux head reads the tensor; the main path goes on
        if isinstance(first, Merge) and len(copies) == 1:
            return self.merge(first, names[0], first.name, full, tails, cluster, aux)
        # an expanded block, or a run of copies drawn once: a frame, and its boxes are the first copy's
        self.clusters += 1
        is_aux = isinstance(first, Aux)
        inner = Cluster(f"cluster_{self.clusters}", *_cluster_label(first, label, len(copies)), aux=is_aux)
        cluster.members.append(inner)
        if isinstance(first, Merge):
            return self.merge(first, names[0], first.name, full, tails, inner, aux)
        body = first.body.children if is_aux else first.children
        out = self.children(body, full, tails, inner, aux or is_aux)
        return tails if is_aux else out  # an aux head reads the tensor; the main path goes on

    def merge(self, node: Merge, name: str, label: str, full: tuple[str, ...], tails: list[tuple[str, str]],
              cluster: Cluster, aux: bool) -> list[tuple[str, str]]:
        ends: list[tuple[str, str]] = []
        heads: list[Box] = []  # each drawn branch's first box
        for branch in node.branches:
            inner = full + (branch.name,)
            before = len(self.boxes)
            if all(leaf.layer.kind == "identity" for leaf in _leaves(branch)):
                ends += [(t, SHORTCUT) for t, _ in tails]  # the input itself, drawn as an edge
            elif len(inner) >= self.depth:
                ends += self.node([branch], full, tails, cluster, aux)
            else:
                ends += self.children(branch.children, inner, tails, cluster, aux)
            heads += self.boxes[before:before + 1]
        if len(heads) > 1 and all(self.cluster_of[h.id] == cluster.id for h in heads):
            self.orders.append([h.id for h in heads])  # Graphviz would place them as it likes, or reversed
        row = self.rows[name]
        return [self.box(cluster, Box("", [name], label, row.kind, row.shape.dims, row.counts, 1, MERGE, aux), ends)]

    def rows_under(self, node: Node, full: tuple[str, ...]) -> list[Row]:
        """The report's rows of a node, in execution order, as walk.py names them."""
        if isinstance(node, Leaf):
            return [self.rows[".".join(full)]]
        if isinstance(node, Merge):
            under = [r for b in node.branches for r in self.rows_under(b, full + (b.name,))]
            return under + [self.rows[".".join(full)]]
        body = node.body.children if isinstance(node, Aux) else node.children
        return [r for c in body for r in self.rows_under(c, full + (c.name,))]

    def signature(self, node: Node, full: tuple[str, ...]) -> tuple:
        """What copies of a block share: its structure and arguments, and its rows' kinds and shapes."""
        key = id(node)
        if key not in self.signatures:
            rows = tuple((r.kind, r.input.dims if r.input else (), r.shape.dims) for r in self.rows_under(node, full))
            self.signatures[key] = (_structure(node), rows)
        return self.signatures[key]


def _structure(node: Node) -> tuple:
    if isinstance(node, Leaf):
        return ("leaf", node.layer.kind, repr(sorted(node.layer.args.items())))
    if isinstance(node, Merge):
        return ("merge", node.op, tuple(_structure(b) for b in node.branches))
    if isinstance(node, Aux):
        return ("aux", _structure(node.body))
    return ("seq", node.kind, tuple(_structure(c) for c in node.children))


def _leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    inner = node.branches if isinstance(node, Merge) else [node.body] if isinstance(node, Aux) else node.children
    return [leaf for child in inner for leaf in _leaves(child)]


def _run_label(names: list[str]) -> str:
    """'bottleneck2' alone; 'bottleneck2-3' for a run numbered in order, 'first..last' otherwise."""
    first, last = names[0], names[-1]
    if len(names) == 1:
        return first
    stem_first, stem_last = first.rstrip("0123456789"), last.rstrip("0123456789")
    if stem_first == stem_last and first != stem_first and last != stem_last:
        return f"{first}-{last[len(stem_last):]}"
    return f"{first}..{last}"


def _cluster_label(node: Seq | Merge | Aux, label: str, copies: int) -> tuple[str, str]:
    """A frame's label and the note under it."""
    if isinstance(node, Aux):
        return f"{label} · aux head", "training only"
    kind = node.op if isinstance(node, Merge) else node.kind
    return f"{label} · {kind}" + (f" × {copies}" if copies > 1 else ""), "one copy's figures" if copies > 1 else ""
