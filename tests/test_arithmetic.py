"""Output-size arithmetic and its shown working."""

from __future__ import annotations

import pytest

from nnarith.analysis.arithmetic import adaptive_reads, scaled_out, transposed_out, window_out
from nnarith.errors import SpecError, SpecErrors
from tests.helpers import report


@pytest.mark.parametrize("n, k, s, p, d, ceil, out, text", [
    (224, 3, 1, 1, 1, False, 224, "(224 + 2*1 - 3)/1 + 1 = 224"),
    (7, 3, 3, 0, 1, False, 2, "(7 - 3)/3 + 1 = 2.33 -> 2"),
    (224, 7, 2, 3, 1, False, 112, "(224 + 2*3 - 7)/2 + 1 = 112.5 -> 112"),
    (227, 11, 4, 0, 1, False, 55, "(227 - 11)/4 + 1 = 55"),
    (20, 3, 1, 0, 2, False, 16, "(20 - 2*(3-1) - 1)/1 + 1 = 16"),
    # ceil mode, as PyTorch: ceil((112 - 3)/2) + 1 = 56
    (112, 3, 2, 0, 1, True, 56, "(112 - 3)/2 + 1 = 55.5 -> 56 (ceil)"),
    (7, 2, 2, 0, 1, True, 4, "(7 - 2)/2 + 1 = 3.5 -> 4 (ceil)"),  # issue 10, item 3
    (5, 2, 2, 1, 1, True, 3, "(5 + 2*1 - 2)/2 + 1 = 3.5 -> 4 (ceil) -> 3 (the last window would start in the "
                             "padding)"),
    (14, 2, 2, 0, 1, True, 7, "(14 - 2)/2 + 1 = 7"),
    (7, 3, 2, 1, 1, True, 4, "(7 + 2*1 - 3)/2 + 1 = 4"),  # divides: ceil changes nothing
])
def test_window_out(n, k, s, p, d, ceil, out, text):
    size = window_out(n, k, s, p, d, ceil)
    assert (size.value, size.text) == (out, text)
    num = n + 2 * p - d * (k - 1) - 1
    assert size.inexact == (num % s != 0)  # flagged exactly when the division leaves a remainder
    if not ceil:
        assert size.value == num // s + 1
    else:  # rounded up, less a last window that would start in the right padding
        up = -(-num // s) + 1
        assert size.value == (up - 1 if (up - 1) * s >= n + p else up)


@pytest.mark.parametrize("n, k, s, p, d, op, out", [
    (7, 4, 2, 1, 1, 0, (7 - 1) * 2 - 2 * 1 + (4 - 1) + 1),
    (5, 3, 2, 1, 1, 1, (5 - 1) * 2 - 2 * 1 + (3 - 1) + 1 + 1),
    (6, 3, 1, 0, 2, 0, (6 - 1) * 1 + 2 * (3 - 1) + 1),
])
def test_transposed_out(n, k, s, p, d, op, out):
    assert transposed_out(n, k, s, p, d, op).value == out


def test_scaled():
    assert scaled_out(5, 1.5).value == 7 and scaled_out(5, 1.5).inexact
    assert scaled_out(7, 2).value == 14 and not scaled_out(7, 2).inexact
    assert scaled_out(10, 0.3).value == 3  # PyTorch's double product: 10 * 0.3 is 3.0, not 2.99...
    assert scaled_out(7 * 10**99, 1.5).value == 105 * 10**98  # beyond a double: exact


def _windows(n: int, o: int) -> list[int]:
    """PyTorch's adaptive windows, one by one: [floor(i*N/O), ceil((i+1)*N/O))."""
    return [-(-((i + 1) * n) // o) - (i * n) // o for i in range(o)]


@pytest.mark.parametrize("n", range(1, 40))
@pytest.mark.parametrize("o", [1, 2, 3, 4, 6, 7, 13, 39])
def test_adaptive_reads_is_the_sum_of_the_windows(n, o):
    assert adaptive_reads(n, o) == sum(_windows(n, o))


def test_adaptive_reads_examples():
    assert _windows(10, 4) == [3, 3, 3, 3]  # [0,3) [2,5) [5,8) [7,10)
    assert adaptive_reads(10, 4) == 12 and adaptive_reads(6, 6) == 6
    assert adaptive_reads(7, 10**99) == 7 + 10**99 - 1  # no list of 10^99 windows


def test_non_integer_sizes_are_flagged_with_the_arithmetic():
    row = report("conv: {out: 1, kernel: 3, stride: 3}", (1, 7, 7)).rows[0]
    assert row.shape.dims == (1, 2, 2)
    assert row.warnings == ["(7 - 3)/3 + 1 = 2.33 -> 2"]


def test_flags_name_the_dimension_when_they_differ():
    row = report("conv: {out: 1, kernel: 3, stride: 2}", (1, 8, 9)).rows[0]
    assert row.shape.dims == (1, 3, 4)
    assert row.warnings == ["H: (8 - 3)/2 + 1 = 3.5 -> 3"]
    row = report("conv: {out: 1, kernel: 3, stride: 3}", (1, 8, 10)).rows[0]
    assert row.warnings == ["H: (8 - 3)/3 + 1 = 2.67 -> 2; W: (10 - 3)/3 + 1 = 3.33 -> 3"]


@pytest.mark.parametrize("layer, n, flags", [
    # issue 10, item 3: (7 - 2)/2 + 1 = 3.5 does not divide, whichever way it is rounded
    ("maxpool: {kernel: 2, stride: 2, ceil: true}", 7, ["(7 - 2)/2 + 1 = 3.5 -> 4 (ceil)"]),
    ("avgpool: {kernel: 3, stride: 2, ceil: true}", 112, ["(112 - 3)/2 + 1 = 55.5 -> 56 (ceil)"]),
    ("maxpool: {kernel: 2, stride: 2, ceil: true}", 8, []),  # (8 - 2)/2 + 1 = 4
])
def test_ceil_mode_flags_sizes_that_do_not_divide(layer, n, flags):
    row = report(layer, (1, n, n)).rows[0]
    assert row.warnings == flags
    if flags:
        with pytest.raises(SpecError) as err:  # one error alone is raised as itself
            report(layer, (1, n, n), strict=True)
        assert err.value.message == f"the size does not divide: {flags[0]}"
        assert err.value.hint.startswith("PyTorch rounds it up (ceil mode); ")
    else:
        assert report(layer, (1, n, n), strict=True).rows[0].shape.dims == (1, n // 2, n // 2)


def test_strict_turns_every_flag_into_an_error():
    layers = ["conv: {out: 1, kernel: 3, stride: 3}", "conv: {out: 1, kernel: 1, stride: 2}"]
    assert [w for _, w in report(layers, (1, 7, 7)).warnings] == [
        "(7 - 3)/3 + 1 = 2.33 -> 2", "(2 - 1)/2 + 1 = 1.5 -> 1"]
    with pytest.raises(SpecErrors) as err:
        report(layers, (1, 7, 7), strict=True)
    assert [(e.layer, e.message) for e in err.value.errors] == [
        ("conv1", "the size does not divide: (7 - 3)/3 + 1 = 2.33 -> 2"),
        ("conv2", "the size does not divide: (2 - 1)/2 + 1 = 1.5 -> 1"),
    ]
