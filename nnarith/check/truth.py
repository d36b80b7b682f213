"""The true figures of what a document's row names, each with the arithmetic behind it.

A target is a layer (a report row), a block (the rows under a dotted path, summed as
`--depth` sums them), the input, or the totals. Each figure comes with its derivation,
taken from the layers' own `work` where they show it, and with the values it would have
under other conventions (weights without biases, FLOPs = 2 x MACs, and, by analysing the
network a second time, pooling that rounds the other way: variants.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod
from typing import Any

from nnarith.analysis import receptive
from nnarith.analysis.counts import REPORTED, Counts
from nnarith.analysis.report import Report, Row
from nnarith.check.fit import how_rounded, unrounded
from nnarith.check.vocabulary import TRAITS
from nnarith.layers.base import INPLACE
from nnarith.loader.nodes import Network

COUNTS = tuple(f.name for f in REPORTED)  # the counts a report states, which a document may state too
SAME_SHAPE = {k for k, c in TRAITS.items() if c.keeps_shape}  # kinds whose output is shaped as their input
POOLS = tuple(k for k, c in TRAITS.items() if c.ceil_mode)  # pooling with a ceil mode, flipped by variants.py
SUMMARY = ("trainable", "non_trainable", "input_size", "params_size", "forward_backward_size", "total_size",
           "trainable_size", "non_trainable_size")
ARCHITECTURE = ("kernel", "stride", "filters", "in_channels", "depth", "1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5",
                "pool_proj", "s1x1", "e1x1", "e3x3")


@dataclass
class Target:
    name: str  # 'conv3_1', 'layer1' for a block, 'input', 'total'
    kind: str  # the layer kind, 'block', 'input' or 'total'
    rows: list[Row] = field(default_factory=list)  # the row, or a block's rows


@dataclass
class Truth:
    value: Any  # an int, a shape (tuple) or a receptive field (dict, None for whole, 'undefined')
    derivation: str  # the arithmetic, numbers filled in
    also: list[tuple[Any, str]] = field(default_factory=list)  # equally right: (value, derivation)
    others: list[tuple[Any, str, str]] = field(default_factory=list)  # (value, convention, derivation)
    unrounded: tuple[Fraction, ...] | None = None  # an output whose sizes do not divide, before rounding (fit.py)
    rounding: str = ""  # how PyTorch makes them whole: "floors it"


KERAS_STATISTICS = "running statistics counted as params, as Keras counts them"


def statistics(rows: list[Row]) -> int:
    """Batch norm's running mean and variance (nnarith's buffers, less the batch counter), which Keras counts."""
    return sum(r.buffers - (1 if r.kind == "bn" else 0) for r in rows if r.buffers)


def last_map(rows: list[Row]) -> Row | None:
    """The last row whose output is still a map (before the classifier flattens it)."""
    return next((r for r in reversed(rows) if len(r.shape.dims) > 1), None)


def _product(dims: tuple[int, ...]) -> str:
    return "*".join(map(str, dims))


def _prefixes(rows: list[Row]) -> dict[tuple[str, ...], list[Row]]:
    blocks: dict[tuple[str, ...], list[Row]] = {}
    for r in rows:
        for i in range(1, len(r.path)):
            blocks.setdefault(r.path[:i], []).append(r)
    return blocks


class Truths:
    """The figures of one analysed network, by target."""

    def __init__(self, report: Report, net: Network | None = None) -> None:
        self.report = report
        self.net = net
        self.by_name = {r.name: r for r in report.rows + report.aux_rows}
        self.aux_names = {r.name for r in report.aux_rows}
        # every path prefix: the rows under it. A block's aux head is reported apart, as --depth sums it
        self.blocks, self.aux_blocks = _prefixes(report.rows), _prefixes(report.aux_rows)
        self.variant: Truths | None | bool = False  # pooling rounding the other way; variants.py computes it
        self.convention = ""  # of a variant: how it differs
        self.complete = True  # a variant may stop at a layer that no longer fits
        self.layers: dict | None = None  # row name -> its layer, for architecture claims
        self.aligner = None  # align.Aligner, built once for every block aligned against this network

    # targets --------------------------------------------------------------------------

    def special(self, which: str) -> Target:
        return Target(which, which)

    def row(self, row: Row) -> Target:
        return Target(row.name, row.kind, [row])

    def span(self, rows: list[Row], name: str | None = None) -> Target:
        """Contiguous layers as one stage: named as the block they are exactly, else first to last."""
        if len(rows) == 1 and name is None:
            return self.row(rows[0])
        if name is None:
            prefix = rows[0].path[:-1]
            while prefix and any(r.path[:len(prefix)] != prefix for r in rows):
                prefix = prefix[:-1]
            exact = prefix and [r.name for r in self.blocks.get(prefix, [])] == [r.name for r in rows]
            name = ".".join(prefix) if exact else f"{rows[0].name}..{rows[-1].name}"
        return Target(name, "block", rows)

    def named(self, name: str) -> list[Target]:
        """What a full name denotes: a row, a block, or both (a merge is its row and its block)."""
        aux, name = name.startswith("training_only."), name.removeprefix("training_only.")  # nnarith's CSV
        found = [self.row(self.by_name[name])] if name in (self.aux_names if aux else self.by_name) else []
        path = tuple(name.split("."))
        rows = self.aux_blocks.get(path, []) if aux else self.blocks.get(path) or self.aux_blocks.get(path, [])
        if found and rows:  # a merge: its branches' rows, then its own
            rows = rows + [found[0].rows[0]]
        if rows:
            found.append(Target(f"training_only.{name}" if aux else name, "block", rows))
        return found

    # figures --------------------------------------------------------------------------

    def truth(self, target: Target, figure: str, convention: str | None = None) -> Truth | None:
        """The figure's true value under the default conventions, with the others' values.

        convention: the tool whose definition a summary's figure follows ('torchinfo'...)."""
        if figure in SUMMARY or (figure == "params" and convention == "keras" and target.kind == "total"):
            from nnarith.check.sizes import summary_truth

            return summary_truth(self, figure, convention)
        if figure == "input" and target.rows:  # what the row's first layer reads
            first = target.rows[0]
            return Truth(first.input.dims, f"{first.name} reads {first.input}") if first.input else None
        if figure == "input":
            return Truth(self.report.input.dims, "the network's input")
        if figure == "depth" and target.kind == "total":  # the analysis counts it once, over the spec's tree
            n = self.report.depth
            return Truth(n, f"{n} layer{'' if n == 1 else 's'} with weights on the longest path through the network")
        if figure in ARCHITECTURE:
            from nnarith.check.architecture import arch_truth

            return arch_truth(self, target if target.kind != "total" else Target("the network", "block",
                                                                                 self.report.rows), figure)
        if figure == "macs" and convention == "torchinfo" and target.kind != "input":
            from nnarith.check.sizes import torchinfo_macs

            return torchinfo_macs(self, target)
        if target.kind == "input":
            return self._input(figure)
        if target.kind == "total":
            return self._total(figure)
        if target.kind == "block":
            truth = self._block(target, figure)
            if figure == "params" and convention == "torchsummary" and truth is not None and truth.value:
                truth.others.append((0, "torchsummary's Param # of a module that holds others: its own parameters "
                                        "only", f"{target.name} holds its parameters in its layers"))
            return truth
        return self._row(target.rows[0], figure)

    def _row(self, r: Row, figure: str) -> Truth | None:
        work = r.work
        if figure == "output":
            return Truth(r.shape.dims, work.get("output", "as its input" if r.kind in SAME_SHAPE else ""),
                         unrounded=unrounded(r), rounding=how_rounded(r))
        if figure == "params":
            t = Truth(r.params, work.get("params") or (f"{r.weights:,} weights + {r.biases:,} biases = {r.params:,}"
                                                       if r.params else f"{r.kind} has none"))
            if r.kind == "bn" and r.buffers:
                stats = statistics([r])
                t.others.append((r.params + stats, KERAS_STATISTICS,
                                 f"{r.params:,} + {stats:,} moving mean and variance = {r.params + stats:,}"))
            if r.biases:
                t.others.append((r.weights, "weights without biases", self._weights(r)))
            return t
        if figure == "weights":
            t = Truth(r.weights, self._weights(r))
            if r.biases:
                t.others.append((r.params, "biases counted too (params)", work.get("params", "")))
            return t
        if figure in ("macs", "flops"):
            return self._macs(r.macs, figure, work.get("macs", f"{r.macs:,}" if r.macs else f"{r.kind} has none"))
        if figure in COUNTS:  # the rest: biases, buffers, other_ops, ...
            n = getattr(r, figure)
            return Truth(n, work.get(figure, f"{n:,}" if n else f"{r.kind} has none"))
        if figure in ("memory", "activations"):
            text = f"{_product(r.shape.dims)} = {r.activations:,}" if len(r.shape.dims) > 1 else f"{r.activations:,}"
            t = Truth(r.activations, text)
            if figure == "memory" and r.held != r.activations:
                how = "in place, it writes into its input" if r.storage == INPLACE else "a view of its input"
                t.also.append((r.held, f"{how}: allocates nothing"))
            return t
        return self._field(r.rf, work.get("rf"), figure)

    def _weights(self, r: Row) -> str:
        if "weights" in r.work:
            return r.work["weights"]
        if not r.biases and "params" in r.work:
            return r.work["params"]
        if not r.params:
            return f"{r.kind} has none"
        return f"{r.params:,} params - {r.biases:,} biases = {r.weights:,}"

    def _macs(self, macs: int, figure: str, derivation: str) -> Truth:
        flops = f"2 x {macs:,} MACs = {2 * macs:,}"
        if figure == "macs":
            return Truth(macs, derivation, others=[(2 * macs, "FLOPs = 2 x MACs, under a MACs heading", flops)])
        return Truth(2 * macs, flops, others=[(macs, "FLOPs = 2 x MACs, but MACs under a FLOPs heading",
                                               derivation)])

    def _field(self, rf: receptive.Field, work: str | None, figure: str) -> Truth | None:
        described = receptive.describe(rf)
        text = work or "as before this layer"
        if figure == "rf":
            return Truth(described, text)
        if not isinstance(described, dict):
            return Truth(described, text)
        return Truth(described["stride" if figure == "rf_stride" else "padding"], text)

    def _block(self, target: Target, figure: str) -> Truth | None:
        rows = target.rows
        n = f"sum of the {len(rows)} layers of {target.name}"
        if figure in ("output", "rf", "rf_stride", "rf_padding", "activations"):
            truth = self._row(rows[-1], figure)
            spatial = last_map(rows)
            if figure == "output" and len(rows[-1].shape.dims) == 1 and spatial is not None:
                truth.also.append((spatial.shape.dims, f"{spatial.name}: the last spatial output"))
            return truth
        if figure == "memory":
            held = sum(r.held for r in rows)
            return Truth(held, f"elements allocated, {n} = {held:,}")
        total = sum((r.counts for r in rows), Counts())
        if figure in ("macs", "flops"):
            return self._macs(total.macs, figure, f"{n} = {total.macs:,}")
        t = Truth(getattr(total, figure), f"{n} = {getattr(total, figure):,}")
        if figure == "params" and total.biases:
            t.others.append((total.weights, "weights without biases", f"weights, {n} = {total.weights:,}"))
        if figure == "weights" and total.biases:
            t.others.append((total.params, "biases counted too (params)", f"params, {n} = {total.params:,}"))
        return t

    def _input(self, figure: str) -> Truth | None:
        dims = self.report.input.dims
        if figure == "output":
            return Truth(dims, "the input")
        if figure in ("memory", "activations"):
            return Truth(prod(dims), f"{_product(dims)} = {prod(dims):,}")
        if figure.startswith("rf"):
            return self._field(receptive.start(self.report.input.rank), "one pixel", figure)
        return Truth(0, "the input has none")

    def _total(self, figure: str) -> Truth | None:
        t = self.report.totals
        n = f"sum of {len(self.report.rows)} layers"
        if figure == "output":
            truth = Truth(self.report.output.dims, "the network's output")
            base = last_map(self.report.rows)
            if base is not None and len(self.report.output.dims) == 1:
                truth.others.append((base.shape.dims, "the output of the convolutional base, before the classifier",
                                     f"{base.name}: the last map before the classifier"))
            return truth
        if figure in ("memory", "activations"):
            truth = Truth(t.activations, f"the input and every allocated output = {t.activations:,}")
            fv = sum(r.activations for r in self.report.rows if r.kind in ("conv", "deconv", "fc"))
            if figure == "activations" and fv != t.activations:
                truth.others.append((fv, "fvcore's activation count (the outputs of convolutions and linear layers), "
                                     "as timm's model cards give it", f"{fv:,} conv and linear output elements"))
            return truth
        if figure in ("macs", "flops"):
            truth = self._macs(t.macs, figure, f"{n} = {t.macs:,}")
            return self._with_heads(truth, figure)
        if figure == "params":
            truth = Truth(t.params, f"{t.weights:,} weights + {t.biases:,} biases = {t.params:,}")
            if t.biases:
                truth.others.append((t.weights, "weights without biases", f"weights, {n} = {t.weights:,}"))
            return self._with_heads(truth, figure)
        if figure.startswith("rf"):  # the whole network's: its last layer whose field is not the whole input
            sized = [r for r in self.report.rows if isinstance(receptive.describe(r.rf), dict)]
            return self._row((sized or self.report.rows)[-1], figure)
        if figure == "weights":
            truth = Truth(t.weights, f"{n} = {t.weights:,}")
            if t.biases:
                truth.others.append((t.params, "biases counted too (params)",
                                     f"{t.weights:,} weights + {t.biases:,} biases = {t.params:,}"))
            return truth
        if figure in COUNTS:
            return Truth(getattr(t, figure), f"{n} = {getattr(t, figure):,}")
        return None

    def _with_heads(self, truth: Truth, figure: str) -> Truth:
        """Totals counted with the training-only heads too (torchvision's inception_v3 weights: 27.2M)."""
        a = self.report.aux_totals
        extra = getattr(a, figure)  # params, macs or flops
        if self.report.aux_rows and extra:
            truth.others.append((truth.value + extra, "the training-only heads counted too",
                                 f"{truth.value:,} + {extra:,} in the training-only heads = {truth.value + extra:,}"))
        return truth
