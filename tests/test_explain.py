"""--explain: each figure's arithmetic with the numbers filled in, in the table and in Markdown."""

from __future__ import annotations

import re

import pytest

from nnarith.analysis.walk import analyze
from nnarith.check.numbers import read_numbers
from nnarith.loader import load_spec
from nnarith.render.explain import explain_text
from tests.helpers import cli


def working(stdout: str) -> list[str]:
    return stdout.split("Working: each figure's arithmetic, numbers filled in\n", 1)[1].splitlines()


def test_the_issue_examples():
    r = cli("calc", "--input", "64x112x112", "conv: {out: 128, kernel: 3, pad: 1}", "--explain")
    assert r.returncode == 0, r.stderr
    lines = working(r.stdout)
    assert "conv1 (conv)" in lines
    assert "    output           128x112x112: (112 + 2*1 - 3)/1 + 1 = 112" in lines
    assert f"    params           128 x (3*3*64 + 1) = {128 * (3 * 3 * 64 + 1):,}" in lines
    assert f"    MACs             112*112*128 x 3*3*64 = {112 * 112 * 128 * 3 * 3 * 64:,}" in lines
    n = 128 * 112 * 112
    assert f"    memory           128*112*112 = {n:,} elements x 4 bytes = {n * 4:,} bytes" in lines


def test_the_receptive_field_recurrence():
    # r_out = r_in + (k-1)*j_in, j_out = j_in*s: 1 -> 3, then 3 + 2*1 = 5 with jump 2, then 5 + 2*2 = 9
    r = cli("calc", "-i", "1x32x32", "conv: {out: 1, kernel: 3}", "conv: {out: 1, kernel: 3, stride: 2}",
            "conv: {out: 1, kernel: 3}", "--explain")
    rf = [line.split("receptive field", 1)[1].strip() for line in working(r.stdout) if "receptive field" in line]
    assert rf == ["r = 1 + (3-1)*1 = 3", "r = 3 + (3-1)*1 = 5, jump 1*2 = 2", "r = 5 + (3-1)*2 = 9"]


def test_per_dimension_and_whole_fields():
    r = cli("calc", "-i", "2x9x9", "conv: {out: 2, kernel: [1, 3]}", "gap", "--explain")
    lines = working(r.stdout)
    assert "    receptive field  H: r = 1 + (1-1)*1 = 1; W: r = 1 + (3-1)*1 = 3" in lines
    assert "    receptive field  the whole input" in lines


@pytest.mark.parametrize("spec", ["vgg16", "resnet50", "googlenet", "conv_autoencoder", "squeezenet1_0"])
def test_every_shown_equation_is_true(spec):
    """Each working line, read back by nnarith check's own parser, agrees with itself."""
    report = analyze(load_spec(spec))
    checked = 0
    for line in explain_text(report):
        m = re.match(r"    (output|params|MACs|memory) +(.*)$", line)
        if not m or "=" not in m[2]:
            continue
        text = m[2].split(": ", 1)[-1] if m[1] == "output" else m[2]
        step = re.search(r"([\d,]+) elements x (\d+) bytes = ([\d,]+) bytes", text)
        if step:  # the byte step
            elements, per, total = (int(g.replace(",", "")) for g in step.groups())
            assert elements * per == total, line
            text = text[:step.start()] + step[1]
        text = re.sub(r" \((scale and shift|running .*)\)$", "", text)
        parts, _ = read_numbers(text.replace("flatten ", "").split(", then")[0])
        assert len({(p.lo, p.hi) for p in parts}) == 1, line
        checked += 1
    assert checked > len(report.rows)


def test_receptive_field_working_matches_the_rf_column():
    report = analyze(load_spec("vgg16"))
    for row in report.rows:
        if "rf" in row.work and row.work["rf"].startswith("r = "):
            a, k, j, b = map(int, re.match(r"r = (\d+) \+ \((\d+)-1\)\*(\d+) = (\d+)", row.work["rf"]).groups())
            assert a + (k - 1) * j == b
            size = row.rf[0][1] - row.rf[0][0] + 1
            assert b == size, row.name


def test_markdown_explain():
    r = cli("shape", "lenet5", "-f", "markdown", "--explain")
    assert r.returncode == 0
    assert "#### Working" in r.stdout
    assert "- **c1** (conv): output `6x28x28: (32 - 5)/1 + 1 = 28`; params `6 x (5*5*1 + 1) = 156`; " in r.stdout
    assert "- **relu1** (relu): output `6x28x28`; memory `writes into its input: allocates nothing`" in r.stdout


def test_explain_in_a_machine_format_is_a_usage_error():
    r = cli("shape", "lenet5", "-f", "json", "--explain")
    assert r.returncode == 2 and "--explain shows the arithmetic in the table and in Markdown" in r.stderr
