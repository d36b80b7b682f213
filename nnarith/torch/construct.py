"""A module's constructor call as data: the one description that is both built and exported.

`Layer.torch`, the merges and the builder return a Construct (a class and its arguments)
instead of a live module, so `nnarith verify` and `bench` run exactly the model that
`nnarith export` writes: `build()` calls the constructor, `source()` writes the same call
as Python. Importing this module does not import torch; building and writing do.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

PLAIN = (bool, int, float, str, type(None))  # what a literal argument may hold, in (nested) tuples too


@dataclass(frozen=True)
class Children:
    """Named child modules in order: an OrderedDict of modules when built."""

    items: tuple[tuple[str, Construct], ...]


@dataclass(frozen=True)
class Construct:
    """A constructor call. cls: 'nn.Conv2d' (a torch.nn class) or the name of a class of
    nnarith.torch.modules ('FlattenLinear') or another of HELPER_MODULES; args and kwargs: plain
    values, Children, or Constructs."""

    cls: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def build(self) -> Any:
        """The module, on torch's current default device."""
        return resolve(self.cls)(*map(_build, self.args), **{k: _build(v) for k, v in self.kwargs})

    def source(self, indent: str = "") -> str:
        """The call as Python source, `indent` being the current line's. A keyword argument
        equal to the constructor's own default is left out: the call builds the same module."""
        defaults = _defaults(resolve(self.cls))
        parts = [_source(v, indent) for v in self.args]
        parts += [f"{k}={_source(v, indent)}" for k, v in self.kwargs if not _is(v, defaults.get(k, _NONE))]
        return f"{self.cls}({', '.join(parts)})"

    def classes(self) -> Iterator[str]:
        """The class names this call and the calls inside it use, outermost first."""
        yield self.cls
        for value in (*self.args, *(v for _, v in self.kwargs)):
            for child in [c for _, c in value.items] if isinstance(value, Children) else [value]:
                if isinstance(child, Construct):
                    yield from child.classes()


def construct(cls: str, *args: Any, **kwargs: Any) -> Construct:
    """Construct(cls, args, kwargs), written as the call it stands for."""
    return Construct(cls, args, tuple(kwargs.items()))


# nnarith.torch's files of the classes a spec needs beyond torch.nn, in the order export copies them
HELPER_MODULES = ("nnarith.torch.modules", "nnarith.torch.select_modules", "nnarith.torch.token_modules",
                  "nnarith.torch.local_modules", "nnarith.torch.attention_modules",
                  "nnarith.torch.window_modules")


def helper_modules() -> list[Any]:
    """The modules of HELPER_MODULES (imports torch)."""
    return [import_module(name) for name in HELPER_MODULES]


def resolve(cls: str) -> type:
    """The class a Construct names (imports torch)."""
    from torch import nn

    if cls.startswith("nn."):
        return getattr(nn, cls[3:])
    return next(vars(m)[cls] for m in helper_modules() if cls in vars(m))


_NONE = object()  # no default


def _build(value: Any) -> Any:
    if isinstance(value, Construct):
        return value.build()
    if isinstance(value, Children):
        return OrderedDict((name, child.build()) for name, child in value.items)
    return value


def _source(value: Any, indent: str) -> str:
    if isinstance(value, Construct):
        return value.source(indent)
    if isinstance(value, Children):
        inner = indent + "    "
        items = "".join(f"{inner}({_name(name)}, {child.source(inner)}),\n" for name, child in value.items)
        return f"OrderedDict([\n{items}{indent}])"
    return _literal(value)


def _literal(value: Any) -> str:
    """repr, for the values whose repr is a Python literal of the same value (a spec's numbers
    are finite: the loader refuses inf and nan)."""
    if not _plain(value):
        raise TypeError(f"no Python literal for the argument {value!r}")
    return repr(value)


def _plain(value: Any) -> bool:
    """A plain value, or a tuple of them, nested as deep as it is (a Network's ties: pairs of names)."""
    return isinstance(value, PLAIN) or isinstance(value, tuple) and all(map(_plain, value))


def _name(name: str) -> str:
    """A module name as a literal: in double quotes where that needs no escape (spec names are
    identifiers), else as repr writes it."""
    text = repr(name)
    return f'"{text[1:-1]}"' if text[0] == "'" and '"' not in name else text


@cache
def _defaults(cls: type) -> dict[str, Any]:
    params = inspect.signature(cls).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _is(value: Any, default: Any) -> bool:
    """Equal and of one type: True is not 1, nor 1.0 the 1 a default may be."""
    return type(value) is type(default) and value == default
