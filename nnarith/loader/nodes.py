"""The expanded network: a tree of layers, sequences, merges and auxiliary heads.

Blocks and `repeat` are already expanded here; every node has its final name. `expect`
holds the figures its `expect:` states (a validated mapping; see spec/expect.py), or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from nnarith.errors import Loc
from nnarith.layers.base import Layer


@dataclass
class Leaf:
    name: str
    layer: Layer
    loc: Loc
    expect: Any = None
    frozen: bool = False  # `frozen: true`: no weight gradient in it (analysis/backward.py)


@dataclass
class Seq:
    """Layers run one after another. `kind` is 'seq', 'branch' or the block's name."""

    name: str
    children: list[Node]
    loc: Loc
    kind: str = "seq"
    expect: Any = None
    frozen: bool = False  # `frozen: true`: no weight gradient in it (analysis/backward.py)


@dataclass
class Merge:
    """Parallel branches on one input, merged by `op`: one of layers/merge.py's MERGES."""

    name: str
    op: str
    branches: list[Seq]
    loc: Loc
    expect: Any = None
    frozen: bool = False  # `frozen: true`: no weight gradient in it (analysis/backward.py)


@dataclass
class Aux:
    """A training-only side head: it reads the current tensor; the main path goes on."""

    name: str
    body: Seq
    loc: Loc
    expect: Any = None
    frozen: bool = False  # `frozen: true`: no weight gradient in it (analysis/backward.py)


Node = Leaf | Seq | Merge | Aux


def children(node: Node) -> list[Node]:
    """The nodes directly inside one: a sequence's layers, a merge's branches, an aux head's body."""
    if isinstance(node, Seq):
        return list(node.children)
    if isinstance(node, Merge):
        return list(node.branches)
    if isinstance(node, Aux):
        return [node.body]
    return []


def leaves(node: Node) -> Iterator[Leaf]:
    """Every leaf under a node, in execution order."""
    if isinstance(node, Leaf):
        yield node
    for child in children(node):
        yield from leaves(child)


def named_leaves(node: Node, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Leaf]]:
    """Every leaf under a node with its full path, as the report names its rows: a leaf, sequence,
    merge, branch and aux head each add their name (the aux head's body does not repeat it)."""
    if isinstance(node, Leaf):
        yield path, node
    inner = [node.body.children] if isinstance(node, Aux) else [[c] for c in children(node)]
    for group in inner:
        for child in group:
            yield from named_leaves(child, path + (child.name,))


def map_leaves(node: Node, f: Callable[[Leaf], Leaf]) -> Node:
    """The same tree with every leaf replaced by f(leaf)."""
    if isinstance(node, Leaf):
        return f(node)
    if isinstance(node, Seq):
        return replace(node, children=[map_leaves(c, f) for c in node.children])
    if isinstance(node, Merge):
        return replace(node, branches=[map_leaves(b, f) for b in node.branches])
    return replace(node, body=map_leaves(node.body, f))


class Visitor:
    """One dispatch over the node types: `visit(node, ...)` calls the method named for the node's
    class (`leaf`, `seq`, `merge` or `aux`) with the same arguments. The walk, the torch builder
    and check's variants are visitors, so a new node type is one method in each."""

    def visit(self, node: Node, *args: Any) -> Any:
        return getattr(self, type(node).__name__.lower())(node, *args)


@dataclass
class Network:
    name: str
    input: tuple[int, ...]
    body: Seq
    file: str
    source: str | None = None
    expect: Any = None  # the top-level expect: the totals' figures
    layout: str = "map"  # of the input: see Shape in layers/base.py
    args: dict[str, int] = field(default_factory=dict)  # the spec arguments' values used, defaults and sets
    args_set: tuple[str, ...] = ()  # those of them set on the command line
