"""`nnarith export SPEC --torch`: the spec as self-contained PyTorch source a student can paste.

The source is written from the model nnarith builds, module by module, so it is the same
network with the same module names (and so the same state_dict keys). Helper classes it needs
from nnarith.torch.modules are copied in; the file needs only torch.
"""

from __future__ import annotations

import inspect
import re

import torch
from torch import nn

from nnarith.analysis.report import Report
from nnarith.analysis.walk import analyze
from nnarith.loader.nodes import Network
from nnarith.torch import guard, modules
from nnarith.torch.builder import build_with_report

# Helper classes in the order they are defined, with what each one needs.
HELPERS = ["Sequence", "AuxHead", "Network", "Concat", "Elementwise", "Add", "Mul", "FlattenLinear", "Maxout",
           "_Steps", "RNN", "GRU", "LSTM"]
NEEDS = {"Add": {"Elementwise"}, "Mul": {"Elementwise"}, "AuxHead": {"Sequence"}, "Network": {"Sequence", "AuxHead"},
         "RNN": {"_Steps"}, "GRU": {"_Steps"}, "LSTM": {"_Steps"}}
CONTAINERS = (modules.Concat, modules.Elementwise, nn.Sequential)


def export(net: Network, spec_file: str) -> str:
    """The source of a spec's model, built on the meta device: printing it allocates no weights,
    so a layer of any size PyTorch can describe is printed at once."""
    report = analyze(net)
    guard.buildable(report, run=False)
    with torch.device("meta"):
        model, _ = build_with_report(net, report=report)
    return export_source(model, report, spec_file)


def docstring(report: Report, spec_file: str) -> str:
    """The exported file's docstring, as text (export_source writes it as a literal)."""
    source = f"\nSource: {report.source}" if report.source else ""
    dims = ", ".join(map(str, report.input.dims))
    return (f"{report.name} as a PyTorch module, written by `nnarith export {spec_file} --torch`.\n{source}\n"
            f"Input: [N, {dims}]. Module names follow the spec's layer names.\n")


def string_literal(text: str) -> str:
    """A triple-quoted Python literal whose value is exactly `text`, whatever the spec's name,
    source or path hold: backslashes and quotes are escaped (no `\\U`, no closing quotes, so
    no code from a spec), control characters written as escapes; other text stays readable."""
    return '"""' + "".join(map(_escape, text)) + '"""'


def _escape(c: str) -> str:
    if c in '\\"':
        return "\\" + c
    return c if c == "\n" or c.isprintable() else ascii(c)[1:-1]


def export_source(model: modules.Network, report: Report, spec_file: str) -> str:
    used: set[str] = set()
    body = _module(model, "    ", used)
    for name in list(used):
        used |= NEEDS.get(name, set())
    helpers = "\n\n".join(inspect.getsource(getattr(modules, name)).rstrip() for name in HELPERS if name in used)
    dims = ", ".join(map(str, report.input.dims))
    return f'''{string_literal(docstring(report, spec_file))}

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
        items = "".join(f'{inner}({_name(name)}, {_module(child, inner, used)}),\n'
                        for name, child in module.named_children())
        into = f", into={module.into}" if isinstance(module, modules.Elementwise) else ""
        return f"{cls}(OrderedDict([\n{items}{indent}]){into})"
    if type(module).__module__ == modules.__name__:
        used.add(cls)
        return repr(module)
    return "nn." + _constructor(module)


def _name(name: str) -> str:
    """A module name as a literal: in double quotes where that needs no escape (spec names are
    identifiers), else as repr writes it."""
    text = repr(name)
    return f'"{text[1:-1]}"' if text[0] == "'" and '"' not in name else text


def _constructor(module: nn.Module) -> str:
    """torch.nn's repr is its constructor call, but for a few spellings fixed here."""
    text = repr(module)
    text = re.sub(r"padding=(same|valid)\b", r"padding='\1'", text)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):  # keep only what differs from the defaults
        extra = "" if module.affine else ", affine=False"
        text = f"{type(module).__name__}({module.num_features}, eps={module.eps}{extra})"
    return text
