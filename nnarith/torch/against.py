"""`nnarith verify SPEC --against MODULE:FACTORY`: does the spec describe that model?

Both models run on the same input. We compare the parameter count, the buffers a state_dict holds,
the MACs (PyTorch's FlopCounterMode, halved, on both), the final output shape, and the sequence of
output shapes of the layers that hold parameters (convs, norms, linears), which any faithful spec
repeats in order. The output shapes of all leaf modules are compared too, as information: a model
may apply activations or pooling as functions, which have no module to hook.

A Hugging Face transformers model class (a PreTrainedModel subclass) is built from its config
class's defaults, `cls(cls.config_class())`: random weights, nothing downloaded. Such a model
returns a ModelOutput; its head is compared (logits, else pooler_output, else its first tensor).
An attention layer of the spec is one layer with parameters, as torch's nn.MultiheadAttention is;
a model that runs its projections as modules of their own (q, k and v apart, as BERT's, or fused,
as GPT-2's c_attn, then the output projection) matches it there with those.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import sys
from collections.abc import Mapping

import torch
from torch import nn

from nnarith.errors import UsageError
from nnarith.loader import load_spec
from nnarith.loader.nodes import Network
from nnarith.text import visible
from nnarith.torch import guard
from nnarith.torch.attention_modules import SelfAttention
from nnarith.torch.builder import build_with_report
from nnarith.torch.by_operator import per_image
from nnarith.torch.token_modules import sample_input
from nnarith.torch.verify import Check, Verification, attention_note, checked, doing, flop_counter, unfused

WANTED = ("an nn.Module, or a function or class that builds one with no arguments, e.g. torchvision.models:resnet50, "
          "or a transformers model class, built from its config, e.g. transformers:BertModel")


def load_factory(target: str):
    """What MODULE:NAME names: an nn.Module, or a callable to build one (checked before it is called)."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise _refuse(f"--against '{target}' is not MODULE:FACTORY, e.g. torchvision.models:resnet50")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # an import can fail in any way; say how
        raise _refuse(f"--against: cannot import '{module_name}': {type(e).__name__}: {e}{_install(module_name)}"
                      ) from None
    if not hasattr(module, attr):
        raise _refuse(f"--against '{target}': '{module_name}' has no '{attr}'; give {WANTED}")
    factory = getattr(module, attr)
    if isinstance(factory, nn.Module) or _pretrained(factory):
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


def _install(module_name: str) -> str:
    """How to make a model library importable: torchvision's build must match torch's."""
    top = module_name.partition(".")[0]
    if top == "torchvision":
        return (f"; torchvision factories work where torchvision imports: install the torchvision release built for "
                f"this torch ({torch.__version__})")
    return ""


def _pretrained(obj: object) -> bool:
    """A transformers model class with a config class of its own (PreTrainedModel itself has none). transformers
    is imported already where such a class exists; it is not imported here for anything else."""
    transformers = sys.modules.get("transformers")
    return (transformers is not None and inspect.isclass(obj) and issubclass(obj, transformers.PreTrainedModel)
            and inspect.isclass(getattr(obj, "config_class", None)))


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
        model = factory(factory.config_class()) if _pretrained(factory) else factory()
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


# A layer with parameters as _trace records it: its name, its output shape without the batch, and for an attention
# module the features of its q, k and v projections (None for any other layer).
Layer = tuple[str, tuple, int | None]


def _attention(module: nn.Module, out) -> tuple[tuple, int] | None:
    """(output shape, q/k/v features) of an attention module that holds its projections itself: nnarith's, torch's."""
    if isinstance(module, SelfAttention):
        return tuple(out.shape[1:]), module.heads * module.head_dim
    if isinstance(module, nn.MultiheadAttention):
        y = out[0]
        return (tuple(y.shape[1:]) if module.batch_first else (y.shape[0], y.shape[2])), module.embed_dim
    return None


def _trace(model: nn.Module, x: torch.Tensor) -> tuple[list[tuple[Layer, bool]], tuple, str, int, Check | None]:
    """((layer, holds parameters) for the leaves and attention modules, in execution order; the output shape and
    what it is; the FLOPs FlopCounterMode counts on the batch; the note naming those of the CPU attention kernel
    it added)."""
    seen: list[tuple[Layer, bool]] = []
    units = [name for name, m in model.named_modules() if isinstance(m, (SelfAttention, nn.MultiheadAttention))]
    hooks = []
    for name, module in model.named_modules():
        if any(name.startswith(f"{u}.") for u in units if u):
            continue  # inside an attention module, which is recorded whole
        if name in units or not list(module.children()):
            def record(m, args, out, name=name):
                unit = _attention(m, out)
                if unit:
                    seen.append(((name, unit[0], unit[1]), True))
                elif isinstance(out, torch.Tensor):
                    seen.append(((name, tuple(out.shape[1:]), None), any(True for _ in m.parameters(recurse=False))))
            hooks.append(module.register_forward_hook(record))
    try:
        with unfused(), flop_counter() as fc:
            out = model(x)
    finally:
        for h in hooks:
            h.remove()
    out, what = _head(out)
    return seen, tuple(out.shape[1:]), what, fc.get_total_flops(), attention_note(fc)


def _head(out) -> tuple[torch.Tensor, str]:
    """The tensor the spec's output is compared with, and which it is: a Hugging Face ModelOutput's logits (a head's
    output), else its pooler_output (BertModel's), else its first tensor (last_hidden_state); a tuple's first."""
    if isinstance(out, Mapping):
        tensors = {k: v for k, v in out.items() if isinstance(v, torch.Tensor)}
        key = next((k for k in ("logits", "pooler_output") if k in tensors), next(iter(tensors), None))
        if key is not None:
            return tensors[key], key
    out = out[0] if isinstance(out, (tuple, list)) and out else out
    if not isinstance(out, torch.Tensor):
        raise _refuse(f"--against: the model returned {_what(out)}, not a tensor to compare with the spec's output")
    return out, ""


def _match(layer: Layer, theirs: list[Layer], j: int) -> int:
    """How many of the model's layers with parameters, from the j-th, the spec's layer matches (0: none). An
    attention [T, F] whose q, k and v have I features each matches an attention module of the same, or the
    projections run as modules: [T, m*I] for m of 1 to 3, 3*I features in all, then the output's [T, F]."""
    _, shape, inner = layer
    if j < len(theirs) and theirs[j][1:] == (shape, inner):
        return 1
    if inner is None:
        return 0
    width, k = 0, j
    while k < len(theirs) and width < 3 * inner and theirs[k][2] is None:
        got = theirs[k][1]
        if len(got) != 2 or got[0] != shape[0] or got[1] % inner:
            break
        width, k = width + got[1], k + 1
    return k + 1 - j if width == 3 * inner and k < len(theirs) and theirs[k][1:] == (shape, None) else 0


def _align(mine: list[Layer], theirs: list[Layer]) -> tuple[int | None, int, int]:
    """(the index of the spec's first layer that differs, None if all match and none of the model's is left over;
    where the model's list stands there; how many of the spec's attention layers matched projections run apart)."""
    j = apart = 0
    for i, layer in enumerate(mine):
        n = _match(layer, theirs, j)
        if not n:
            return i, j, apart
        apart += n > 1
        j += n
    return (None if j == len(theirs) else len(mine)), j, apart


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
        mine, my_out, _, my_flops, _ = _trace(ours, x)
        other, their_out, what, their_flops, hidden = _trace(theirs, x)
    result = Verification(report.name, report.file, device, batch)
    if _pretrained(type(theirs)):
        result.checks.append(_built(theirs))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    result.add(f"params: spec vs {target}", count(ours), count(theirs), unit="elements")
    result.add(f"buffers: spec vs {target} (those state_dict holds)", _buffers(ours), _buffers(theirs),
               unit="elements")
    result.checks += _indices(ours) + _indices(theirs)
    # FLOPs = 2 x MACs, on the batch: divided exactly (a Fraction, shown as such, if either does not divide)
    result.add(f"MACs per image: spec vs {target} (FlopCounterMode / 2)", per_image(my_flops, 2 * batch),
               per_image(their_flops, 2 * batch), unit="MACs")
    if hidden:
        result.checks.append(hidden)
    result.add(f"final output shape: spec vs the model's {visible(what)}" if what else "final output shape", my_out,
               their_out)
    result.checks.append(_layers(mine, other))
    matcher = difflib.SequenceMatcher(a=[s for (_, s, _), _ in mine], b=[s for (_, s, _), _ in other],
                                      autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    result.checks.append(Check("output shapes of all leaf modules", len(mine), len(other), "note",
                               f"{matched} align in order; the rest are layers one side applies as functions",
                               unit="layers"))
    return result


def _built(model: nn.Module) -> Check:
    config = model.config
    return Check("model built from its config", None, None, "note",
                 f"{type(model).__name__}({type(config).__name__}()): its defaults, random weights, nothing "
                 f"downloaded; attn_implementation {getattr(config, '_attn_implementation', None)!r}")


def _buffers(model: nn.Module) -> int:
    """The elements of the buffers a state_dict holds: a model's state, as BN's running statistics are."""
    kept = set(model.state_dict(keep_vars=True))
    return sum(b.numel() for name, b in model.named_buffers() if name in kept)


def _indices(model: nn.Module) -> list[Check]:
    """A note on the buffers a state_dict leaves out (non-persistent: a transformers model's position_ids), which
    are indices the model rebuilds, not state."""
    kept = set(model.state_dict(keep_vars=True))
    others = [(name, b.numel()) for name, b in model.named_buffers() if name not in kept]
    if not others:
        return []
    return [Check("non-persistent buffers, not compared", None, sum(n for _, n in others), "note",
                  f"{sum(n for _, n in others):,} elements ({', '.join(visible(name) for name, _ in others)}): "
                  "indices the model rebuilds, not its state", unit="elements")]


def _layers(mine: list[tuple[Layer, bool]], other: list[tuple[Layer, bool]]) -> Check:
    weighted_mine = [layer for layer, has in mine if has]
    weighted_theirs = [layer for layer, has in other if has]
    differs, j, apart = _align(weighted_mine, weighted_theirs)
    detail = "the same shapes in the same order"
    if apart:
        detail += f"; {apart} attention layers matched to the projections the model runs as modules of their own"
    if differs is not None:
        detail = (f"first difference at parametrised layer {differs + 1}: spec {_at(weighted_mine, differs)} "
                  f"vs model {_at(weighted_theirs, j)}")
    # the model's count in the spec's layers where all match (its projections grouped), else as it holds them
    measured = len(weighted_mine) if differs is None else len(weighted_theirs)
    return Check("output shapes of the layers with parameters, in order", len(weighted_mine), measured,
                 "ok" if differs is None else "mismatch", detail, unit="layers")


def _at(layers: list[Layer], i: int) -> str:
    if i >= len(layers):
        return "(none: the list ended)"
    name, shape, inner = layers[i]
    return f"{visible(name)} {'x'.join(map(str, shape))}" + (f" (attention, q/k/v of {inner})" if inner else "")
