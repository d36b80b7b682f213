"""Peak memory by liveness, from the tensor-level memory model (memory.py), for `nnarith memory`.

Inference: the weights, and the activations alive at once. The layers run in execution order; a buffer
is allocated when its layer runs and freed once its last reader has run (a merge reads its branches'
outputs, a layer its input); an output nobody reads (the network's, an aux head's) stays; a layer's
scratch lives during its own layer only. Views and in-place layers share their input's buffer. The
network's input is the caller's (`model(x)` keeps x), so it stays throughout, as a measured peak sees it.

Training (one step, gradients set to None before it as zero_grad does by default): the weights and the
optimizer's state (of the trainable weights: a frozen layer's take none) stay throughout. A layer autograd
does not record (no trainable weights, and an input that needs no gradient) keeps nothing. The forward
pass frees no buffer a layer keeps for backward. The backward pass runs the layers in reverse: each
allocates its trainable parameters' gradients (kept to the end of the step) and the gradient of its input
where that needs one, one per buffer (the network's input takes none), which lives until the layer that
allocated that buffer has run its backward; a kept buffer is freed once every layer that keeps it has run
its backward, an output never.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from nnarith.analysis.memory import Buffer, Memory, model
from nnarith.analysis.report import DTYPE_BYTES, Report, Row
from nnarith.layers.base import ACT
from nnarith.layers.merge import MERGES
from nnarith.loader.nodes import Network

# fp32 (or the weights' dtype) tensors of each parameter's size the optimizer keeps
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2, "amsgrad": 3}


@dataclass(frozen=True)
class Saved:
    """What one layer keeps for backward: its bytes (a buffer kept by several is counted at the first) and
    what they are."""

    name: str
    kind: str
    bytes: int
    what: str


@dataclass(frozen=True)
class Inference:
    weights_bytes: int  # the trainable parameters
    buffers_bytes: int  # the modules' non-trainable buffers (batch norm's running statistics)
    peak_bytes: int  # the activations alive at once, at most
    peak_layer: str  # the row at which the peak is reached ('' for the input alone)
    outputs_bytes: int  # the input and every allocated output, as `nnarith shape` sums them

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.buffers_bytes + self.peak_bytes


@dataclass(frozen=True)
class Training:
    optimizer: str
    weights_bytes: int
    buffers_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    saved_bytes: int  # the buffers kept for backward, each storage once
    forward_peak_bytes: int  # everything alive, weights included, at the forward pass's worst
    forward_peak_layer: str
    peak_bytes: int  # the step's worst, forward or backward
    peak_layer: str
    peak_phase: str  # 'forward' or 'backward'
    layers: tuple[Saved, ...]


def weight_dtype(report: Report, amp: str | None) -> int:
    """Bytes per parameter: fp32 master weights under mixed precision, else the activations' dtype."""
    return DTYPE_BYTES["fp32" if amp else report.dtype]


def inference(net: Network, report: Report, amp: str | None = None, mem: Memory | None = None) -> Inference:
    """`mem`: the model at inference, if already built (it does not depend on the batch)."""
    mem = mem or model(net, report)
    each = weight_dtype(report, amp)
    peak, layer, _ = _forward(report.rows, mem, report)
    return Inference(report.totals.params * each, report.totals.buffers * each, peak, layer,
                     report.totals.memory_bytes)


def training(net: Network, report: Report, optimizer: str = "sgd", amp: str | None = None,
             mem: Memory | None = None, describe: bool = True) -> Training:
    """`report` is analysed in the activations' dtype (the half one under `amp`); `mem`: the model in
    training, if already built; `describe`: whether to say what each layer keeps (the peak alone is faster)."""
    mem = mem or model(net, report, training=True)
    each = weight_dtype(report, amp)
    counts = report.totals.counts + report.aux_totals.counts
    trainable = report.trainable
    weights, buffers = counts.params * each, counts.buffers * each
    fixed = weights + buffers + OPTIMIZER_STATES[optimizer] * trainable * each  # no state for frozen weights
    order = _order(report, mem)
    f_peak, f_layer, alive = _forward(order, mem, report, base=fixed)
    b_peak, b_layer = _backward(order, mem, report, alive, fixed, each)
    peak, layer, phase = max((f_peak, f_layer, "forward"), (b_peak, b_layer, "backward"), key=lambda p: p[0])
    return Training(optimizer, weights, buffers, trainable * each, fixed - weights - buffers,
                    sum(b.bytes(report) for b in mem.saved), f_peak, f_layer, peak, layer, phase,
                    tuple(_saved(order, mem, report)) if describe else ())


def peak_function(net: Network, report: Report, train: bool, optimizer: str = "sgd",
                  amp: str | None = None) -> Callable[[int], int]:
    """The peak, weights included, as a function of the batch: the memory model is built once."""
    mem = model(net, report, training=train)
    if train:
        return lambda batch: training(net, replace(report, batch=batch), optimizer, amp, mem, False).peak_bytes
    return lambda batch: inference(net, replace(report, batch=batch), amp, mem).total_bytes


def largest_batch(peak: Callable[[int], int], budget: int) -> int:
    """The largest batch whose peak is within the budget (0: not even one), by doubling then bisection:
    the peak grows with the batch (each figure is linear in it, plus fixed costs). The input alone takes
    a byte per image at least, so no batch above the budget fits and the doubling ends."""
    if peak(1) > budget:
        return 0
    fits, over = 1, 2
    while peak(over) <= budget:
        fits, over = over, over * 2
    while over - fits > 1:
        mid = (fits + over) // 2
        fits, over = (mid, over) if peak(mid) <= budget else (fits, mid)
    return fits


def reads(row: Row, mem: Memory) -> tuple[int, ...]:
    """The buffers a row reads: a layer its input, a merge its branches' outputs (not their common input)."""
    ids = mem.ids[row.name]
    return ids[2:] if row.kind in MERGES else ids[:1]


def _order(report: Report, mem: Memory) -> list[Row]:
    """The main rows, each aux head's rows placed after the row that wrote the buffer it reads."""
    order = list(report.rows)
    for row in report.aux_rows:
        source = mem.ids[row.name][0]
        at = max((i for i, r in enumerate(order) if mem.ids[r.name][1] == source), default=-1)
        order.insert(at + 1, row)
    return order


def _allocated(order: list[Row], mem: Memory) -> dict[str, list[Buffer]]:
    by_row: dict[str, list[Buffer]] = {r.name: [] for r in order}
    for b in mem.buffers.values():
        if b.allocated_by in by_row:
            by_row[b.allocated_by].append(b)
    return by_row


def _forward(order: list[Row], mem: Memory, report: Report, base: int = 0) -> tuple[int, str, set[int]]:
    """The forward pass's peak (base + the buffers alive), the row where it is reached, and what is alive
    at its end."""
    last = {b: i for i, r in enumerate(order) for b in reads(r, mem)}
    by_row = _allocated(order, mem)
    alive = {0}
    live = mem.buffers[0].bytes(report)
    peak, where = base + live, ""
    for i, row in enumerate(order):
        scratch = 0
        for b in by_row[row.name]:
            if b.scratch:
                scratch += b.bytes(report)
            else:
                alive.add(b.id)
                live += b.bytes(report)
        if base + live + scratch > peak:
            peak, where = base + live + scratch, row.name
        for b in set(reads(row, mem)):
            if last[b] == i and not mem.buffers[b].saved_by and b != 0:  # the input: the caller's
                alive.discard(b)
                live -= mem.buffers[b].bytes(report)
    return peak, where, alive


def _backward(order: list[Row], mem: Memory, report: Report, alive: set[int], fixed: int,
              each: int) -> tuple[int, str]:
    read = {b for r in order for b in reads(r, mem)}
    outputs = {b for b in alive if mem.buffers[b].flowing and b not in read}
    at = {r.name: i for i, r in enumerate(order)}
    freed: dict[int, list[int]] = {}  # row index: the kept buffers its backward is the last to need
    for b in alive - outputs:
        if mem.buffers[b].saved_by:  # else the network's input, which nobody keeps: the caller holds it
            freed.setdefault(min(at[name] for name in mem.buffers[b].saved_by), []).append(b)
    by_row = _allocated(order, mem)
    live = sum(mem.buffers[b].bytes(report) for b in alive)
    grads = {b: mem.buffers[b].bytes(report) for b in outputs}  # the loss's gradient of each output
    held = sum(grads.values())
    params = 0
    peak, where = 0, ""
    for i in range(len(order) - 1, -1, -1):
        row = order[i]
        for b in reads(row, mem) if row.grad_in else ():  # where the input needs a gradient
            if b != 0 and b not in grads:
                grads[b] = mem.buffers[b].bytes(report)
                held += grads[b]
        params += row.backward.trainable * each
        if fixed + params + live + held > peak:
            peak, where = fixed + params + live + held, row.name
        live -= sum(mem.buffers[b].bytes(report) for b in freed.get(i, ()))
        for b in by_row[row.name]:
            held -= grads.pop(b.id, 0)
    return peak, where


def _saved(order: list[Row], mem: Memory, report: Report) -> list[Saved]:
    """Each row's kept buffers, described; a buffer kept by several rows counts at the first."""
    shapes = {0: report.input.dims}
    kept: dict[str, list[Buffer]] = {r.name: [] for r in order}
    for b in mem.saved:
        for name in dict.fromkeys(b.saved_by):
            kept[name].append(b)
    for row in order:
        wrote = mem.buffers.get(mem.ids[row.name][1])
        if wrote is not None and wrote.allocated_by == row.name:
            shapes[wrote.id] = row.shape.dims
    counted: set[int] = set()
    out = []
    for row in order:
        parts, total = [], 0
        for b in kept[row.name]:
            parts.append(_describe(b, row, mem, report, shapes) + (" (counted above)" if b.id in counted else ""))
            if b.id not in counted:
                counted.add(b.id)
                total += b.bytes(report)
        out.append(Saved(row.name, row.kind, total, " + ".join(parts)))
    return out


def _describe(b: Buffer, row: Row, mem: Memory, report: Report, shapes: dict[int, tuple[int, ...]]) -> str:
    """'input 64x64x56x56 fp32', 'indices 802,816 int64', 'final state 2 x 40 fp32'."""
    read, wrote = mem.ids[row.name][:2]
    role = b.role
    if b.flowing:
        role = "branch output" if row.kind in MERGES else "output" if b.id == wrote else "input"
    if b.id in shapes:
        size = "x".join(map(str, (report.batch, *shapes[b.id])))
    else:
        size = f"{b.numel * (report.batch if b.per_image else 1):,}"
    dtype = report.dtype if b.dtype == ACT else b.dtype
    return f"{role} {f'{b.count} x ' if b.count > 1 else ''}{size} {dtype}"
