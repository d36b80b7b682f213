"""Hostile input, spec and analysis side: each case is one the adversarial review of issue 10 found.

Every one runs the real command line: exit 2 and a located message, or an exact answer, within
a time bound, never a traceback. The bad specs among them are also in tests/bad_specs/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from fractions import Fraction

import pytest

from nnarith.analysis.arithmetic import scaled_out
from nnarith.check.vocabulary import special
from nnarith.loader.scope import RESERVED_NAMES
from nnarith.render.units import count, si_bytes
from nnarith.text import decimal, for_encoding, scientific, visible
from tests.helpers import ENV, ROOT, cli, spec_text

E99 = 10**99  # the largest power of ten a spec may write (numbers have at most 100 digits)


def run(*args: str, **kw):
    start = time.perf_counter()
    r = cli(*args, **kw)
    r.seconds = time.perf_counter() - start
    assert "Traceback" not in r.stderr, r.stderr
    return r


@pytest.mark.parametrize("args, message", [
    (("calc", "--input", "1x²x32", "relu"), "--input '1x²x32' is not a shape"),
    (("calc", "--input", "1x８x32", "relu"), "--input '1x８x32' is not a shape"),
    (("calc", "--input", "1x8x8", "--batch", "٣", "relu"), "expected a positive integer"),
    (("calc", "--input", "1x8x8", "conv: {out: ², kernel: 1}"), "conv out must be a positive integer, got the text"),
    (("calc", "--input", "1x8x8", "conv: ⁵"), "conv out must be a positive integer, got the text '⁵'"),
    (("shape", "lenet5", "--input", ""), "--input '' is not a shape"),
    (("export", "lenet5", "--torch", "--input", ""), "--input '' is not a shape"),
    (("verify", "lenet5", "--input", ""), "--input '' is not a shape"),
    (("calc", "--input", "1x" + "9" * 101, "relu"), "more than 100 digits"),
    (("shape", "lenet5", "--batch", "9" * 101), "at most 100 digits"),
])
def test_digits_are_ascii_and_options_are_never_empty(args, message):
    r = run(*args)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_a_device_is_read_only_to_the_limit():
    """getsize() is 0 for /dev/zero: without a bounded read it would never end."""
    r = run("shape", "/dev/zero")
    assert r.returncode == 2 and "gives more than 262,144 bytes" in r.stderr and r.seconds < 5


def test_a_fifo_is_read_only_to_the_limit(tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    pid = os.fork()
    if pid == 0:  # the writer: a valid beginning, then more than the limit
        with open(fifo, "w") as f:
            try:
                f.write("input: [3]\nlayers:\n" + "  - relu\n" * 40_000)
            except BrokenPipeError:
                pass
        os._exit(0)
    r = run("shape", str(fifo))
    os.waitpid(pid, 0)
    assert r.returncode == 2 and "more than 262,144 bytes" in r.stderr


# Exactly as PyTorch: floor(double(N) * scale) below 2^53; exact beyond, where a double rounds.
@pytest.mark.parametrize("n, scale, out", [
    (7, 1.5, 10),
    (10, 0.3, 3),  # 10 * 0.3 is 3.0 in doubles, though 0.3's binary value is a little less than 0.3
    (7 * E99, 1.5, 105 * 10**98),
    (E99 + 1, 0.5, (E99 + 1) // 2),
])
def test_upsampling_by_a_factor(n, scale, out):
    assert scaled_out(n, scale).value == out


def test_upsampling_a_huge_size_through_the_cli():
    r = run("calc", "--input", f"1x{7 * E99}", "--exact", "-f", "json", "upsample: 1.5")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["layers"][-1]["output"] == [1, 105 * 10**98]


@pytest.mark.parametrize("n, text", [
    (999, "999"), (1000, "1.00e3"), (99_949, "9.99e4"), (99_950, "1.00e5"), (10**27, "1.00e27"),
    (123_456 * 10**300, "1.23e305"), (10**400, "1.00e400"), (-(5 * 10**350), "-5.00e350"),
])
def test_scientific_is_exact_at_any_size(n, text):
    assert scientific(n) == text if n >= 1000 or n < 0 else str(n) == text


@pytest.mark.parametrize("value, text", [
    (Fraction(7, 3), "2.33"), (Fraction(1, 8), "0.12"), (Fraction(3, 8), "0.38"),  # ties to even
    (Fraction(10**400 + 2, 3), "3" * 399 + "4.00"), (Fraction(-5, 2), "-2.50"),
])
def test_decimal_is_exact_at_any_size(value, text):
    assert decimal(value) == text


def test_figures_past_the_range_of_a_float_render():
    """MACs of 10^396 (> 1.8e308): the table, --exact, Markdown and CSV all print them."""
    spec = f"input: [{E99}, {E99}, {E99}]\nlayers:\n  - conv: {{out: {E99}, kernel: 1}}\n"
    macs = E99 * E99 * E99 * E99  # out x in x H x W, kernel 1
    assert spec_text(spec).rows[0].macs == macs
    assert count(macs) == "1.00e396" and si_bytes(4 * macs) == "4.00e396 B"
    for extra in ((), ("--exact",), ("-f", "markdown"), ("-f", "csv"), ("-f", "json")):
        r = run("calc", "--input", f"{E99}x{E99}x{E99}", *extra, f"conv: {{out: {E99}, kernel: 1}}")
        assert r.returncode == 0, r.stderr
        assert ("1.00e396" in r.stdout) or (f"{macs:,}" in r.stdout) or (str(macs) in r.stdout)


def test_a_size_that_does_not_divide_at_any_size():
    r = run("calc", "--input", f"1x{E99 + 1}", "conv: {out: 1, kernel: 1, stride: 3}")
    folded = " ".join(r.stdout.split())  # the flag folds to the width at its spaces; a number stays whole
    assert r.returncode == 0 and f"({E99 + 1} - 1)/3 + 1 = {'3' * 98}4.33 -> {'3' * 98}4" in folded
    assert f"{'3' * 98}4.33" in r.stdout.split()


@pytest.mark.parametrize("layer, input", [
    (f"adaptive_avgpool: {E99}", f"1x{E99}x7"),
    (f"adaptive_maxpool: [{E99}, 7]", f"1x{E99}x7"),
    (f"lstm: {{hidden: 4, layers: {E99}}}", "28x28"),
])
def test_counts_have_closed_forms(layer, input):
    r = run("calc", "--input", input, "--exact", "-f", "json", layer)
    assert r.returncode == 0 and r.seconds < 5, r.stderr


def test_stacked_lstm_closed_form_is_the_layer_by_layer_sum():
    """L layers: the first reads F features, every later one the H outputs below it."""
    f, h, layers = 28, 4, 5
    row = spec_text(f"input: [7, {f}]\nlayers:\n  - lstm: {{hidden: {h}, layers: {layers}, bias: false}}\n").rows[0]
    assert row.weights == sum(4 * h * ((f if i == 0 else h) + h) for i in range(layers))
    assert row.macs == 7 * row.weights


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", [("shape", "lenet5"), ("shape", "lenet5", "--explain"),
                                  ("calc", "--input", "1x7x7", "conv: {out: 1, kernel: 3, stride: 3}"),
                                  ("check", "tests/corpus/cs231n_vgg16.md", "--spec", "vgg16"),
                                  ("shape", "tests/bad_specs/superscript_digit.yaml")])
def test_a_terminal_that_is_not_utf8(encoding, args):
    r = subprocess.run([sys.executable, "-m", "nnarith", *args], cwd=ROOT, capture_output=True,
                       env={**ENV, "PYTHONIOENCODING": encoding}, timeout=120)
    out, err = r.stdout.decode(encoding), r.stderr.decode(encoding)  # what the terminal got, it can show
    assert r.returncode in (0, 1, 2) and "Traceback" not in err, err
    assert out or err


def test_ascii_stand_ins():
    assert for_encoding("6×28×28 ✓ ─", "ascii") == "6x28x28 ok -"
    assert for_encoding("✗ 61 MB", "latin-1") == "WRONG 61 MB"
    assert for_encoding("6×28×28 ✓", "utf-8") == "6×28×28 ✓"


def test_control_characters_never_reach_the_terminal(tmp_path):
    (tmp_path / "net.yaml").write_text('name: "evil\\e[31mRED\\x01"\nsource: "a\\e]0;title\\a"\n'
                                       'input: [3]\nlayers: [relu]\n')
    for fmt in ("table", "markdown", "csv", "json"):
        r = run("shape", "net.yaml", "-f", fmt, cwd=tmp_path)
        assert r.returncode == 0 and "\x1b" not in r.stdout and "\x07" not in r.stdout and "\x01" not in r.stdout
    assert visible("a\x1b[31mb\tc\n") == "a\\x1b[31mb\tc\n"


def test_yaml_lines_are_counted_as_editors_count_them(tmp_path):
    """libyaml also breaks lines at U+0085, U+2028 and U+2029; an editor does not."""
    (tmp_path / "a.yaml").write_text('spec: lenet5\ns2: {output: "6x14x14\u2028\x85\u2029"}\nc1:\n  bogus: 156\n')
    r = run("check", "a.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "a.yaml:4:3: error: unknown figure 'bogus'" in r.stderr, r.stderr


@pytest.mark.parametrize("name", RESERVED_NAMES)
def test_every_reserved_name_is_one_check_reads_as_input_or_totals(name):
    """The spec refuses exactly the names nnarith check would take for a report's input or totals row."""
    assert special(name) in ("input", "total") and special(name.upper()) == special(name)


def test_names_like_the_reserved_ones_are_layer_names():
    assert all(special(n) is None for n in ("conv1", "input_proj", "totals_head", "summary1", "datapath"))
