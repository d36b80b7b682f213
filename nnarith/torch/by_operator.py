"""fvcore's count, per image, split by operator and set beside nnarith's MACs.

fvcore 0.1.5's FlopCountAnalysis counts one "flop" per multiply-accumulate for its matrix
operators (conv, linear, addmm, matmul, mm, bmm, einsum) and also counts batch norm, the
other norms, 2-D adaptive average pooling and 2-D upsampling, by the elements of one tensor
(its handles in fvcore/nn/jit_handles.py). Each operator's count is set against what nnarith
knows of the layers that ran it: their MACs, or the elements its handle reads, so that the
difference from nnarith's MACs is shown from the numbers, not asserted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from nnarith.analysis.report import Report, Row
from nnarith.layers.merge import MERGES

# fvcore's names (by_operator()'s keys) of the operators it counts per multiply-accumulate
MULTIPLY_ACCUMULATE = frozenset({"conv", "linear", "addmm", "matmul", "mm", "bmm", "einsum"})
# The tensor whose elements each other handle counts: the operator's input or its output.
READS = {"batch_norm": "input", "group_norm": "input", "layer_norm": "input", "instance_norm": "input",
         "adaptive_avg_pool2d": "input", "upsample_nearest2d": "output", "upsample_bilinear2d": "output",
         "grid_sampler": "output"}


def per_image(total: int | float, batch: int) -> int | Fraction:
    """A figure measured on the batch, divided by the batch: an int when it divides, else the exact
    Fraction, which compares unequal to any int and so shows as a mismatch."""
    share = Fraction(total) / batch
    return share.numerator if share.denominator == 1 else share


@dataclass
class Operator:
    name: str  # fvcore's: conv, linear, batch_norm, ...
    batch_total: int
    per_image: int | Fraction
    layers: list[str]  # the layers (rows) whose modules ran it
    reads: str  # "MACs" for a multiply-accumulate operator, "input" or "output" elements, "" if not known
    base: int  # per image: those layers' MACs, or the elements its handle reads

    @property
    def factor(self) -> Fraction:
        """Its count per MAC or per element read (1 for conv: fvcore counts a multiply-add once)."""
        return Fraction(self.per_image) / self.base if self.base else Fraction(0)

    def json(self) -> dict:
        return {"operator": self.name, "batch_total": self.batch_total, "per_image": _number(self.per_image),
                "layers": self.layers, "counts_per": self.reads or None, "base_per_image": self.base}


@dataclass
class Split:
    batch: int
    batch_total: int  # FlopCountAnalysis.total()
    total: int | Fraction  # per image
    macs: int  # nnarith's, per image (as `nnarith shape` reports them)
    operators: list[Operator] = field(default_factory=list)
    # layers whose MACs fvcore's multiply-accumulate operators miss (or overcount), with the MACs per image
    missed: list[tuple[str, int | Fraction]] = field(default_factory=list)

    @property
    def others(self) -> list[Operator]:
        """The operators counted beside the multiply-accumulates (norms, pooling, upsampling)."""
        return [op for op in self.operators if op.reads != "MACs"]

    @property
    def unexplained(self) -> int | Fraction:
        """fvcore's total less (nnarith's MACs - the MACs fvcore misses + the other operators): 0 when it adds up."""
        return self.total - (self.macs - sum(m for _, m in self.missed) + sum(op.per_image for op in self.others))

    def json(self) -> dict:
        return {"batch_total": self.batch_total, "per_image": _number(self.total), "macs_per_image": self.macs,
                "operators": [op.json() for op in self.operators],
                "macs_not_counted": [{"layer": n, "macs_per_image": _number(m)} for n, m in self.missed],
                "unexplained_per_image": _number(self.unexplained)}


def _number(value: int | Fraction) -> int | float:
    return float(value) if isinstance(value, Fraction) else value


def split(report: Report, analysis, batch: int) -> Split:
    """fvcore's count by operator (`analysis` has run on a batch of `batch`), per image."""
    by_module: dict[str, Counter] = analysis.by_module_and_operator()
    totals = analysis.by_operator()
    result = Split(batch, analysis.total(), per_image(analysis.total(), batch), report.totals.macs)
    # A merge's module holds its branches' layers, whose rows count their own operators.
    leaves = [r for r in report.rows if r.kind not in MERGES]
    for name, count in sorted(totals.items(), key=lambda item: -item[1]):
        rows = [r for r in leaves if by_module.get(r.name, Counter())[name]]
        reads = "MACs" if name in MULTIPLY_ACCUMULATE else READS.get(name, "")
        base = sum(_base(r, reads) for r in rows)
        result.operators.append(Operator(name, count, per_image(count, batch), [r.name for r in rows], reads, base))
    for row in leaves:
        counted = sum(n for op, n in by_module.get(row.name, Counter()).items() if op in MULTIPLY_ACCUMULATE)
        missed = row.macs - per_image(counted, batch)
        if missed:
            result.missed.append((row.name, missed))
    return result


def _base(row: Row, reads: str) -> int:
    if reads == "MACs":
        return row.macs
    if reads == "input" and row.input is not None:
        return row.input.numel
    return row.shape.numel if reads == "output" else 0
