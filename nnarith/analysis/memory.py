"""The tensor-level memory model: every buffer of a forward pass, the layer that allocates it, and
the layers that keep it for backward.

The buffers between layers are the walk's storage identities (Flow.buffer, recorded on each row as
`storage_ids`): buffer 0 is the network's input, a layer that allocates its output makes a new one, and
views and in-place layers pass their input's on. Each layer's declaration (Layer.tensors, and
MergeOp.tensors for merges) adds the tensors it allocates itself: scratch, in both modes,
and in training what it keeps for backward (pooling indices, dropout masks, batch statistics).

In training, a layer whose output is new there but not at inference (dropout; an add, which the
PyTorch model allocates under autograd) gets a buffer of its own, and the layers after it read that
buffer instead (but for those in another branch of a merge it is in).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nnarith.analysis.report import DTYPE_BYTES, Report, Row
from nnarith.layers.base import ACT, BRANCHES, IDS, INPUT, NEW, OUTPUT, Layer, Out, Tensor, Tensors
from nnarith.layers.merge import MERGES
from nnarith.loader.nodes import Network, named_leaves

FIXED_BYTES = {"int64": 8, "fp32": 4}  # the dtypes a declaration may fix, whatever the activations' dtype


@dataclass
class Buffer:
    """One tensor's memory (or `count` alike, one per step of a recurrent layer)."""

    id: int
    role: str  # INPUT (the network's), OUTPUT (a layer's), or the role a layer's declaration gives it
    numel: int  # elements per image, or in all when per_image is False
    dtype: str  # ACT (the report's dtype) or a fixed one
    allocated_by: str  # the row's name; '' for the network's input
    per_image: bool = True
    count: int = 1
    aux: bool = False  # allocated in an auxiliary head
    scratch: bool = False  # freed within its layer's forward pass
    saved_by: list[str] = field(default_factory=list)  # the rows that keep it for backward

    @property
    def flowing(self) -> bool:
        """A tensor between layers: the input, or a layer's output."""
        return self.role in (INPUT, OUTPUT)

    def bytes(self, report: Report) -> int:
        each = DTYPE_BYTES[report.dtype] if self.dtype == ACT else FIXED_BYTES[self.dtype]
        return self.count * self.numel * each * (report.batch if self.per_image else 1)


@dataclass
class Memory:
    training: bool
    buffers: dict[int, Buffer] = field(default_factory=dict)
    # per row: the buffers it reads and writes in this mode (its storage_ids, after training's moves)
    ids: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def activations(self) -> int:
        """Elements per image of the input and every allocated output outside the aux heads
        (at inference, report.totals.activations)."""
        return sum(b.numel for b in self.buffers.values() if b.flowing and not b.aux)

    @property
    def aux_activations(self) -> int:
        return sum(b.numel for b in self.buffers.values() if b.flowing and b.aux)

    @property
    def saved(self) -> list[Buffer]:
        """The buffers some layer keeps for backward (none at inference)."""
        return [b for b in self.buffers.values() if b.saved_by]


def model(net: Network, report: Report, training: bool = False) -> Memory:
    """The buffers of `report`, the analysis of `net`, in inference or training mode."""
    layers = {".".join(full): leaf.layer for full, leaf in named_leaves(net.body)}
    memory = Memory(training)
    # token ids are int64 in PyTorch, whatever the activations' dtype (the report counts them as elements)
    memory.buffers[0] = Buffer(0, INPUT, report.input.numel, "int64" if report.input.layout == IDS else ACT, "")
    fresh = max((b for r in report.rows + report.aux_rows for b in r.storage_ids), default=0) + 1
    moved: list[tuple[Row, int, int]] = []  # (the row that moved it, old buffer, new)
    strided: set[int] = set()  # buffers that are a strided view of what their layer keeps
    for rows, aux in ((report.rows, False), (report.aux_rows, True)):
        for row in rows:
            read, wrote, *branches = (_moved(b, row, moved) for b in row.storage_ids)
            tensors = declaration(row, layers)
            allocates = row.storage == NEW
            if training and tensors.training_storage == NEW and not allocates:
                moved.append((row, wrote, fresh))
                wrote, fresh, allocates = fresh, fresh + 1, True
            memory.ids[row.name] = (read, wrote, *branches)
            if allocates:
                memory.buffers[wrote] = Buffer(wrote, OUTPUT, row.shape.numel, ACT, row.name, aux=aux)
            layer = layers.get(row.name) if row.kind not in MERGES else None
            if layer is not None and layer.strided_output(row.input):
                strided.add(wrote)
            kept = tensors.saved if training and row.recorded else ()
            if layer is not None and layer.contiguous_input and read in strided:  # it reads a contiguous copy
                copy = Tensor("contiguous input", row.input.numel)
                if any(t.role == INPUT for t in kept):  # kept instead of the input
                    kept = tuple(copy if t.role == INPUT else t for t in kept)
                else:  # made and dropped within the layer
                    tensors = replace(tensors, scratch=(*tensors.scratch, copy))
            for t, scratch in [(t, False) for t in kept] + [(t, True) for t in tensors.scratch]:
                if t.count == 0:
                    continue
                if t.role in (INPUT, OUTPUT, BRANCHES):
                    for b in {INPUT: [read], OUTPUT: [wrote], BRANCHES: branches}[t.role]:
                        memory.buffers[b].saved_by.append(row.name)
                    continue
                memory.buffers[fresh] = _own(fresh, t, row, aux, scratch)
                fresh += 1
    return memory


def declaration(row: Row, layers: dict[str, Layer]) -> Tensors:
    """What the row's layer or merge declares, for the input and storage the walk gave it."""
    out = Out(row.shape, storage=row.storage, grad_in=row.grad_in)
    if row.kind in MERGES:
        return MERGES[row.kind].tensors(out)
    return layers[row.name].tensors(row.input, out)


def _own(id: int, t: Tensor, row: Row, aux: bool, scratch: bool) -> Buffer:
    buffer = Buffer(id, t.role, t.numel, t.dtype, row.name, t.per_image, t.count, aux, scratch)
    if not scratch:
        buffer.saved_by.append(row.name)
    return buffer


def _moved(buffer: int, row: Row, moved: list[tuple[Row, int, int]]) -> int:
    """The buffer a row reads in training, where a layer before it (`by`) allocated anew what was
    the old buffer at inference. Rows in another branch of a merge that `by` is in read the old one.
    The aux heads' rows are taken after the main ones, so they read every buffer the main path moved:
    a head tapping a buffer that a later dropout moves would read the wrong one (no shipped spec does)."""
    for by, old, new in moved:
        if buffer == old and not _other_branch(by, row):
            buffer = new
    return buffer


def _other_branch(a: Row, b: Row) -> bool:
    """Whether the rows lie in different branches of one merge."""
    i = 0
    while i < min(len(a.path), len(b.path)) - 1 and a.path[i] == b.path[i]:
        i += 1
    return i < len(a.kinds) and i < len(b.kinds) and a.kinds[i] == "branch"
