"""`nnarith export SPEC --torch`: the spec as self-contained PyTorch source a student can paste.

The source is written from the constructor calls nnarith builds its model from (each a
Construct, nnarith/torch/construct.py), so it is the same network, with the same arguments and
module names (and so the same state_dict keys). The classes of nnarith.torch.modules those
calls need are copied in; the file needs only torch.
"""

from __future__ import annotations

import inspect

import torch

from nnarith.analysis.report import Report
from nnarith.analysis.walk import analyze
from nnarith.loader.nodes import Network
from nnarith.torch import attention_modules, guard, modules
from nnarith.torch.builder import network
from nnarith.torch.construct import Construct, resolve


def export(net: Network, spec_file: str) -> str:
    """The source of a spec's model. It is built first on the meta device, so that PyTorch
    checks every constructor call as `verify` would, yet allocates no weights: a layer of any
    size PyTorch can describe is printed at once."""
    report = analyze(net)
    guard.buildable(report, run=False)
    model = network(net, report)
    with torch.device("meta"):
        model.build()
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


def export_source(model: Construct, report: Report, spec_file: str) -> str:
    body = model.source("    ")
    helpers = "\n\n".join(inspect.getsource(cls).rstrip() for cls in helper_classes(model))
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


LIBRARIES = (modules.__name__, attention_modules.__name__)  # where the classes a Construct names are defined


def helper_classes(model: Construct) -> list[type]:
    """The classes of nnarith.torch.modules that the model's calls name, with what they need from
    there (their bases, and the classes in their `uses`), in the order they are defined."""
    todo = [resolve(name) for name in set(model.classes())]
    found: set[type] = set()
    while todo:
        cls = todo.pop()
        if cls.__module__ in LIBRARIES and cls not in found:
            found.add(cls)
            todo += [*cls.__mro__, *(getattr(modules, name) for name in getattr(cls, "uses", ()))]
    order = [*vars(modules).values(), *vars(attention_modules).values()]
    return sorted(found, key=order.index)
