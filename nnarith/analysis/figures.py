"""The figures of a network's totals by name, one place for `compare` and `solve`: each with its unit and what
it counts. Every value is read from the analysis Report (walk.analyze) or, for the training step's memory, from
the liveness walk over it (liveness.py); nothing here recomputes a figure.

    params           weights + biases, as `shape` reports them (a tied weight counted once)
    weights          params without the biases: the figure course tables and Seide et al. 2011 count
    macs             multiply-accumulates, bias excluded
    flops            2 x MACs (PyTorch's FlopCounterMode)
    memory           bytes of the input and every allocated layer output at the batch and dtype (shape's sum)
    activations      elements of the same, per image
    training_memory  bytes at the peak of one training step by liveness (weights, gradients, optimizer state, the
                     tensors kept for backward), at the batch and dtype
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nnarith.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from nnarith.analysis.report import Report
    from nnarith.loader.nodes import Network


@dataclass
class Measured:
    """A network and its report, with the liveness figures computed on first use (they cost a walk more)."""

    net: Network
    report: Report
    optimizer: str = "sgd"
    _training_peak: int | None = field(default=None, repr=False)

    @property
    def training_peak(self) -> int:
        if self._training_peak is None:
            from nnarith.analysis import liveness

            self._training_peak = liveness.training(self.net, self.report, self.optimizer, describe=False).peak_bytes
        return self._training_peak


@dataclass(frozen=True)
class Figure:
    name: str  # as --target and the JSON name it
    label: str  # as a table heads it
    unit: str  # what one of it is
    counts: str  # what it counts, by convention
    bytes: bool  # a size in bytes: a target may be written 24GiB
    read: Callable[[Measured], int]


FIGURES = {f.name: f for f in (
    Figure("params", "params", "trainable elements", "weights + biases (a tied weight once)", False,
           lambda m: m.report.totals.params),
    Figure("weights", "weights", "trainable elements", "params without the biases", False,
           lambda m: m.report.totals.weights),
    Figure("macs", "MACs", "multiply-accumulates", "conv, fc, attention and recurrent products, bias excluded",
           False, lambda m: m.report.totals.macs),
    Figure("flops", "FLOPs", "floating-point operations", "2 x MACs", False, lambda m: m.report.totals.flops),
    Figure("memory", "memory", "bytes", "the input and every allocated layer output (shape's sum, not a peak)",
           True, lambda m: m.report.totals.memory_bytes),
    Figure("activations", "activations", "elements per image", "the input and every allocated layer output",
           False, lambda m: m.report.totals.activations),
    Figure("training_memory", "training memory", "bytes",
           "the peak of one training step by liveness: weights, gradients, optimizer state, kept tensors", True,
           lambda m: m.training_peak),
)}


def figure(name: str) -> Figure:
    """The figure of that name; an unknown one is a usage error naming the closest and the choices."""
    known = FIGURES.get(name.replace("-", "_"))
    if known is None:
        hint = did_you_mean(name, FIGURES)
        raise UsageError(f"'{name}' is not a figure of the totals; choose one of {', '.join(FIGURES)}"
                         + (f" ({hint})" if hint else ""))
    return known


def value(name: str, measured: Measured) -> int:
    return FIGURES[name].read(measured)
