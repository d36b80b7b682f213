"""The counts of a layer, a block or a network: each figure stated once, with how it is printed.

A figure is a field of Counts (stored: the layer computes it) or a Derived next to the fields
(computed from them: params = weights + biases). FIGURES lists both in the order every writer
prints them; the JSON and CSV writers, the table and Markdown columns, `--depth` lines, the
totals and check's figure list all iterate it. Adding a figure is one field here plus, in the
layer's `infer`, `out.<figure> = ...` (Out has an attribute per field: see Tally).

Memory figures (a row's activations, the elements it holds, their bytes) are not counts, and
stay on the row: they are facts of the walk's storage decisions (an `add` learns that it writes
into a branch's output only after its row exists), they do not add up (a block's activations are
its last layer's; the network's held elements include its input) and bytes depend on the dtype
and batch. Every figure here sums: a block's and a network's counts are the sum of their rows'.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields, make_dataclass
from operator import attrgetter
from typing import Any, ClassVar, NamedTuple, TypeVar


def _count(label: str, unit: str, json: str | None, *, column: bool = False) -> Any:
    """A stored figure, 0 unless the layer sets it.

    label: as the table and Markdown print it; unit: what one of it is; json: its key in the JSON
    and CSV reports (None: not reported); column: a column of the table and of Markdown."""
    return field(default=0, metadata={"label": label, "unit": unit, "json": json, "column": column})


class Derived:
    """A figure computed from the stored ones, with the same metadata as theirs."""

    def __init__(self, formula: Callable[[Counts], int], label: str, unit: str, json: str | None, *,
                 column: bool = False) -> None:
        self.formula = formula
        self.metadata = {"label": label, "unit": unit, "json": json, "column": column}

    def __get__(self, counts: Counts | None, owner: type | None = None) -> Any:
        return self if counts is None else self.formula(counts)


@dataclass(frozen=True, slots=True)
class Counts:
    """The figures of one layer, or the sum of several (`a + b`, `sum(counts, Counts())`), in print order."""

    params: ClassVar[Derived] = Derived(lambda c: c.weights + c.biases, "params", "trainable elements", "params",
                                        column=True)
    weights: int = _count("weights", "trainable elements", "weights")
    biases: int = _count("biases", "trainable elements", "biases")
    buffers: int = _count("buffers", "non-trainable elements", "buffers")
    macs: int = _count("MACs", "multiply-accumulates", "macs", column=True)
    flops: ClassVar[Derived] = Derived(lambda c: 2 * c.macs, "FLOPs", "floating-point operations", "flops")
    other_ops: int = _count("other ops", "operations", "other_ops")
    fvcore: int = _count("fvcore", "fvcore flops", None)  # for `verify` against fvcore only (layers/base.py)

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(*map(int.__add__, _stored(self), _stored(other)))


class Figure(NamedTuple):
    """One figure of Counts, stored or derived, with its metadata (see _count)."""

    name: str  # the attribute of Counts: also the figure's name in check and `expect:`
    label: str
    unit: str
    json: str | None
    column: bool

    def of(self, counts: Counts) -> int:
        return getattr(counts, self.name)


def _figures() -> tuple[Figure, ...]:
    """Stored and derived figures in the order they are written in Counts."""
    stored = {f.name: f.metadata for f in fields(Counts)}
    derived = {name: d.metadata for name, d in vars(Counts).items() if isinstance(d, Derived)}
    return tuple(Figure(name, **(stored.get(name) or derived[name])) for name in inspect.get_annotations(Counts))


FIGURES = _figures()
STORED = tuple(f.name for f in fields(Counts))  # what a layer sets; the rest follow from these
_stored = attrgetter(*STORED)  # their values, as a tuple: one call, for 10,000 rows
REPORTED = tuple(f for f in FIGURES if f.json)  # the JSON and CSV reports' figures
COLUMNS = tuple(f for f in FIGURES if f.column)  # the table's and Markdown's

Tally = make_dataclass("Tally", [(n, int, field(default=0, kw_only=True)) for n in STORED], namespace={
    "__module__": __name__,
    "__doc__": "Counts as a layer fills them in, figure by figure (`out.macs = ...`, 0 unless set). Out inherits "
               "it, so that a new field of Counts is a new attribute of Out without being listed twice.",
    "counts": property(lambda self: Counts(*_stored(self)), doc="The figures as Counts."),
})

T = TypeVar("T", bound=type)


def delegate_figures(cls: T) -> T:
    """Every figure of a class's `counts` readable on the class itself: row.params is row.counts.params."""
    for f in FIGURES:
        setattr(cls, f.name, property(attrgetter(f"counts.{f.name}"), doc=f"{f.label} ({f.unit})"))
    return cls

