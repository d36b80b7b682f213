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
import inspect

import torch
from torch import nn

from nnarith.errors import UsageError
from nnarith.loader import load_spec
from nnarith.loader.nodes import Network
from nnarith.text import visible
from nnarith.torch import guard
from nnarith.torch.builder import build_with_report
from nnarith.torch.by_operator import per_image
from nnarith.torch.token_modules import sample_input
from nnarith.torch.verify import Check, Verification, attention_note, checked, doing, flop_counter, unfused

WANTED = "an nn.Module, or a function or class that builds one with no arguments, e.g. torchvision.models:resnet50"


def load_factory(target: str):
    """What MODULE:NAME names: an nn.Module, or a callable to build one (checked before it is called)."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise _refuse(f"--against '{target}' is not MODULE:FACTORY, e.g. torchvision.models:resnet50")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # an import can fail in any way; say how
        raise _refuse(f"--against: cannot import '{module_name}': {type(e).__name__}: {e}") from None
    if not hasattr(module, attr):
        raise _refuse(f"--against '{target}': '{module_name}' has no '{attr}'; give {WANTED}")
    factory = getattr(module, attr)
    if isinstance(factory, nn.Module):
        return factory
    found = _kind(factory)
    if found:
        raise _refuse(f"--against '{target}' is {found}; give {WANTED}")
    try:
        inspect.signature(factory).bind()
    except TypeError:
        needs = [p.name for p in inspect.signature(factory).parameters.values()
                 if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        raise _refuse(f"--against '{target}': {attr}() needs arguments ({', '.join(needs)}); give {WANTED}") from None
    except ValueError:  # no signature to read: it is called, and what it returns is checked
        pass
    return factory


def _kind(obj: object) -> str:
    """What obj is, where that is enough to refuse it without calling it ('' if it may be a factory).
    Built-ins are refused uncalled: os:system or builtins:exit would run, not build."""
    if inspect.isclass(obj):
        return "" if issubclass(obj, nn.Module) else f"a class that is not an nn.Module ({_name(obj)})"
    if inspect.isbuiltin(obj):
        return f"a built-in function ({_name(obj)})"
    return "" if callable(obj) else f"{_what(obj)}, not callable"


def _model(target: str) -> nn.Module:
    factory = load_factory(target)
    if isinstance(factory, nn.Module):
        return factory
    try:
        model = factory()
    except (Exception, SystemExit) as e:  # the user's code can fail in any way; say how
        raise _refuse(f"--against '{target}': calling it failed: {type(e).__name__}: {e}") from None
    if not isinstance(model, nn.Module):
        raise _refuse(f"--against '{target}': calling it returned {_what(model)}, not an nn.Module; give {WANTED}")
    return model


def _refuse(message: str) -> UsageError:
    return UsageError(visible(message.replace("\n", "\\n")))  # one line, whatever the names or the exception hold


def _name(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    return f"{module}.{obj.__qualname__}" if module else obj.__qualname__


def _what(value: object) -> str:
    return "None" if value is None else f"a {_name(type(value))}"


def _trace(model: nn.Module, x: torch.Tensor) -> tuple[list[tuple[str, tuple, bool]], tuple, int, Check | None]:
    """(leaf name, output shape, holds parameters) in execution order, the output shape, the FLOPs
    FlopCounterMode counts on the batch, and the note naming those of the CPU attention kernel it added."""
    seen: list[tuple[str, tuple, bool]] = []
    hooks = []
    for name, module in model.named_modules():
        if not list(module.children()):
            def record(m, args, out, name=name):
                if isinstance(out, torch.Tensor):
                    seen.append((name, tuple(out.shape[1:]), any(True for _ in m.parameters(recurse=False))))
            hooks.append(module.register_forward_hook(record))
    try:
        with unfused(), flop_counter() as fc:
            out = model(x)
    finally:
        for h in hooks:
            h.remove()
    out = out[0] if isinstance(out, (tuple, list)) else out
    return seen, tuple(out.shape[1:]), fc.get_total_flops(), attention_note(fc)


def against(spec: Network | str, target: str, device: str = "cpu", batch: int = 2) -> Verification:
    net = spec if isinstance(spec, Network) else load_spec(spec)
    report = checked(net, device, batch)
    theirs = _model(target)
    target = visible(target)  # it names checks in the output
    with guard.out_of_memory(doing(report, batch)):
        theirs.eval().to(device)
        ours, _ = build_with_report(net, report=report)
        ours.eval().to(device)
        x = sample_input(report.input.dims, report.input.layout, batch, device)
        mine, my_out, my_flops, _ = _trace(ours, x)
        other, their_out, their_flops, hidden = _trace(theirs, x)
    result = Verification(report.name, report.file, device, batch)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    result.add(f"params: spec vs {target}", count(ours), count(theirs), unit="elements")
    # FLOPs = 2 x MACs, on the batch: divided exactly (a Fraction, shown as such, if either does not divide)
    result.add(f"MACs per image: spec vs {target} (FlopCounterMode / 2)", per_image(my_flops, 2 * batch),
               per_image(their_flops, 2 * batch), unit="MACs")
    if hidden:
        result.checks.append(hidden)
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
                               len(weighted_theirs), "ok" if same else "mismatch", detail,
                               unit="layers"))
    matcher = difflib.SequenceMatcher(a=[s for _, s, _ in mine], b=[s for _, s, _ in other], autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    result.checks.append(Check("output shapes of all leaf modules", len(mine), len(other), "note",
                               f"{matched} align in order; the rest are layers one side applies as functions",
                               unit="layers"))
    return result


def _at(names: list[str], shapes: list[tuple], i: int) -> str:
    return f"{names[i]} {'x'.join(map(str, shapes[i]))}" if i < len(names) else "(none: the list ended)"
