"""The result of an analysis: one row per leaf layer, and the totals.

Memory convention (the CS231n VGG-16 table's): the activation memory per image is the
input plus the output of every layer that allocates a new tensor. Views (flatten,
identity, dropout at inference) and in-place activations allocate nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from nnarith.analysis import receptive
from nnarith.analysis.backward import Backward, needs_grad, total
from nnarith.analysis.counts import Counts, delegate_figures
from nnarith.errors import Loc
from nnarith.layers.base import NEW, Shape

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "fp64": 8}


@delegate_figures  # row.params, row.macs, ...: its counts'
@dataclass(slots=True)
class Row:
    name: str  # the dotted path, unique in the network: 'layer1.bottleneck1.add1'
    kind: str
    path: tuple[str, ...]
    shape: Shape
    loc: Loc
    counts: Counts
    storage: str = NEW
    rf: receptive.Field = receptive.WHOLE
    warnings: list[str] = field(default_factory=list)  # sizes that do not divide (--strict makes them errors)
    work: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # branch fields that do not line up, an fc flattening [C, L]
    into: int | None = None  # add: the branch whose output it overwrites
    kinds: tuple[str, ...] = ()  # the kinds of the enclosing blocks, parallel to path[:-1]
    input: Shape | None = None  # what the layer reads (for merges: the branches' common input)
    # what it reads and writes, as walk.py identifies storage (Flow.buffer); a merge's branch outputs follow
    storage_ids: tuple[int, ...] = (0, 0)
    backward: Backward = Backward()  # its backward MACs and trainable params (analysis/backward.py)
    grad_in: bool = True  # in training, its input needs a gradient (a merge: one of its branches' outputs)

    @property
    def activations(self) -> int:
        return self.shape.numel

    @property
    def recorded(self) -> bool:
        """Whether autograd records it in training: its input needs a gradient or it has trainable
        weights. One it does not record keeps nothing for backward (a frozen backbone's layers)."""
        return needs_grad(self.grad_in, self.backward)

    @property
    def in_place(self) -> bool:
        return self.storage != NEW

    @property
    def held(self) -> int:
        """Elements this layer adds to memory: its output, unless it reuses its input's."""
        return 0 if self.in_place else self.shape.numel


class Expectation(NamedTuple):
    """An `expect:` of the spec, by the full name of what it describes."""

    name: str  # a row's name, or a block's dotted path
    figures: Any  # the validated mapping (spec/expect.py)
    group: bool  # True: a block, seq, merge or aux head as a whole; False: one row


@delegate_figures  # totals.params, totals.macs, ...: its counts'
@dataclass
class Totals:
    counts: Counts  # the sum of the rows'
    activations: int  # elements held in memory per image
    memory_bytes: int  # activations x bytes per element x batch

    @classmethod
    def of(cls, rows: list[Row], extra_elements: int, bytes_per_image: int) -> Totals:
        held = extra_elements + sum(r.held for r in rows)
        return cls(sum((r.counts for r in rows), Counts()), held, held * bytes_per_image)


@dataclass
class Report:
    name: str
    file: str
    source: str | None
    input: Shape
    output: Shape
    rows: list[Row]
    aux_rows: list[Row]
    batch: int = 1
    dtype: str = "fp32"
    expects: list[Expectation] = field(default_factory=list)  # in execution order
    depth: int = 0  # weighted layers on the longest path, as papers count a network's depth (depth.py)
    training: bool = False  # the reports show the backward figures (shape --training)
    args: dict[str, int] = field(default_factory=dict)  # the spec arguments' values used (loader/args.py)
    args_set: tuple[str, ...] = ()  # those of them set on the command line; the others are defaults

    @property
    def scale(self) -> int:
        """Bytes per element times batch: turns elements per image into bytes."""
        return DTYPE_BYTES[self.dtype] * self.batch

    @property
    def input_bytes(self) -> int:
        return self.input.numel * self.scale

    def memory_bytes(self, row: Row) -> int:
        return row.held * self.scale

    def stored_bytes(self, count: int) -> int:
        """Parameters or buffers in bytes: stored once in the dtype, whatever the batch."""
        return count * DTYPE_BYTES[self.dtype]

    @cached_property
    def totals(self) -> Totals:
        return Totals.of(self.rows, self.input.numel, self.scale)

    @cached_property
    def aux_totals(self) -> Totals:
        return Totals.of(self.aux_rows, 0, self.scale)

    @cached_property
    def backward(self) -> Backward:
        """The main rows' backward MACs and trainable params."""
        return total([r.backward for r in self.rows])

    @property
    def trainable(self) -> int:
        """The parameters a training step updates: the main rows' and the training-only heads', frozen ones not."""
        return self.backward.trainable + sum(r.backward.trainable for r in self.aux_rows)

    @property
    def warnings(self) -> list[tuple[Row, str]]:
        """(row, flag) for every size that does not divide, main rows then the training-only heads'."""
        return [(r, w) for r in self.rows + self.aux_rows for w in r.warnings]
