"""`nnarith export SPEC --torch`: the spec as self-contained PyTorch source a student can paste.

The source is written from the model nnarith builds, module by module, so it is the same
network with the same module names (and so the same state_dict keys). Helper classes it needs
from nnarith.torch.modules are copied in; the file needs only torch.
"""

from __future__ import annotations

import inspect
import re

from torch import nn

from nnarith.analysis.report import Report
from nnarith.torch import modules

# Helper classes in the order they are defined, with what each one needs.
HELPERS = ["Sequence", "AuxHead", "Network", "Concat", "Add", "FlattenLinear", "Maxout", "_Steps", "RNN",
           "GRU", "LSTM"]
NEEDS = {"AuxHead": {"Sequence"}, "Network": {"Sequence", "AuxHead"}, "RNN": {"_Steps"}, "GRU": {"_Steps"},
         "LSTM": {"_Steps"}}
CONTAINERS = (modules.Concat, modules.Add, nn.Sequential)


def export_source(model: modules.Network, report: Report, spec_file: str) -> str:
    used: set[str] = set()
    body = _module(model, "    ", used)
    for name in list(used):
        used |= NEEDS.get(name, set())
    helpers = "\n\n".join(inspect.getsource(getattr(modules, name)).rstrip() for name in HELPERS if name in used)
    dims = ", ".join(map(str, report.input.dims))
    source = f"\nSource: {report.source}" if report.source else ""
    return f'''"""{report.name} as a PyTorch module, written by `nnarith export {spec_file} --torch`.
{source}
Input: [N, {dims}]. Module names follow the spec's layer names.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn


{helpers}


def build() -> nn.Module:
    return {body}


if __name__ == "__main__":
    model = build().eval()
    print(model(torch.randn(2, {dims})).shape)
'''


def _module(module: nn.Module, indent: str, used: set[str]) -> str:
    cls = type(module).__name__
    if isinstance(module, CONTAINERS):
        used.add(cls)
        inner = indent + "    "
        items = "".join(f'{inner}("{name}", {_module(child, inner, used)}),\n'
                        for name, child in module.named_children())
        into = f", into={module.into}" if isinstance(module, modules.Add) else ""
        return f"{cls}(OrderedDict([\n{items}{indent}]){into})"
    if type(module).__module__ == modules.__name__:
        used.add(cls)
        return repr(module)
    return "nn." + _constructor(module)


def _constructor(module: nn.Module) -> str:
    """torch.nn's repr is its constructor call, but for a few spellings fixed here."""
    text = repr(module)
    text = re.sub(r"padding=(same|valid)\b", r"padding='\1'", text)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):  # keep only what differs from the defaults
        extra = "" if module.affine else ", affine=False"
        text = f"{type(module).__name__}({module.num_features}, eps={module.eps}{extra})"
    return text
