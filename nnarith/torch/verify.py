"""Check every number of the analysis against the real PyTorch model.

- shapes: every layer's output, read with forward hooks (auxiliary heads included);
- parameters and buffers, per layer and in total;
- fvcore's FlopCountAnalysis, per layer and in total, against the analysis under fvcore's
  convention (layers/base.py), and split by operator beside nnarith's MACs (by_operator.py);
  the operators fvcore does not count are listed, not hidden;
- PyTorch's FlopCounterMode against FLOPs = 2 x MACs, per layer and in total. Fused kernels
  that it cannot see into (oneDNN and cuDNN recurrent layers, nn.MultiheadAttention's fast path)
  are switched off for this pass, and the CPU kernel of scaled_dot_product_attention, which it
  has no formula for, is given torch's own (a note names the FLOPs so added);
- activation memory: the bytes of the distinct tensors the layers output, against the analysis
  (input plus every allocating layer's output);
- saved for backward: in one training forward pass, the storages autograd keeps (saved.py),
  per layer and in total, against the memory model's (memory.py), byte for byte on the batch;
- training state: after that pass's backward and one Adam step, the gradients' and the
  optimizer state's bytes against their formulas (analysis/training.py).

The model runs on a batch (2 by default, so that a rule that confuses the batch with a size
shows). Every figure that grows with the batch is divided by it, exactly, and compared per
image, as `nnarith shape` reports it; a measured figure that does not divide is a mismatch.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

import torch

from nnarith.analysis.report import Report
from nnarith.analysis.walk import analyze
from nnarith.layers.merge import MERGES
from nnarith.loader import load_spec
from nnarith.loader.nodes import Network
from nnarith.text import visible
from nnarith.torch import guard
from nnarith.torch.builder import build_with_report
from nnarith.torch.by_operator import Split, per_image, split
from nnarith.torch.token_modules import sample_input


@dataclass
class Check:
    what: str
    expected: object  # nnarith's figure: per image where `batch` is set
    measured: object  # per image where `batch` is set: measured_batch / batch, a Fraction if it does not divide
    status: str  # "ok", "mismatch", or "note" (information; never a failure)
    detail: str = ""
    group: str = ""  # per-layer checks of one kind share a group, summarised in one line
    unit: str = ""  # what the figures count: elements, fvcore flops, FLOPs, MACs, bytes ('' for a shape)
    batch: int = 0  # the batch a figure that grows with it was measured on (0 for the others)
    measured_batch: int = 0  # that figure as measured, over the whole batch
    # JSON's plain `expected` and `measured` keep what they held before per-image figures were added:
    # fvcore and FLOPs over the batch, memory per image. `per_image` and `batch_total` hold both, always.
    keys_per_batch: bool = False

    def json(self) -> dict:
        doc = {"what": self.what, "expected": _plain(self.expected), "measured": _plain(self.measured),
               "status": self.status, "detail": self.detail}
        if self.unit:
            doc["unit"] = self.unit
        if self.batch:
            image = {"expected": self.expected, "measured": _plain(self.measured)}
            whole = {"expected": self.expected * self.batch, "measured": self.measured_batch}
            doc.update(whole if self.keys_per_batch else image, per_image=image, batch_total=whole)
        return doc


def _plain(value: object) -> object:
    if isinstance(value, Fraction):
        return float(value)
    return list(value) if isinstance(value, tuple) else value


@dataclass
class Verification:
    name: str
    file: str
    device: str
    batch: int
    checks: list[Check] = field(default_factory=list)
    fvcore: Split | None = None  # fvcore's count by operator, beside nnarith's MACs

    @property
    def passed(self) -> bool:
        return all(c.status != "mismatch" for c in self.checks)

    def add(self, what: str, expected: object, measured: object, detail: str = "", group: str = "",
            unit: str = "") -> None:
        status = "ok" if expected == measured else "mismatch"
        self.checks.append(Check(what, expected, measured, status, detail, group, unit))

    def add_per_image(self, what: str, expected: int, measured_batch: int, unit: str, detail: str = "",
                      group: str = "", keys_per_batch: bool = False) -> None:
        """A figure measured on the whole batch, compared per image: divided by the batch, exactly."""
        measured = per_image(measured_batch, self.batch)
        if isinstance(measured, Fraction):
            detail = (f"{detail}; " if detail else "") + (f"measured {measured_batch:,} on the batch, "
                                                           f"not a multiple of {self.batch}")
        status = "ok" if expected == measured else "mismatch"
        self.checks.append(Check(what, expected, measured, status, detail, group, unit, self.batch,
                                 measured_batch, keys_per_batch))

    def json(self) -> dict:
        doc = {"schema": "nnarith.verify/1", "name": self.name, "file": self.file, "device": self.device,
               "batch": self.batch, "passed": self.passed, "checks": [c.json() for c in self.checks]}
        if self.fvcore is not None:
            doc["fvcore_by_operator"] = self.fvcore.json()
        return doc


def verify(spec: Network | str, device: str = "cpu", batch: int = 2,
           input: tuple[int, ...] | None = None) -> Verification:
    net = spec if isinstance(spec, Network) else load_spec(spec, input)
    report = checked(net, device, batch)
    with guard.out_of_memory(doing(report, batch)), warnings.catch_warnings():
        model, _ = build_with_report(net, report=report)
        model.eval().to(device)
        x = sample_input(report.input.dims, report.input.layout, batch, device)
        result = Verification(report.name, report.file, device, batch)
        warnings.filterwarnings("ignore", message=".*padding='same'.*")  # PyTorch's note on even kernels
        warnings.filterwarnings("ignore", message=".*torch.jit.*deprecated", category=DeprecationWarning)  # fvcore
        outputs = _outputs(model, report, x)
        _check_shapes(result, report, outputs, batch)
        _check_parameters(result, report, model)
        _check_fvcore(result, report, model, x)
        _check_flop_counter(result, report, model, x)
        _check_memory(result, report, outputs, x)
        from nnarith.torch.verify_training import check_training  # it builds on this module's checks

        check_training(result, net, report, model, device)  # last: it trains the model
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
    """No autograd, no fused oneDNN/cuDNN recurrent kernels, and no fused fast path of nn.MultiheadAttention
    (torch._native_multi_head_attention, taken in eval mode without autograd), whose matrix products
    FlopCounterMode cannot see: it counts that fast path as 0 FLOPs."""
    fastpath = torch.backends.mha.get_fastpath_enabled()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")  # from mkldnn.flags()
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False), torch.backends.cudnn.flags(enabled=False):
            torch.backends.mha.set_fastpath_enabled(False)
            try:
                yield
            finally:
                torch.backends.mha.set_fastpath_enabled(fastpath)


# scaled_dot_product_attention's CPU kernel (nn.MultiheadAttention's core, past its fast path), for which
# FlopCounterMode has no formula: it counts its q kᵀ and weighted sum of v as 0.
CPU_ATTENTION = "_scaled_dot_product_flash_attention_for_cpu"


def flop_counter():
    """FlopCounterMode, given for the CPU attention kernel the formula it has for PyTorch's other attention kernels
    (sdpa_flop_count: q kᵀ and the weighted sum of v over every score, 2 FLOPs per multiply-add)."""
    from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

    def cpu_attention(query, key, value, *args, out_shape=None, **kwargs) -> int:
        return sdpa_flop_count(query, key, value)

    return FlopCounterMode(display=False, custom_mapping={getattr(torch.ops.aten, CPU_ATTENTION): cpu_attention})


def attention_note(counter) -> Check | None:
    """The FLOPs of the CPU attention kernel that flop_counter() added to FlopCounterMode's count, named."""
    ops = counter.get_flop_counts().get("Global", {})
    flops = sum(n for op, n in ops.items() if str(op).endswith(CPU_ATTENTION))
    if not flops:
        return None
    return Check("attention matmuls FlopCounterMode cannot see", None, None, "note",
                 f"aten.{CPU_ATTENTION} (scaled_dot_product_attention on the CPU): {flops:,} FLOPs on the batch, "
                 "which FlopCounterMode counts as 0; counted by its own sdpa_flop_count and included above")


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
    """Parameters and buffers belong to the model, not to the batch: compared as they are. A Parameter
    that modules share (a tied weight) is a layer's where model.named_parameters() first names it, as
    PyTorch counts it once."""
    first = {id(p): name for name, p in model.named_parameters()}
    for row in report.rows + report.aux_rows:
        if row.kind not in MERGES:
            module = model.get_submodule(row.name)
            held = sum(p.numel() for p in module.parameters() if first[id(p)].startswith(row.name + "."))
            result.add(f"params {row.name}", row.params, held, group="layer params", unit="elements")
            result.add(f"buffers {row.name}", row.buffers, _own(module, "buffers"), group="layer buffers",
                       unit="elements")
    aux = [model.get_submodule(n) for n in {r.path[0] for r in report.aux_rows}] if report.aux_rows else []
    aux_params = sum(_own(m, "parameters") for m in aux)
    result.add("params", report.totals.params, _own(model, "parameters") - aux_params,
               "trainable elements, as sum(p.numel() for p in model.parameters())", unit="elements")
    result.add("buffers", report.totals.buffers, _own(model, "buffers") - sum(_own(m, "buffers") for m in aux),
               "as model.buffers() counts them", unit="elements")
    if report.aux_rows:
        result.add("params of the training-only heads", report.aux_totals.params, aux_params, unit="elements")


def _check_fvcore(result: Verification, report: Report, model, x: torch.Tensor) -> None:
    from fvcore.nn import FlopCountAnalysis

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    analysis = FlopCountAnalysis(model, x)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    by_module = analysis.by_module()
    for row in report.rows:
        if row.kind not in MERGES:
            result.add_per_image(f"fvcore {row.name}", row.fvcore, by_module.get(row.name, 0), "fvcore flops",
                                 group="layer fvcore counts", keys_per_batch=True)
    result.add_per_image("fvcore FlopCountAnalysis", sum(r.fvcore for r in report.rows), analysis.total(),
                         "fvcore flops", "nnarith's figure under fvcore's convention (layers/base.py)",
                         keys_per_batch=True)
    result.fvcore = split(report, analysis, x.shape[0])
    skipped = analysis.unsupported_ops()
    if skipped:
        listing = ", ".join(f"{op} x{count}" for op, count in sorted(skipped.items()))
        result.checks.append(Check("operators fvcore does not count", None, None, "note", listing))


def _check_flop_counter(result: Verification, report: Report, model, x: torch.Tensor) -> None:
    with unfused(), flop_counter() as counter:
        model(x)
    counts = {key.partition(".")[2]: sum(ops.values()) for key, ops in counter.get_flop_counts().items()}
    for row in report.rows:
        if row.kind not in MERGES:
            result.add_per_image(f"FLOPs {row.name}", 2 * row.macs, counts.get(row.name, 0), "FLOPs",
                                 group="layer FLOPs", keys_per_batch=True)
    result.add_per_image("FLOPs (torch FlopCounterMode)", report.totals.flops, counter.get_total_flops(), "FLOPs",
                         "FLOPs = 2 x MACs", keys_per_batch=True)
    note = attention_note(counter)
    if note:
        result.checks.append(note)


def _check_memory(result: Verification, report: Report, outputs: dict, x: torch.Tensor) -> None:
    """Distinct storages among the main layers' outputs, first seen at each layer."""
    size = torch.empty(0).element_size()  # the activations' (token ids, int64, are counted in it too)
    seen = {x.untyped_storage().data_ptr()}
    total = x.numel() * size
    for row in report.rows:
        storage = outputs[row.name].untyped_storage()
        new = storage.data_ptr() not in seen
        seen.add(storage.data_ptr())
        total += storage.nbytes() if new else 0
        result.add_per_image(f"memory {row.name}", row.held * size, storage.nbytes() if new else 0, "bytes",
                             group="layer memory")
    result.add_per_image("activation memory", report.totals.activations * size, total, "bytes",
                         "the input plus every distinct tensor the layers output, in fp32")

