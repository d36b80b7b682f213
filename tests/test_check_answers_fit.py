"""Answers that say a size does not fit: `(7 - 3)/3 + 1 = 2.33`, `2.33`, "doesn't fit".

A window of F with stride S and padding P over N gives (N + 2P - F)/S + 1. Where that is not whole,
PyTorch floors it (the spec's output); a lecture says the filter does not fit. The floored size is
right by default and a note under --strict; the fraction (to the precision written) or the words are
a note by default and right under --strict. Where the size divides, "doesn't fit" is wrong.
Every expected verdict here follows from the formula, computed with exact fractions.
"""

from __future__ import annotations

import json
from fractions import Fraction
from math import floor

import pytest

from nnarith.cli import main

C = 4  # the convolution's filters

# (N, F, S, P): 7x7 under a 3x3 filter at stride 3 (the issue's), sizes that divide, and ResNet's conv1
WINDOWS = [(7, 3, 3, 0), (8, 3, 2, 0), (10, 4, 3, 1), (7, 3, 2, 0), (224, 7, 2, 3), (227, 11, 4, 0)]


def exact(n: int, f: int, s: int, p: int) -> Fraction:
    return Fraction(n + 2 * p - f, s) + 1


def answers(n: int, f: int, s: int, p: int) -> list[tuple[str, str]]:
    """(answer, how it answers): PyTorch's whole size, the lecture's fraction or words, or neither."""
    x = exact(n, f, s, p)
    whole = floor(x)
    pad = f" + 2*{p}" if p else ""
    out = [(str(whole), "floor"), (f"{C}x{whole}x{whole}", "floor"), (f"{whole}x{whole}x{C}", "floor"),
           (f"({n}{pad} - {f})/{s} + 1 = {float(x):.2f} -> {whole}", "floor"), ("doesn't fit", "lecture"),
           ("does not fit", "lecture")]
    if x.denominator > 1:
        two, one = f"{float(x):.2f}", f"{float(x):.1f}"
        out += [(f"({n}{pad} - {f})/{s} + 1 = {two}", "lecture"), (two, "lecture"), (one, "lecture"),
                (f"{two}x{two}", "lecture"), (f"{C}x{two}x{two}", "lecture"), (f"{two}x{two}x{C}", "lecture"),
                (f"[1, {C}, {one}, {one}]", "lecture"), (f"{n + 2 * p - f}/{s} + 1", "lecture"),
                (f"{float(x) + 0.2:.1f}", "neither"), (f"{float(x) + 0.01:.2f}", "neither"),
                (f"{two}x{two}x{C + 1}", "neither"), (str(whole + 1), "neither")]
    return out


def verdict(how: str, divides: bool, strict: bool) -> str:
    if how == "neither" or (how == "lecture" and divides):
        return "wrong"
    if how == "floor":
        return "note" if strict and not divides else "ok"
    return "ok" if strict else "note"


CASES = [(w, a, how, strict) for w in WINDOWS for a, how in answers(*w) for strict in (False, True)]


def check(tmp_path, capsys, spec: str, body: str, strict: bool, name: str = "answers.yaml") -> tuple[int, list]:
    (tmp_path / "net.yaml").write_text(spec)
    path = tmp_path / name
    path.write_text(body)
    argv = ["check", str(path), "--format", "json", *(["--strict"] if strict else [])]
    if not name.endswith(".yaml"):
        argv += ["--spec", str(tmp_path / "net.yaml")]
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)["items"] if code in (0, 1) else out


def conv_spec(n: int, f: int, s: int, p: int, dims: int = 2) -> str:
    size = ", ".join([str(n)] * dims)
    conv = f"{{name: conv1, out: {C}, kernel: {f}, stride: {s}, pad: {p}}}"
    return f"name: fit\ninput: [1, {size}]\nlayers:\n  - conv: {conv}\n"


@pytest.mark.parametrize("window, answer, how, strict", CASES,
                         ids=[f"{w[0]}-{w[1]}-{w[2]}-{w[3]} {a} {'strict' if st else 'default'}"
                              for w, a, _, st in CASES])
def test_an_answer_for_a_size_that_may_not_divide(tmp_path, capsys, window, answer, how, strict):
    code, items = check(tmp_path, capsys, conv_spec(*window), f'spec: net.yaml\nconv1:\n  output: "{answer}"\n',
                        strict)
    expected = verdict(how, exact(*window).denominator == 1, strict)
    assert [i["status"] for i in items] == [expected], items
    assert code == (1 if expected == "wrong" else 0)


# 1-D (a series of 7 under a 3-wide window at stride 3) and per dimension: 7x9, where only the height does
# not divide ((7 - 3)/3 + 1 = 7/3; (9 - 3)/3 + 1 = 3)
SHAPED = [
    (1, "2.33", "lecture"), (1, f"{C}x2.33", "lecture"), (1, f"2.33x{C}", "lecture"), (1, "2", "floor"),
    (1, f"{C}x2", "floor"), (1, "doesn't fit", "lecture"), (1, "2.4", "neither"),
    (2, "2.33x3", "lecture"), (2, f"{C}x2.33x3", "lecture"), (2, f"2.3x3x{C}", "lecture"), (2, "2x3", "floor"),
    (2, f"{C}x2x3", "floor"), (2, "doesn't fit", "lecture"), (2, "3x2.33", "neither"), (2, "2.33", "neither"),
    (2, "2.33x2.33", "neither"), (2, "2.33x3.33", "neither"),
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("dims, answer, how", SHAPED)
def test_per_dimension(tmp_path, capsys, dims, answer, how, strict):
    size = "7" if dims == 1 else "7, 9"
    spec = f"name: fit\ninput: [1, {size}]\nlayers:\n  - conv: {{name: conv1, out: {C}, kernel: 3, stride: 3}}\n"
    _, items = check(tmp_path, capsys, spec, f'spec: net.yaml\nconv1: {{output: "{answer}"}}\n', strict)
    assert [i["status"] for i in items] == [verdict(how, False, strict)], items


POOL = "name: fit\ninput: [4, 8, 8]\nlayers:\n  - maxpool: {name: pool1, kernel: 3, stride: 2, ceil: true}\n"


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("answer, how", [("4", "floor"), ("3.5", "lecture"), ("4x3.5x3.5", "lecture"),
                                         ("doesn't fit", "lecture"), ("3", "neither")])
def test_ceil_mode_rounds_up(tmp_path, capsys, answer, how, strict):
    """(8 - 3)/2 + 1 = 3.5, which ceil mode makes 4; 3 is what floor would give, and pooling rounding down
    is another convention (a note by default), not the lecture's answer."""
    _, items = check(tmp_path, capsys, POOL, f'spec: net.yaml\npool1: {{output: "{answer}"}}\n', strict)
    if answer == "3":
        assert items[0]["status"] == ("wrong" if strict else "note")
        assert "floor vs ceil" in items[0]["derivation"]
        return
    assert [i["status"] for i in items] == [verdict(how, False, strict)], items
    if how == "lecture" and not strict:
        assert "PyTorch rounds it up (ceil mode)" in items[0]["derivation"]


# The same answers where a student may write them: a Markdown table, notes one layer a line, prose
DOCUMENTS = [
    ("answers.md", "| layer | output |\n|---|---|\n| conv1 | doesn't fit |\n| conv2 | 2x2x4 |\n"),
    ("answers.md", "| layer | output |\n|---|---|\n| conv1 | 2.33x2.33x4 |\n| conv2 | 2x2x4 |\n"),
    ("answers.txt", "CONV1: doesn't fit\nCONV2: [2x2x4]\n"),
    ("answers.txt", "CONV1: [2.33x2.33x4]\nCONV2: output: 2x2x4\n"),
    ("answers.md", "The output of conv1 doesn't fit.\n\nThe output of conv2 is 2x2x4.\n"),
    ("answers.md", "The output of conv1 is 2.33x2.33x4.\n\nThe output of conv2 is 2x2x4.\n"),
]
TWO = ("name: fit\ninput: [1, 7, 7]\nlayers:\n  - conv: {name: conv1, out: 4, kernel: 3, stride: 3}\n"
       "  - conv: {name: conv2, out: 4, kernel: 1}\n")


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("name, text", DOCUMENTS)
def test_in_documents(tmp_path, capsys, name, text, strict):
    code, items = check(tmp_path, capsys, TWO, text, strict, name)
    assert [(i["what"], i["status"]) for i in items] == [("conv1 output", "ok" if strict else "note"),
                                                         ("conv2 output", "ok")]
    assert code == 0


def test_doesnt_fit_where_it_fits_is_wrong_and_says_so(tmp_path, capsys):
    code, items = check(tmp_path, capsys, TWO, "spec: net.yaml\nconv2: {output: doesn't fit}\n", True)
    assert code == 1 and items[0]["status"] == "wrong" and "it fits: its sizes divide" in items[0]["derivation"]


def test_an_unreadable_answer_says_where(tmp_path, capsys):
    (tmp_path / "net.yaml").write_text(TWO)
    (tmp_path / "answers.yaml").write_text("spec: net.yaml\nconv1:\n  output: fits badly\n")
    assert main(["check", str(tmp_path / "answers.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'answers.yaml'}:3:11: error: cannot read the output 'fits badly'" in err
    assert "doesn't fit" in err  # the hint names the lecture's answer
