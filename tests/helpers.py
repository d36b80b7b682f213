"""Small helpers shared by the tests: analyse a spec written inline, run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from nnarith.analysis.report import Report, Row
from nnarith.analysis.walk import analyze
from nnarith.loader import parse_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
SCRIPTS = sysconfig.get_path("scripts")  # where this interpreter's console scripts live (a venv's bin/)
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": SCRIPTS + os.pathsep + os.environ.get("PATH", "")}


def input_text(input: tuple[int, ...] | dict[str, int]) -> str:
    """A spec's input as written: sizes as a list, channels first, or a mapping naming the axes, as
    {"ids": 16} or {"tokens": 4, "features": 6}, written {ids: 16}."""
    if isinstance(input, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in input.items()) + "}"
    return str(list(input))


def report(layers: list[str] | str, input: tuple[int, ...] | dict[str, int], **kw) -> Report:
    """Analyse layers written in the spec syntax, one per list item."""
    if isinstance(layers, str):
        layers = [layers]
    text = f"input: {input_text(input)}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)
    return analyze(parse_spec(text, "t.yaml"), **kw)


def last(layer: str, input: tuple[int, ...] | dict[str, int]) -> Row:
    return report(layer, input).rows[-1]


def spec_text(text: str, **kw) -> Report:
    return analyze(parse_spec(text, "t.yaml"), **kw)


def cli(*args: str, cwd: Path | str = ROOT, input: str | None = None,
        pythonpath: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as a user would (killed past `timeout` seconds)."""
    env = {**ENV, "PYTHONPATH": pythonpath} if pythonpath else ENV
    return subprocess.run([sys.executable, "-m", "nnarith", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, input=input, timeout=timeout)
