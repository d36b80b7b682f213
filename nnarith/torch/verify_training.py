"""verify's training checks: the tensors saved for backward in one training forward pass, against the
memory model, per layer and in total; then the gradients and the optimizer state after one real step,
against their formulas (analysis/training.py). All in fp32, on verify's batch."""

from __future__ import annotations

import torch

from nnarith.analysis import memory, training
from nnarith.analysis.report import Report
from nnarith.loader.nodes import Network
from nnarith.torch.saved import measure, one_value_per_channel, training_input
from nnarith.torch.verify import Check, Verification

OPTIMIZERS = {"momentum": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9), "adam": lambda p: torch.optim.Adam(p)}


def check_training(result: Verification, net: Network, report: Report, model, device: str,
                   optimizer: str = "adam") -> None:
    """The saved tensors of one training forward pass, then the gradients and optimizer state after
    its backward and one optimizer step, against the memory model and the formulas (in fp32)."""
    batch = result.batch
    single = one_value_per_channel(report)
    if batch == 1 and single:
        result.checks.append(Check("saved for backward", None, None, "note",
                                   f"not measured: batch norm '{single.name}' sees one value per channel, "
                                   "which PyTorch cannot normalise in training mode at batch 1; use --batch 2"))
        return
    torch.manual_seed(0)
    saved = measure(model, report, training_input(report, batch, device))
    rows = report.rows + report.aux_rows
    predicted = training.saved_per_row(memory.model(net, report, training=True), batch)
    measured = saved.by_row([r.name for r in rows])
    on = f"on the batch of {batch}"
    for name in [r.name for r in rows] + ([""] if "" in measured else []):
        result.add(f"saved {name or 'outside every layer'}", predicted.get(name, 0), measured.get(name, 0), on,
                   group="saved for backward", unit="bytes")
    result.add("saved for backward in all", sum(predicted.values()), sum(measured.values()),
               f"{on}: the distinct storages autograd keeps, parameters and buffers left out", unit="bytes")
    if saved.workspace:
        result.checks.append(Check("oneDNN LSTM workspace", None, None, "note",
                                   f"{sum(s.nbytes for s in saved.workspace):,} bytes {on} saved as uint8, "
                                   "sized by oneDNN: not in the model, left out above"))
    outs = saved.output if isinstance(saved.output, tuple) else (saved.output,)
    trainable = [p for p in model.parameters() if p.requires_grad]
    loss = sum(o.float().sum() for o in outs)
    if loss.requires_grad:  # else nothing trains: no weights, or all frozen, on an input that takes no gradient
        loss.backward()
    step = OPTIMIZERS[optimizer](trainable) if trainable else None  # PyTorch's optimizers refuse an empty list
    if step:
        step.step()
    _check_state(result, report, model, step, optimizer)


def _check_state(result: Verification, report: Report, model, step, optimizer: str) -> None:
    params = report.trainable  # frozen ones take no gradient
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    result.add("gradients", training.gradient_bytes(params), sum(g.numel() * g.element_size() for g in grads),
               "one per trainable parameter, fp32", group="training state", unit="bytes")
    states = [t for state in (step.state.values() if step else ()) for t in state.values()
              if isinstance(t, torch.Tensor)]
    tensors = sum(1 for p in model.parameters() if p.requires_grad)
    moments = "exp_avg and exp_avg_sq" if optimizer == "adam" else "momentum_buffer"
    result.add(f"optimizer state ({optimizer})", training.optimizer_bytes(optimizer, params, tensors),
               sum(t.numel() * t.element_size() for t in states),
               f"{moments} per parameter, fp32" + (f", plus a 0-dim fp32 step per parameter tensor ({tensors})"
                                                   if optimizer == "adam" else ""),
               group="training state", unit="bytes")
