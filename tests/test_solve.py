"""`nnarith solve`: the exact search (on figures given as formulas), the lecture's widths (checked by hand from
the formula of a fully connected network's weights), targets as people write them, and bad input."""

from __future__ import annotations

import json
import re
import subprocess
from fractions import Fraction

import pytest

from nnarith.analysis import search
from nnarith.errors import SpecError
from tests.helpers import ENV, ROOT, cli

SPEECH = "examples/speech_dnn.yaml"
IN, OUT, K2 = 429, 9304, 2048  # Seide et al. 2011: 11 frames of 39 features in, 9304 senones out, hidden 2048


def one_hidden_weights(h: int) -> int:
    return IN * h + h * OUT


def one_hidden_params(h: int) -> int:
    return one_hidden_weights(h) + h + OUT


def deep_weights(layers: int) -> int:
    return IN * K2 + (layers - 1) * K2 * K2 + K2 * OUT


def deep_params(layers: int) -> int:
    return deep_weights(layers) + layers * K2 + OUT


def closest_by_hand(figure, target, values) -> int:
    """Every value tried: the closest figure, the smaller value on a tie."""
    return min(values, key=lambda v: (abs(figure(v) - target), v))


# --- the search, on figures given as formulas ----------------------------------------------------------------

@pytest.mark.parametrize("figure, target, lo, hi, step, value, method", [
    (one_hidden_weights, deep_weights(5), 1, None, 1, 3772, "bisection"),
    (one_hidden_weights, deep_weights(7), 1, 10 ** 6, 1, 4634, "bisection"),
    (one_hidden_params, deep_params(5), 1, None, 1, 3772, "bisection"),
    (one_hidden_params, deep_params(7), 1, None, 1, 4635, "bisection"),
    # multiples of 8: 3768 gives 36,673,944 (38,504 short), 3776 gives 36,751,808 (39,360 over)
    (one_hidden_weights, deep_weights(5), 1, None, 8, 3768, "bisection"),
    (lambda v: 10 * v, 25, 1, 1000, 1, 2, "bisection"),  # 20 and 30 tie: the smaller value
    (lambda v: 10 * v, 25, 1, 10, 1, 2, "every value"),
    (lambda v: v // 10, 5, 1, 10 ** 6, 1, 50, "bisection"),  # 50..59 all give 5: the smallest
    (lambda v: 1000 - v, 10, 1, None, 1, 990, "bisection"),  # decreasing
    (lambda v: 1000 - v, 10, 1, 999, 1, 990, "bisection"),
    (lambda v: (v - 7) ** 2, 0, 1, 15, 1, 7, "every value"),  # not monotonic, but small: all searched
    (lambda v: (v - 37) ** 2, 0, 1, 60, 1, 37, "not monotonic"),  # found not monotonic, then all searched
    (lambda v: (v - 1234) ** 2, 0, 1, 4000, 1, 1234, "not monotonic"),  # found not monotonic, then all searched
    (lambda v: 7, 7, 3, 10 ** 9, 1, 3, "bisection"),  # constant: the smallest value
])
def test_search_finds_the_closest_value(figure, target, lo, hi, step, value, method):
    found = search.solve(figure, target, lo, hi, step)
    assert (found.value, found.achieved, found.method) == (value, figure(value), method)
    assert found.reached and found.whole
    for start in (1, 2048, 10 ** 7):  # where the doubling starts (the argument's default) changes nothing found
        assert search.solve(figure, target, lo, hi, step, start).value == value


@pytest.mark.parametrize("figure, target, lo, hi", [
    (lambda v: 3 * v + v * v // 7, 5000, 1, 300),
    (lambda v: 3 * v + v * v // 7, 5000, 1, 30),
    (lambda v: -(v // 3), -17, 1, 200),
    (lambda v: (v - 80) ** 2 // 5, 12, 1, 100),
])
def test_search_agrees_with_every_value_tried(figure, target, lo, hi):
    assert search.solve(figure, target, lo, hi).value == closest_by_hand(figure, target, range(lo, hi + 1))


@pytest.mark.parametrize("figure, target, lo, hi, value, achieved", [
    (lambda v: v, 0, 1, None, 1, 1),  # below every value's figure: the smallest value
    (lambda v: v, 100, 1, 50, 50, 50),  # above the largest: the bound
    (lambda v: 9733 * v, 10 ** 6, 1, 100, 100, 973300),
])
def test_a_target_out_of_reach_gives_the_closest(figure, target, lo, hi, value, achieved):
    found = search.solve(figure, target, lo, hi)
    assert (found.value, found.achieved, found.reached) == (value, achieved, False)


def test_a_figure_not_monotonic_over_a_large_range_is_said_so():
    found = search.solve(lambda v: (v - 123_457) ** 2, 0, 1, 10 ** 6)
    assert found.method == "not monotonic" and not found.whole and found.broken is not None
    (a, fa), (b, fb), (c, fc) = found.broken
    assert a < b < c and (fb - fa > 0) != (fc - fb > 0)  # the values it names do turn


def invalid_outside(lo: int, hi: int):
    def figure(v: int) -> int:
        if not lo <= v <= hi:
            raise SpecError(f"value {v} is out of range")
        return v
    return figure


@pytest.mark.parametrize("figure, target, lo, hi, bad, valid", [
    (invalid_outside(1, 100), 10 ** 6, 1, None, 101, 100),  # the doubling runs into it
    (invalid_outside(1, 100), 500, 1, 1000, 101, 100),
    (invalid_outside(10, 10 ** 6), 5, 1, 1000, 9, 10),  # invalid at --min: the boundary above it
    (invalid_outside(10, 10 ** 6), 5, 1, None, 1, None),  # and nothing valid known: the start itself
])
def test_a_value_that_makes_the_spec_invalid_is_located(figure, target, lo, hi, bad, valid):
    with pytest.raises(search.InvalidValue) as e:
        search.solve(figure, target, lo, hi)
    assert (e.value.value, e.value.valid) == (bad, valid)
    assert f"value {bad} is out of range" in str(e.value.error)


# --- the command -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hidden, figure, width", [
    (5, "weights", closest_by_hand(one_hidden_weights, deep_weights(5), range(3000, 5000))),
    (7, "weights", closest_by_hand(one_hidden_weights, deep_weights(7), range(3000, 5000))),
    (5, "params", closest_by_hand(one_hidden_params, deep_params(5), range(3000, 5000))),
    (7, "params", closest_by_hand(one_hidden_params, deep_params(7), range(3000, 5000))),
])
def test_the_lectures_widths(hidden, figure, width):
    r = cli("solve", SPEECH, "--vary", "width", "--set", "hidden=1", "--target", f"{figure}=@{SPEECH}[hidden={hidden}]",
            "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    target = (deep_weights if figure == "weights" else deep_params)(hidden)
    achieved = (one_hidden_weights if figure == "weights" else one_hidden_params)(width)
    assert doc["schema"] == "nnarith.solve/1"
    assert (doc["vary"], doc["value"], doc["figure"], doc["target"], doc["achieved"]) == \
        ("width", width, figure, target, achieved)
    assert doc["difference"] == achieved - target


def test_the_widths_are_the_lectures():
    """The hand computation above gives the issue's figures: 3772 and 4634 by weights, 3772 and 4635 by params."""
    assert [closest_by_hand(one, deep(n), range(3000, 5000)) for one, deep in
            ((one_hidden_weights, deep_weights), (one_hidden_params, deep_params)) for n in (5, 7)] == \
        [3772, 4634, 3772, 4635]


@pytest.mark.parametrize("written, target", [
    ("36.7M", 36_700_000), ("3.67e7", 36_700_000), ("36,712,448", 36_712_448), ("36712K", 36_712_000),
    ("0.0367G", 36_700_000),
])
def test_targets_as_people_write_them(written, target):
    r = cli("solve", SPEECH, "--vary", "width", "--set", "hidden=1", "--target", f"weights={written}", "-f", "json")
    doc = json.loads(r.stdout)
    assert doc["target"] == target
    assert doc["value"] == closest_by_hand(one_hidden_weights, target, range(3000, 5000))


def test_a_memory_target_in_bytes():
    # one hidden layer of h, batch 1, fp32: the input 429, h for the fc and h for the sigmoid (not in place),
    # 9304 for the fc and 9304 for the softmax: (429 + 2h + 2 x 9304) x 4 bytes
    def memory(h: int) -> int:
        return (IN + 2 * h + 2 * OUT) * 4

    r = cli("solve", SPEECH, "--vary", "width", "--set", "hidden=1", "--target", "memory=100kB", "-f", "json")
    doc = json.loads(r.stdout)
    assert doc["target"] == 100_000
    assert (doc["value"], doc["achieved"]) == (closest_by_hand(memory, 100_000, range(1, 20_000)),
                                               memory(doc["value"]))


def test_the_text_says_what_was_done():
    r = cli("solve", SPEECH, "--vary", "width", "--set", "hidden=1", "--target", f"weights=@{SPEECH}[hidden=5]")
    assert r.returncode == 0, r.stderr
    assert "width = 3772" in r.stdout
    assert f"{deep_weights(5):,}" in r.stdout and f"{one_hidden_weights(3772):,}" in r.stdout
    assert f"+{one_hidden_weights(3772) - deep_weights(5):,}" in r.stdout
    assert "bisection" in r.stdout and "monotonic" in r.stdout


def test_a_target_out_of_reach_exits_1_with_the_closest():
    r = cli("solve", SPEECH, "--vary", "width", "--set", "hidden=1", "--target", "weights=1M", "--max", "50",
            "-f", "json")
    doc = json.loads(r.stdout)
    assert r.returncode == 1
    assert (doc["value"], doc["achieved"], doc["reached"]) == (50, one_hidden_weights(50), False)


@pytest.mark.parametrize("args, message", [
    (["--vary", "widht", "--target", "weights=1M"], "did you mean 'width'?"),
    (["--vary", "width", "--target", "wieghts=1M"], "did you mean 'weights'?"),
    (["--vary", "width", "--target", "weights=lots"], "is not a number"),
    (["--vary", "width", "--target", "weights=3MB"], "a count, not bytes"),
    (["--vary", "width", "--target", "memory=3 parsecs"], "is not a size"),
    (["--vary", "width", "--target", "weights"], "is not FIGURE=VALUE"),
    (["--vary", "width", "--target", "weights=1M", "--set", "hiden=1"], "did you mean 'hidden'?"),
    (["--vary", "width", "--target", "weights=1M", "--set", "hidden=two"], "is not an integer"),
    (["--vary", "width", "--target", "weights=1M", "--set", "width=3"], "drop the --set"),
    (["--vary", "width", "--target", "weights=1M", "--min", "10", "--max", "5"], "is above --max"),
    (["--vary", "width", "--target", "weights=1M", "--min", "1", "--max", "7", "--multiple-of", "8"],
     "no multiple of 8"),
    (["--vary", "width", "--target", "weights=1M", "--min", "1.5"], "is not an integer"),
])
def test_bad_input(args, message):
    r = cli("solve", SPEECH, *args)
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""
    assert "Traceback" not in r.stderr


def test_vary_on_a_spec_without_arguments():
    r = cli("solve", "lenet5", "--vary", "width", "--target", "params=1M")
    assert r.returncode == 2 and "no argument 'width'" in r.stderr and "declares no args" in r.stderr


def test_a_value_that_makes_the_spec_invalid_is_located_in_the_spec(tmp_path):
    spec = tmp_path / "net.yaml"
    # a 5x5 kernel on a map of $size: the spec is invalid below size 5
    spec.write_text("args: {size: 3}\ninput: [1, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 5}\n"
                    "  - conv: {out: 2, kernel: $size}\n")
    r = cli("solve", str(spec), "--vary", "size", "--target", "params=1", "--max", "100")
    assert r.returncode == 2, r.stdout
    # the first conv leaves 4x4: a kernel of 5 no longer fits; 4 is the largest valid size
    assert "size=5 makes the spec invalid; size=4, next to it, is valid" in r.stderr
    assert f"{spec}:5:" in r.stderr and "--max 4" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_target_is_a_fraction_when_written_so():
    r = cli("solve", SPEECH, "--vary", "width", "--set", "hidden=1", "--target", "weights=9733.5", "-f", "json")
    doc = json.loads(r.stdout)
    assert doc["target"] == float(Fraction(97335, 10)) and doc["value"] == 1  # 9733 at 1, 19466 at 2


def test_the_example_script_prints_the_lectures_widths():
    r = subprocess.run(["bash", "examples/speech_dnn.sh"], cwd=ROOT, capture_output=True, text=True, env=ENV,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    widths = re.findall(r"^Speech DNN \(examples/speech_dnn.yaml\): width = (\d+)", r.stdout, flags=re.M)
    # weights then params, for 5 then 7 hidden layers of 2048: the hand computation's
    assert [int(w) for w in widths] == [closest_by_hand(one, deep(n), range(3000, 5000)) for n in (5, 7)
                                        for one, deep in ((one_hidden_weights, deep_weights),
                                                          (one_hidden_params, deep_params))]


def test_a_figure_not_monotonic_is_searched_whole_and_said_so(tmp_path):
    spec = tmp_path / "kernel.yaml"
    spec.write_text("args: {k: 3}\ninput: [1, 64, 64]\nlayers:\n  - conv: {out: 4, kernel: $k}\n  - fc: 10\n")

    def params(k: int) -> int:  # a larger kernel has more weights, and leaves fewer features for the fc
        return 4 * k * k + 4 + (64 - k + 1) ** 2 * 4 * 10 + 10

    r = cli("solve", str(spec), "--vary", "k", "--target", "params=1", "--max", "64", "-f", "json")
    doc = json.loads(r.stdout)
    assert (doc["value"], doc["achieved"]) == (closest_by_hand(params, 1, range(1, 65)), params(doc["value"]))
    assert doc["search"]["method"] == "not monotonic" and doc["search"]["exact"]
    assert r.returncode == 1  # the target, 1, is below every value's figure: not reached
    text = cli("solve", str(spec), "--vary", "k", "--target", "params=1", "--max", "64").stdout
    assert "every value, as the figure is not monotonic" in " ".join(text.split())
