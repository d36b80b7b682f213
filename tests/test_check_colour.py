"""check's text report in colour: each verdict's line painted by its meaning, plain unless asked."""

from __future__ import annotations

import re

import pytest

from nnarith.check.output import render_text
from nnarith.check.run import check_file
from nnarith.render import style
from tests.helpers import ROOT

ANSWERS = ROOT / "examples" / "homework" / "answers.yaml"
MEANING = {"✓": "right", "✗": "wrong", "note": "note"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def recording(text: str, meaning: str) -> str:
    return f"<{meaning}>{text}</{meaning}>"


def test_plain_by_default(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = render_text(check_file("examples/homework/answers.yaml"), width=100)  # as piped
    assert "\x1b" not in text
    assert text == (ROOT / "examples" / "homework" / "answers.report.txt").read_text()


def test_each_line_painted_by_its_meaning():
    result = check_file(str(ANSWERS))
    lines = render_text(result, recording).splitlines()
    assert lines[0].startswith("<heading>") and lines[-1].startswith("<heading>")
    verdicts = [line for line in lines[1:-1] if line]
    assert len(verdicts) == len(result.items)
    for line, item in zip(verdicts, result.items):
        meaning = MEANING[{"ok": "✓", "wrong": "✗", "note": "note"}[item.status]]
        assert re.fullmatch(rf"<{meaning}>.*</{meaning}>", line), line


def test_escape_codes_come_after_the_padding(monkeypatch):
    """With colour on, the text without its codes is the plain report, columns where they were."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = check_file(str(ANSWERS))
    painted = render_text(result, style.painter())
    assert ANSI.search(painted)
    assert ANSI.sub("", painted) == render_text(result)


def test_a_document_cannot_send_escape_codes(tmp_path, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    path = tmp_path / "answers\x1b[2J.yaml"  # a file's name is the document's text too
    path.write_text("spec: alexnet_original\nconv1: {params: 34944}\n")
    painted = render_text(check_file(str(path)), style.painter())
    assert "\\x1b[2J" in ANSI.sub("", painted)  # shown, not sent
    assert painted.count("\x1b") == len(ANSI.findall(painted))  # every escape is a colour of paint's


@pytest.mark.parametrize("document, specs", [
    ("examples/homework/answers.yaml", None), ("examples/homework/key.yaml", None),
    ("examples/homework/alexnet_notes.txt", ["alexnet_original"]), ("examples/published/torchvision_weights.md", None),
    ("examples/ci/docs/model-card.md", ["examples/ci/model.yaml"]),
])
@pytest.mark.parametrize("width", [60, 80, 100])
def test_the_report_fits_the_width_and_folds_nothing_away(monkeypatch, document, specs, width):
    """Every line within the width; folded, the report holds the same words as unfolded, and each
    verdict still starts its own line."""
    monkeypatch.chdir(ROOT)
    result = check_file(document, specs)
    folded, whole = render_text(result, width=width), render_text(result)
    assert max(map(len, folded.splitlines())) <= width
    assert folded.split() == whole.split()
    starts = ("✓ ", "✗ ", "note ")
    assert sum(line.startswith(starts) for line in folded.splitlines()) == len(result.items)
