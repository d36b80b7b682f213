"""The README's examples are true: every `$ nnarith ...` line runs and prints what is shown."""

from __future__ import annotations

import shlex

import pytest

from tests.helpers import ROOT, cli

README = (ROOT / "README.md").read_text()


def plain_blocks(text: str) -> list[str]:
    """The code blocks fenced by a bare ``` (those with a language, such as ```text, are not sessions)."""
    blocks, current = [], None  # current: the lines of a bare block; False inside another block
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = [] if line.strip() == "```" else False
            else:
                if current is not False:
                    blocks.append("\n".join(current))
                current = None
        elif current is not None and current is not False:
            current.append(line)
    return blocks


def sessions() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for each `$ nnarith` line in the README's code blocks."""
    found = []
    for block in plain_blocks(README):
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
def test_readme_session(command, shown, tmp_path):
    argv = shlex.split(command)[1:]
    r = cli(*argv, cwd=tmp_path if "-o" in argv else ROOT)  # a file it writes lands in a scratch folder
    shows_an_error = any(" error: " in line for line in shown)  # then the session shows stderr, exit 2
    assert r.returncode == (2 if shows_an_error else 0), r.stderr
    real = [line.rstrip() for line in (r.stderr if shows_an_error else r.stdout).splitlines()]
    for line in shown:
        if line and line != "...":
            assert line.rstrip() in real, line


def test_quickstart_has_the_two_commands():
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/nnarith shape specs/vgg16.yaml" in README
    block = README.split("<!-- test-command -->")[1].split("<!-- /test-command -->")[0]
    assert "pip install torch==2.13.0" in block and "pytest" in block
    assert "test-command" in (ROOT / ".ci" / "run").read_text()
