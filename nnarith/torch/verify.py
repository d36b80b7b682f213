"""Check every number of the analysis against the real PyTorch model.

- shapes: every layer's output, read with forward hooks (auxiliary heads included);
- parameters and buffers, per layer and in total;
- fvcore's FlopCountAnalysis, per layer and in total, against the analysis under fvcore's
  convention (layers/base.py); the operators fvcore does not count are listed, not hidden;
- PyTorch's FlopCounterMode against FLOPs = 2 x MACs, per layer and in total. Fused kernels
  that it cannot see into (oneDNN and cuDNN recurrent layers) are switched off for this pass;
- activation memory: the bytes of the distinct tensors the layers output, per image, against
  the analysis (input plus every allocating layer's output).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from nnarith.analysis.report import Report
from nnarith.analysis.walk import analyze
from nnarith.layers.merge import MERGES
from nnarith.loader import load_spec
from nnarith.loader.nodes import Network
from nnarith.text import visible
from nnarith.torch import guard
from nnarith.torch.builder import build_with_report


@dataclass
class Check:
    what: str
    expected: object
    measured: object
    status: str  # "ok", "mismatch", or "note" (information; never a failure)
    detail: str = ""
    group: str = ""  # per-layer checks of one kind share a group, summarised in one line

    def json(self) -> dict:
        return {"what": self.what, "expected": _plain(self.expected), "measured": _plain(self.measured),
                "status": self.status, "detail": self.detail}


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@dataclass
class Verification:
    name: str
    file: str
    device: str
    batch: int
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.status != "mismatch" for c in self.checks)

    def add(self, what: str, expected: object, measured: object, detail: str = "", group: str = "") -> None:
        status = "ok" if expected == measured else "mismatch"
        self.checks.append(Check(what, expected, measured, status, detail, group))

    def json(self) -> dict:
        return {"schema": "nnarith.verify/1", "name": self.name, "file": self.file, "device": self.device,
                "batch": self.batch, "passed": self.passed, "checks": [c.json() for c in self.checks]}


def verify(spec: Network | str, device: str = "cpu", batch: int = 2,
           input: tuple[int, ...] | None = None) -> Verification:
    net = spec if isinstance(spec, Network) else load_spec(spec, input)
    report = checked(net, device, batch)
    with guard.out_of_memory(doing(report, batch)), warnings.catch_warnings():
        model, _ = build_with_report(net, report=report)
        model.eval().to(device)
        x = torch.randn(batch, *report.input.dims, device=device)
        result = Verification(report.name, report.file, device, batch)
        warnings.filterwarnings("ignore", message=".*padding='same'.*")  # PyTorch's note on even kernels
        warnings.filterwarnings("ignore", message=".*torch.jit.*deprecated", category=DeprecationWarning)  # fvcore
        outputs = _outputs(model, report, x)
        _check_shapes(result, report, outputs, batch)
        _check_parameters(result, report, model)
        _check_fvcore(result, report, model, x)
        _check_flop_counter(result, report, model, x)
        _check_memory(result, report, outputs, x)
    return result


def checked(net: Network, device: str, batch: int) -> Report:
    """The analysis, once the device exists and the model and every layer's output (all kept,
    for the memory check) fit: refused before anything is allocated."""
    guard.require_device(device)
    report = analyze(net)
    guard.buildable(report)
    model, activations = guard.predicted_bytes(report, batch, training=True)  # the aux heads run too
    guard.fits(doing(report, batch), model, activations, "every layer's output, kept for the checks",
               guard.available_memory(torch.device(device)))
    return report


def doing(report: Report, batch: int) -> str:
    return f"verifying {visible(report.file)} at batch {batch}"


@contextmanager
def unfused() -> Iterator[None]:
    """No autograd, and no fused oneDNN/cuDNN recurrent kernels, whose matrix products
    FlopCounterMode cannot see."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")  # from mkldnn.flags()
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False), torch.backends.cudnn.flags(enabled=False):
            yield


def _outputs(model, report: Report, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every layer's output, keyed by row name, kept alive so that no two share an address."""
    outputs: dict[str, torch.Tensor] = {}
    hooks = []
    for row in report.rows + report.aux_rows:
        def keep(module, args, out, name=row.name):
            outputs[name] = out
        hooks.append(model.get_submodule(row.name).register_forward_hook(keep))
    model.run_aux_heads(True)
    try:
        with torch.inference_mode():
            model(x)
    finally:
        model.run_aux_heads(False)
        for h in hooks:
            h.remove()
    return outputs


def _check_shapes(result: Verification, report: Report, outputs: dict, batch: int) -> None:
    rows = report.rows + report.aux_rows
    for row in rows:
        out = outputs.get(row.name)
        measured = tuple(out.shape[1:]) if out is not None and out.shape[0] == batch else None
        result.add(f"output shape {row.name}", row.shape.dims, measured, group="layer output shapes")
    result.add("output shape of the network", report.output.dims, tuple(outputs[report.rows[-1].name].shape[1:]))


def _own(module, what: str) -> int:
    return sum(t.numel() for t in getattr(module, what)())


def _check_parameters(result: Verification, report: Report, model) -> None:
    for row in report.rows + report.aux_rows:
        if row.kind not in MERGES:
            module = model.get_submodule(row.name)
            result.add(f"params {row.name}", row.params, _own(module, "parameters"), group="layer params")
            result.add(f"buffers {row.name}", row.buffers, _own(module, "buffers"), group="layer buffers")
    aux = [model.get_submodule(n) for n in {r.path[0] for r in report.aux_rows}] if report.aux_rows else []
    aux_params = sum(_own(m, "parameters") for m in aux)
    result.add("params", report.totals.params, _own(model, "parameters") - aux_params,
               "trainable elements, as sum(p.numel() for p in model.parameters())")
    result.add("buffers", report.totals.buffers, _own(model, "buffers") - sum(_own(m, "buffers") for m in aux),
               "as model.buffers() counts them")
    if report.aux_rows:
        result.add("params of the training-only heads", report.aux_totals.params, aux_params)


def _check_fvcore(result: Verification, report: Report, model, x: torch.Tensor) -> None:
    from fvcore.nn import FlopCountAnalysis

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    analysis = FlopCountAnalysis(model, x)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    by_module = analysis.by_module()
    n = x.shape[0]
    for row in report.rows:
        if row.kind not in MERGES:
            result.add(f"fvcore {row.name}", row.fvcore * n, by_module.get(row.name, 0), group="layer fvcore counts")
    t = report.totals
    result.add("MACs (fvcore FlopCountAnalysis)", sum(r.fvcore for r in report.rows) * n, analysis.total(),
               f"batch {n}; conv+fc MACs {t.macs * n:,} plus fvcore's batch norm and adaptive pooling counts")
    skipped = analysis.unsupported_ops()
    if skipped:
        listing = ", ".join(f"{op} x{count}" for op, count in sorted(skipped.items()))
        result.checks.append(Check("operators fvcore does not count", None, None, "note", listing))


def _check_flop_counter(result: Verification, report: Report, model, x: torch.Tensor) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    n = x.shape[0]
    with unfused(), FlopCounterMode(display=False) as counter:
        model(x)
    counts = {key.partition(".")[2]: sum(ops.values()) for key, ops in counter.get_flop_counts().items()}
    for row in report.rows:
        if row.kind not in MERGES:
            result.add(f"FLOPs {row.name}", 2 * row.macs * n, counts.get(row.name, 0), group="layer FLOPs")
    result.add("FLOPs (torch FlopCounterMode)", report.totals.flops * n, counter.get_total_flops(),
               f"batch {n}; FLOPs = 2 x MACs")


def _check_memory(result: Verification, report: Report, outputs: dict, x: torch.Tensor) -> None:
    """Distinct storages among the main layers' outputs, first seen at each layer."""
    n, size = x.shape[0], x.element_size()
    seen = {x.untyped_storage().data_ptr()}
    total = x.nbytes
    for row in report.rows:
        storage = outputs[row.name].untyped_storage()
        new = storage.data_ptr() not in seen
        seen.add(storage.data_ptr())
        total += storage.nbytes() if new else 0
        result.add(f"memory {row.name}", row.held * size, storage.nbytes() // n if new else 0,
                   group="layer memory")
    result.add("activation memory per image", report.totals.activations * size, total // n,
               "bytes: the input plus every distinct tensor the layers output, in fp32")
