"""Walk the network tree in execution order, computing a row per leaf layer and merge.

Besides each layer's own rule, the walk decides storage: an in-place layer whose input is
shared with a parallel branch (or an aux head) must not overwrite it, so it allocates; an
`add` overwrites the first branch output that is its own fresh tensor.
"""

from __future__ import annotations

from typing import NamedTuple

from nnarith.analysis import receptive
from nnarith.analysis.backward import backward, needs_grad
from nnarith.analysis.depth import network_depth
from nnarith.analysis.report import DTYPE_BYTES, Expectation, Report, Row
from nnarith.errors import Loc, SpecError, SpecErrors, raise_all
from nnarith.layers.base import INPLACE, NEW, Out, Shape
from nnarith.layers.merge import MERGES
from nnarith.loader.args import with_sets
from nnarith.loader.nodes import Aux, Leaf, Merge, Network, Node, Seq, Visitor
from nnarith.text import COMPUTED_DIGITS, COMPUTED_LIMIT


class Flow(NamedTuple):
    """The tensor between two layers: its shape, receptive field and storage."""

    shape: Shape
    field: receptive.Field
    buffer: int  # storage identity: equal buffers mean one tensor's memory
    grad: bool = False  # it needs a gradient in training (analysis/backward.py); the input does not


def analyze(net: Network, *, batch: int = 1, dtype: str = "fp32", strict: bool = False,
            input_grad: bool = False) -> Report:
    """Shapes, counts, memory and receptive fields of every layer of `net`. `input_grad`: the input takes
    a gradient in training, as an activation inside a larger network does (a network's input does not)."""
    assert dtype in DTYPE_BYTES, dtype
    shape = _input(net)
    walker = _Walker(strict)
    try:
        out = walker.seq(net.body, Flow(shape, receptive.start(shape.rank), 0, input_grad), (), (), frozenset(), False)
        raise_all(walker.strict_errors)
    except (SpecError, SpecErrors) as e:  # a shape the values set make impossible: it names them
        if net.args_set:
            with_sets(e, {k: net.args[k] for k in net.args_set})
        raise
    return Report(net.name, net.file, net.source, shape, out.shape, walker.rows, walker.aux_rows,
                  batch, dtype, walker.expects, network_depth(net), args=net.args, args_set=net.args_set)


def analyze_prefix(net: Network, *, batch: int = 1, dtype: str = "fp32") -> tuple[Report, bool]:
    """As analyze, but a layer that fails ends the walk instead of raising: the report holds
    the layers before it, and the flag says whether the walk was complete. nnarith check uses
    it for variants of a network (its pooling rounding the other way) that may not fit."""
    shape = _input(net)
    walker = _Walker(False)
    complete = True
    try:
        out = walker.seq(net.body, Flow(shape, receptive.start(shape.rank), 0), (), (), frozenset(), False).shape
    except SpecError:
        out, complete = (walker.rows[-1].shape if walker.rows else shape), False
    return Report(net.name, net.file, net.source, shape, out, walker.rows, walker.aux_rows, batch, dtype,
                  depth=network_depth(net), args=net.args, args_set=net.args_set), complete


def _input(net: Network) -> Shape:
    return Shape(tuple(net.input), net.layout)


class _Walker(Visitor):
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.rows: list[Row] = []
        self.aux_rows: list[Row] = []
        self.strict_errors: list[SpecError] = []
        self.expects: list[Expectation] = []
        self.buffers = 0
        self.weights: dict[str, tuple[str, tuple[int, ...]]] = {}  # row name: its kind and weight's shape, for ties
        self.frozen = 0  # how many of the nodes around the current one are frozen

    def new_buffer(self) -> int:
        self.buffers += 1
        return self.buffers

    def seq(self, seq: Seq, x: Flow, path: tuple[str, ...], kinds: tuple[str, ...],
            shared: frozenset[int], aux: bool) -> Flow:
        for child in seq.children:
            x = self.child(child, x, path, kinds, shared, aux)
        return x

    def child(self, node: Node, x: Flow, path: tuple[str, ...], kinds: tuple[str, ...],
              shared: frozenset[int], aux: bool) -> Flow:
        """A node inside a sequence: the sequence's own path and kind are added for it."""
        if not isinstance(node, Leaf) and node.expect is not None:  # a block, merge or aux head as a whole
            self.expects.append(Expectation(".".join(path + (node.name,)), node.expect, True))
        self.frozen += node.frozen
        try:
            if isinstance(node, Seq):
                return self.seq(node, x, path + (node.name,), kinds + (node.kind,), shared, aux)
            return self.visit(node, x, path, kinds, shared, aux)
        finally:
            self.frozen -= node.frozen

    def aux(self, node: Aux, x: Flow, path: tuple[str, ...], kinds: tuple[str, ...],
            shared: frozenset[int], aux: bool) -> Flow:
        self.seq(node.body, x, path + (node.name,), kinds + ("aux",), shared | {x.buffer}, True)
        return x

    def leaf(self, node: Leaf, x: Flow, path: tuple[str, ...], kinds: tuple[str, ...],
             shared: frozenset[int], aux: bool) -> Flow:
        full = path + (node.name,)
        name = ".".join(full)
        try:
            out = node.layer.read(x.shape)
            self.tied(node, out)
        except SpecError as e:
            e.layer = e.layer or name
            raise
        self.weights[name] = (node.layer.kind, out.weight)
        storage = out.storage
        if storage == INPLACE and x.buffer in shared:
            storage = NEW  # its input is read by another branch too: do not overwrite it
            out.work["storage"] = "allocates: its input is shared with a parallel branch"
        rf = receptive.apply(x.field, out.effect)
        _bounded(out.shape, rf, node.loc, name)
        rf_work = receptive.explain(x.field, out.effect)
        if rf_work:
            out.work["rf"] = rf_work
        counts = out.counts
        row_backward, out.work["backward"] = backward(out.grads, counts.macs, counts.params, grad_in=x.grad,
                                                      frozen=self.frozen > 0)
        row = Row(name, node.layer.kind, full, out.shape, node.loc, counts, storage, rf,
                  list(out.flags), out.work, notes=list(out.notes), kinds=kinds, input=x.shape,
                  backward=row_backward, grad_in=x.grad)
        if node.expect is not None:
            self.expects.append(Expectation(name, node.expect, False))
        if self.strict:
            for flag in out.flags:
                self.strict_errors.append(SpecError(
                    f"the size does not divide: {flag}", node.loc, layer=name,
                    hint=f"PyTorch {'rounds it up (ceil mode)' if '(ceil)' in flag else 'floors it'}; change the "
                    "kernel, stride or padding so that it divides, or drop --strict",
                ))
        row.storage_ids = (x.buffer, x.buffer if storage != NEW else self.new_buffer())
        (self.aux_rows if aux else self.rows).append(row)
        return Flow(out.shape, row.rf, row.storage_ids[1], needs_grad(x.grad, row_backward))

    def tied(self, node: Leaf, out: Out) -> None:
        """A layer tied to another's weight (loader/ties.py resolved the name) reuses that tensor itself:
        the shapes must be equal."""
        tie = node.layer.args.get("tie")
        if tie is None:
            return
        kind, owner = self.weights[tie]
        loc = node.layer.locs.get("tie", node.loc)
        if not owner:
            raise SpecError(f"tie: {tie} is a {kind}, which has no weight to share", loc,
                            hint="tie to an embedding or an fc (a maxout's weight is one too)")
        if owner != out.weight:
            mine, theirs = "x".join(map(str, out.weight)), "x".join(map(str, owner))
            raise SpecError(f"this {node.layer.kind}'s weight is [{mine}], but {tie}'s, which it ties to, is "
                            f"[{theirs}]", loc, hint=f"a tie reuses the tensor itself, so the shapes must be equal: "
                            f"an fc's weight is [out, in features], an embedding's [vocab, dim]; give out: "
                            f"{owner[0]} on {owner[1]} input features")

    def merge(self, node: Merge, x: Flow, path: tuple[str, ...], kinds: tuple[str, ...],
              shared: frozenset[int], aux: bool) -> Flow:
        inner = path + (node.name,)
        flows = [
            self.seq(b, x, inner + (b.name,), kinds + (node.op, "branch"), shared | {x.buffer}, aux)
            for b in node.branches
        ]
        names = [b.name for b in node.branches]
        try:
            op = MERGES[node.op]
            out = op([f.shape for f in flows], names, node.loc).infer()
        except SpecError as e:
            e.layer = e.layer or ".".join(inner)
            raise
        field, warning = receptive.union([f.field for f in flows])
        _bounded(out.shape, field, node.loc, ".".join(inner))
        union = receptive.explain_union(field)
        if union:
            out.work["rf"] = union
        row = Row(".".join(inner), node.op, inner, out.shape, node.loc, out.counts, rf=field,
                  notes=[warning] if warning else [], work=out.work, kinds=kinds, input=x.shape,
                  grad_in=any(f.grad for f in flows))
        buffer = None
        if op.writes_into:  # into a branch's own fresh output, of the output's shape
            owned = [f.buffer for f in flows]
            for i, b in enumerate(owned):
                if b != x.buffer and b not in shared and owned.count(b) == 1 and flows[i].shape.dims == out.shape.dims:
                    row.storage, row.into, buffer = INPLACE, i, b
                    break
        row.storage_ids = (x.buffer, self.new_buffer() if buffer is None else buffer, *(f.buffer for f in flows))
        (self.aux_rows if aux else self.rows).append(row)
        return Flow(out.shape, field, row.storage_ids[1], any(f.grad for f in flows))


def _bounded(shape: Shape, field: receptive.Field, loc: Loc, name: str) -> None:
    """Sizes that grow layer after layer (upsampling, transposed convs, strides compounding the
    receptive field's jump) would otherwise grow without bound in cost as well."""
    rf = field if isinstance(field, tuple) else ()
    if any(d >= COMPUTED_LIMIT for d in shape.dims) or any(abs(v) >= COMPUTED_LIMIT for i in rf for v in i):
        what = "output" if any(d >= COMPUTED_LIMIT for d in shape.dims) else "receptive field"
        raise SpecError(f"the {what} grows past {COMPUTED_DIGITS} digits, nnarith's limit for a computed size", loc,
                        layer=name, hint="no network is that large; sizes below 10^200 are counted exactly")
