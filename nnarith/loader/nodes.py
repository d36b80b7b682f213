"""The expanded network: a tree of layers, sequences, merges and auxiliary heads.

Blocks and `repeat` are already expanded here; every node has its final name. `expect`
holds the figures its `expect:` states (a validated mapping; see spec/expect.py), or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnarith.errors import Loc
from nnarith.layers.base import Layer


@dataclass
class Leaf:
    name: str
    layer: Layer
    loc: Loc
    expect: Any = None


@dataclass
class Seq:
    """Layers run one after another. `kind` is 'seq', 'branch' or the block's name."""

    name: str
    children: list[Node]
    loc: Loc
    kind: str = "seq"
    expect: Any = None


@dataclass
class Merge:
    """Parallel branches on one input, merged by 'concat' or 'add'."""

    name: str
    op: str
    branches: list[Seq]
    loc: Loc
    expect: Any = None


@dataclass
class Aux:
    """A training-only side head: it reads the current tensor; the main path goes on."""

    name: str
    body: Seq
    loc: Loc
    expect: Any = None


Node = Leaf | Seq | Merge | Aux


@dataclass
class Network:
    name: str
    input: tuple[int, ...]
    body: Seq
    file: str
    source: str | None = None
    input_loc: Loc | None = None
    expect: Any = None  # the top-level expect: the totals' figures
