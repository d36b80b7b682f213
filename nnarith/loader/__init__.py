"""Spec loading: YAML text to the expanded network tree.

    load_spec("vgg16")            # a shipped spec, by name
    load_spec("my/net.yaml")      # a file
    parse_spec(text, "net.yaml")  # text already in hand
"""

from __future__ import annotations

import os

from nnarith.errors import SpecError, did_you_mean
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


def load_spec(name: str, input: tuple[int, ...] | None = None) -> Network:
    path = find(name)
    return parse_spec(read_text(path), _display(path, name), input)


def parse_spec(text: str, file: str, input: tuple[int, ...] | None = None) -> Network:
    return parse_network(load(text, file), file, input)


def _display(path: str, asked: str) -> str:
    """Name shipped specs as specs/<name>.yaml in messages, files as the user gave them."""
    return asked if os.path.exists(asked) else f"specs/{os.path.basename(path)}"


__all__ = ["Network", "find", "load_spec", "parse_spec", "shipped"]
