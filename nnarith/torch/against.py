"""`nnarith verify SPEC --against MODULE:FACTORY`: does the spec describe that model?

Both models run on the same input. We compare the parameter count, the MACs (PyTorch's
FlopCounterMode, halved, on both), the final output shape, and the sequence of output shapes
of the layers that hold parameters (convs, norms, linears), which any faithful spec repeats
in order. The output shapes of all leaf modules are compared too, as information: a model
may apply activations or pooling as functions, which have no module to hook.
"""

from __future__ import annotations

import difflib
import importlib

import torch
from torch import nn

from nnarith.errors import UsageError
from nnarith.spec.nodes import Network
from nnarith.torch.builder import build_with_report
from nnarith.torch.verify import Check, Verification, unfused


def load_factory(target: str):
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise UsageError(f"--against '{target}' is not MODULE:FACTORY, e.g. torchvision.models:resnet50")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # an import can fail in any way; say how
        raise UsageError(f"--against: cannot import '{module_name}': {type(e).__name__}: {e}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise UsageError(f"--against: '{module_name}' has no callable '{attr}'")
    return factory


def _trace(model: nn.Module, x: torch.Tensor) -> tuple[list[tuple[str, tuple, bool]], tuple, int]:
    """(leaf name, output shape, holds parameters) in execution order, the output shape, and MACs."""
    from torch.utils.flop_counter import FlopCounterMode

    seen: list[tuple[str, tuple, bool]] = []
    hooks = []
    for name, module in model.named_modules():
        if not list(module.children()):
            def record(m, args, out, name=name):
                if isinstance(out, torch.Tensor):
                    seen.append((name, tuple(out.shape[1:]), any(True for _ in m.parameters(recurse=False))))
            hooks.append(module.register_forward_hook(record))
    try:
        with unfused(), FlopCounterMode(display=False) as fc:
            out = model(x)
    finally:
        for h in hooks:
            h.remove()
    out = out[0] if isinstance(out, (tuple, list)) else out
    return seen, tuple(out.shape[1:]), fc.get_total_flops() // 2 // x.shape[0]


def against(spec: Network | str, target: str, device: str = "cpu", batch: int = 2) -> Verification:
    theirs = load_factory(target)().eval().to(device)
    ours, report = build_with_report(spec)
    ours.eval().to(device)
    x = torch.randn(batch, *report.input.dims, device=device)
    result = Verification(report.name, report.file, device, batch)
    mine, my_out, my_macs = _trace(ours, x)
    other, their_out, their_macs = _trace(theirs, x)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    result.add(f"params: spec vs {target}", count(ours), count(theirs))
    result.add(f"MACs per image: spec vs {target} (FlopCounterMode / 2)", my_macs, their_macs)
    result.add("final output shape", my_out, their_out)
    weighted_mine = [shape for _, shape, has in mine if has]
    weighted_theirs = [shape for _, shape, has in other if has]
    same = weighted_mine == weighted_theirs
    detail = "the same shapes in the same order"
    if not same:
        i = next((i for i, (a, b) in enumerate(zip(weighted_mine, weighted_theirs)) if a != b),
                 min(len(weighted_mine), len(weighted_theirs)))
        names_mine = [n for n, _, has in mine if has]
        names_theirs = [n for n, _, has in other if has]
        detail = (f"first difference at parametrised layer {i + 1}: spec "
                  f"{_at(names_mine, weighted_mine, i)} vs model {_at(names_theirs, weighted_theirs, i)}")
    result.checks.append(Check("output shapes of the layers with parameters, in order", len(weighted_mine),
                               len(weighted_theirs), "ok" if same else "mismatch", detail))
    matcher = difflib.SequenceMatcher(a=[s for _, s, _ in mine], b=[s for _, s, _ in other], autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    result.checks.append(Check("output shapes of all leaf modules", len(mine), len(other), "note",
                               f"{matched} align in order; the rest are layers one side applies as functions"))
    return result


def _at(names: list[str], shapes: list[tuple], i: int) -> str:
    return f"{names[i]} {'x'.join(map(str, shapes[i]))}" if i < len(names) else "(none: the list ended)"
