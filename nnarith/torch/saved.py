"""What autograd keeps for backward in a training forward pass, measured: the shared measurement of
`nnarith verify` and the memory model's tests.

Every tensor autograd saves passes through torch.autograd.graph.saved_tensors_hooks' pack hook;
the tensors are told apart by their storage (a saved input that is the previous layer's output, or
a view of it, is one buffer), and the model's parameters and buffers (batch norm's running
statistics) are left out: they are not activations. Each storage is attributed to the layers
(report rows) whose forward saved it: forward pre- and post-hooks keep a stack of the rows
running, and the innermost one is the saver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from nnarith.analysis.report import Report, Row
from nnarith.layers.base import IDS

WORKSPACE = torch.uint8  # oneDNN's LSTM workspace, whose size is oneDNN's own: not modelled
NAMES = {torch.float32: "fp32", torch.int64: "int64", torch.uint8: "uint8", torch.bfloat16: "bf16",
         torch.float16: "fp16", torch.bool: "bool"}


@dataclass
class Storage:
    nbytes: int
    element_size: int
    dtype: str
    rows: set[str] = field(default_factory=set)  # the rows whose forward saved it ('' outside every row)
    input: bool = False  # the network's input


@dataclass
class Saved:
    storages: list[Storage]  # what the memory model counts
    workspace: list[Storage]  # oneDNN LSTM workspaces, left out
    output: object  # the forward pass's output, kept so that the graph (and every saved tensor) lives

    def by_row(self, order: list[str]) -> dict[str, int]:
        """Bytes per row, each storage at the row first in `order` among those that saved it."""
        rank = {name: i for i, name in enumerate(order)}
        rows: dict[str, int] = {}
        for s in self.storages:
            row = min(s.rows, key=lambda r: rank.get(r, -1))
            rows[row] = rows.get(row, 0) + s.nbytes
        return rows


def training_input(report: Report, batch: int, device=None, grad: bool = False) -> torch.Tensor:
    """An input batch as training feeds one: it takes no gradient, so autograd records no layer before
    the first one with trainable weights (nor a frozen one on such an input), as the memory model says.
    `grad`: it takes one, as an activation does (analyze's input_grad), as a clone, not a leaf, so that an
    in-place first layer may write into it. Token ids are integers, which take none."""
    if report.input.layout == IDS:
        return torch.zeros(batch, *report.input.dims, dtype=torch.long, device=device)
    x = torch.randn(batch, *report.input.dims, device=device, requires_grad=grad)
    return x.clone() if grad else x


def one_value_per_channel(report: Report) -> Row | None:
    """A batch norm that sees one value per channel of each image: batch 1 cannot train it."""
    return next((r for r in report.rows + report.aux_rows
                 if r.kind == "bn" and r.input is not None and r.input.numel == r.input.dims[0]), None)


def measure(model: torch.nn.Module, report: Report, x: torch.Tensor) -> Saved:
    """One training forward pass of `model` (put in training mode) on `x`, with what it saved."""
    model.train()
    own = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    rows = report.rows + report.aux_rows
    lstm = {r.name for r in rows if r.kind == "lstm"}
    running: list[str] = []
    found: dict[int, Storage] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in own:
            storage = found.setdefault(s.data_ptr(), Storage(s.nbytes(), t.element_size(), NAMES[t.dtype]))
            storage.rows.add(running[-1] if running else "")
        return t

    def enter(module, args, name: str) -> None:
        running.append(name)

    def leave(module, args, out) -> None:  # returning None keeps the output
        running.pop()

    hooks = []
    for row in rows:
        module = model.get_submodule(row.name)
        hooks.append(module.register_forward_pre_hook(lambda m, args, name=row.name: enter(m, args, name)))
        hooks.append(module.register_forward_hook(leave))
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            output = model(x)
    finally:
        for h in hooks:
            h.remove()
    start = x.untyped_storage().data_ptr()
    for ptr, s in found.items():
        s.input = ptr == start
    kept: list[Storage] = []
    workspace: list[Storage] = []
    for s in found.values():
        (workspace if s.dtype == NAMES[WORKSPACE] and s.rows <= lstm else kept).append(s)
    return Saved(kept, workspace, output)
