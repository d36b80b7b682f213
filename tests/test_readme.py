"""The README's examples are true: every `$ nnarith ...` line runs and prints what is shown."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.helpers import ROOT, cli

README = (ROOT / "README.md").read_text()


def sessions() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for each `$ nnarith` line in the README's code blocks."""
    found = []
    for block in re.findall(r"```\n(.*?)```", README, flags=re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ nnarith"):
                shown = []
                for out in lines[i + 1:]:
                    if out.startswith("$ "):
                        break
                    shown.append(out)
                found.append((line[2:], shown))
    return found


@pytest.mark.parametrize("command, shown", sessions(), ids=lambda v: v if isinstance(v, str) else "")
def test_readme_session(command, shown):
    r = cli(*shlex.split(command)[1:])
    assert r.returncode == 0, r.stderr
    real = [line.rstrip() for line in r.stdout.splitlines()]
    for line in shown:
        if line and line != "...":
            assert line.rstrip() in real, line


def test_quickstart_has_the_two_commands():
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/nnarith shape specs/vgg16.yaml" in README
    block = README.split("<!-- test-command -->")[1].split("<!-- /test-command -->")[0]
    assert "pip install torch==2.13.0" in block and "pytest" in block
    assert "test-command" in (ROOT / ".ci" / "run").read_text()
