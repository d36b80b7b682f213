"""The expanded network: a tree of layers, sequences, merges and auxiliary heads.

Blocks and `repeat` are already expanded here; every node has its final name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnarith.errors import Loc
from nnarith.layers.base import Layer


@dataclass
class Leaf:
    name: str
    layer: Layer
    loc: Loc


@dataclass
class Seq:
    """Layers run one after another. `kind` is 'seq', 'branch' or the block's name."""

    name: str
    children: list[Node]
    loc: Loc
    kind: str = "seq"


@dataclass
class Merge:
    """Parallel branches on one input, merged by 'concat' or 'add'."""

    name: str
    op: str
    branches: list[Seq]
    loc: Loc


@dataclass
class Aux:
    """A training-only side head: it reads the current tensor; the main path goes on."""

    name: str
    body: Seq
    loc: Loc


Node = Leaf | Seq | Merge | Aux


@dataclass
class Network:
    name: str
    input: tuple[int, ...]
    body: Seq
    file: str
    source: str | None = None
    input_loc: Loc | None = None
    expect: dict = field(default_factory=dict)
