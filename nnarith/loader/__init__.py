"""Spec loading: YAML text to the expanded network tree.

    load_spec("vgg16")            # a shipped spec, by name
    load_spec("my/net.yaml")      # a file
    parse_spec(text, "net.yaml")  # text already in hand
    load_spec("mlp.yaml", sets={"width": 1024})  # its spec arguments set (loader/args.py)
    template = load_template("mlp.yaml")  # read once, expanded for many values
    template.network({"width": 512}), template.network({"width": 1024})
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from nnarith.errors import SpecError, did_you_mean
from nnarith.loader.args import parse_set, parse_sets, split_item
from nnarith.loader.network import parse_network
from nnarith.loader.nodes import Network
from nnarith.loader.yaml_loader import load, read_text

SPEC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs")


def shipped() -> dict[str, str]:
    """The specs installed with nnarith, by name, as paths."""
    names = sorted(f for f in os.listdir(SPEC_DIR) if f.endswith(".yaml"))
    return {f[:-5]: os.path.join(SPEC_DIR, f) for f in names}


def find(name: str) -> str:
    """A path that exists is read; otherwise a shipped spec of that name is used."""
    if os.path.exists(name):
        return name
    stem = name[:-5] if name.endswith(".yaml") else name
    library = shipped()
    if stem in library and os.sep not in stem:
        return library[stem]
    hint = did_you_mean(stem, library) or "run 'nnarith list' to see the shipped specs"
    raise SpecError(f"no spec file '{name}', and no shipped spec of that name", hint=hint)


def load_spec(name: str, input: tuple[int, ...] | None = None, sets: Mapping[str, int | str] | None = None) -> Network:
    """The network of a spec; sets: values of its spec arguments, by name (a str is read as an integer)."""
    return load_template(name, input).network(sets)


def parse_spec(text: str, file: str, input: tuple[int, ...] | None = None,
               sets: Mapping[str, int | str] | None = None) -> Network:
    return parse_network(load(text, file), file, input, sets)


class Template:
    """A spec read once (its YAML parsed), to be expanded for many values of its arguments: solve tries
    dozens. Each network() is a new tree, as load_spec's."""

    def __init__(self, root: Any, file: str, input: tuple[int, ...] | None = None) -> None:
        self.root, self.file, self.input = root, file, input

    @property
    def names(self) -> tuple[str, ...]:
        """The spec arguments it declares, in order (none for a spec without args:)."""
        args = self.root.get("args") if isinstance(self.root, dict) else None
        return tuple(n for n in args if isinstance(n, str)) if isinstance(args, dict) else ()

    def network(self, sets: Mapping[str, int | str] | None = None) -> Network:
        return parse_network(self.root, self.file, self.input, sets)


def load_template(name: str, input: tuple[int, ...] | None = None) -> Template:
    path = find(name)
    file = _display(path, name)
    return Template(load(read_text(path), file), file, input)


def _display(path: str, asked: str) -> str:
    """Name shipped specs as specs/<name>.yaml in messages, files as the user gave them."""
    return asked if os.path.exists(asked) else f"specs/{os.path.basename(path)}"


__all__ = ["Network", "Template", "find", "load_spec", "load_template", "parse_set", "parse_sets", "parse_spec",
           "shipped", "split_item"]
