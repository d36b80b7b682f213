"""Numbers, shapes and receptive fields as people write them, read into what they can stand for.

Each row: the written figure, then the interval [lo, hi] it stands for (equal ends: exact),
computed here from the stated precision: half a unit of the last significant digit.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from nnarith.check.numbers import Unreadable, read_numbers
from nnarith.check.shapes import Field, read_field, read_shapes, shape_matches

M, K, G = 10**6, 10**3, 10**9
MiB, KiB = 2**20, 2**10

# (written, memory figure?, [(lo, hi) of each part], bytes?)
NUMBERS = [
    ("34,848", False, [(34848, 34848)], False),
    ("4,096,000", False, [(4096000, 4096000)], False),
    ("1_792", False, [(1792, 1792)], False),
    ("1\u202f792", False, [(1792, 1792)], False),  # a narrow no-break space, as typeset numbers use
    ("0", False, [(0, 0)], False),
    ("3.2M", False, [(3.15 * M, 3.25 * M)], False),
    ("3.2 M", False, [(3.15 * M, 3.25 * M)], False),
    ("290K", False, [(285 * K, 295 * K)], False),  # two significant digits
    ("800K", False, [(750 * K, 850 * K)], False),  # trailing zeros of a rounded figure are not significant
    ("61M parameters", False, [(60.5 * M, 61.5 * M)], False),
    ("61 million", False, [(60.5 * M, 61.5 * M)], False),
    ("1.5 billion", False, [(1.45 * G, 1.55 * G)], False),
    ("1.5B", False, [(1.45 * G, 1.55 * G)], False),  # B is a billion, except in memory
    ("15.47 GFLOPs", False, [(15.465 * G, 15.475 * G)], False),
    ("138.36 M", False, [(138.355 * M, 138.365 * M)], False),
    ("~155,000", False, [(154.5 * K, 155.5 * K)], False),  # marked approximate: the zeros are rounding
    ("≈ 3.2M", False, [(3.15 * M, 3.25 * M)], False),
    ("(3*3*64)*128", False, [(3 * 3 * 64 * 128,) * 2], False),
    ("3x3x64x128", False, [(3 * 3 * 64 * 128,) * 2], False),
    ("128 x (3*3*64 + 1)", False, [(128 * (3 * 3 * 64 + 1),) * 2], False),
    ("224*224*64=3.2M", False, [(224 * 224 * 64,) * 2, (3.15 * M, 3.25 * M)], False),
    ("(11*11*3)*96 = 34,848", False, [(34848, 34848), (34848, 34848)], False),
    ("floor((224 + 2*3 - 7)/2) + 1 = 112", False, [(112, 112), (112, 112)], False),
    ("(7 - 3)/3 + 1 = 2.33 -> 2", False, [(2, 2)], False),  # before the arrow: arithmetic before rounding
    ("2^20", False, [(MiB, MiB)], False),
    ("1.16 MB", True, [(1.155 * M, 1.165 * M)], True),
    ("3.06 MiB", True, [(Fraction("3.055") * MiB, Fraction("3.065") * MiB)], True),
    ("602.11 kB", True, [(602.105 * K, 602.115 * K)], True),
    ("512 B", True, [(512, 512)], True),
    ("3,136 bytes", True, [(3136, 3136)], True),
    ("100 KiB", True, [(50 * KiB, 150 * KiB)], True),
    ("100.0 KiB", True, [(Fraction("99.95") * KiB, Fraction("100.05") * KiB)], True),
    ("24M * 4 bytes ~= 93MB / image", True, [(23.5 * M * 4, 24.5 * M * 4), (92.5 * M, 93.5 * M)], True),
]


@pytest.mark.parametrize("text, memory, parts, in_bytes", NUMBERS, ids=[n[0] for n in NUMBERS])
def test_number_formats(text, memory, parts, in_bytes):
    values, _ = read_numbers(text, memory=memory)
    assert [(v.lo, v.hi) for v in values] == [(Fraction(lo), Fraction(hi)) for lo, hi in parts]
    assert values[-1].bytes is in_bytes


def test_long_prose_after_a_figure_is_fine_a_long_figure_is_not():
    assert read_numbers("61M parameters" + ", and more words" * 100)[0][0].lo == 60_500_000
    with pytest.raises(Unreadable):
        read_numbers("1+" * 300 + "1")


def test_the_prose_after_a_figure_is_left_alone():
    _, end = read_numbers("24M * 4 bytes ~= 93MB / image (only forward! ~*2 for bwd)", memory=True)
    assert "24M * 4 bytes ~= 93MB / image (only forward! ~*2 for bwd)"[:end].strip() == "24M * 4 bytes ~= 93MB"


def test_a_column_unit_applies_to_bare_cells_only():
    assert read_numbers("138.36", default_unit="M")[0][0].lo == Fraction(138355000)
    assert read_numbers("4,096", default_unit="M")[0][0].lo == 4096 * M - M // 2  # rounded, as "4,096 M"
    assert read_numbers("512K", default_unit="M")[0][0].hi == 512500  # its own unit wins


def test_megabytes_can_also_be_read_as_mebibytes():
    value = read_numbers("58.13 MB", memory=True)[0][0]
    assert value.unit == "MB" and value.alt == (Fraction("58.125") * MiB, Fraction("58.135") * MiB)


@pytest.mark.parametrize("true, accepted", [
    # rounding, both ways: the true value rounded at the stated precision gives the figure
    (3_211_264, True),  # 3.2M accepts 3,211,264: the example
    (3_150_000, True),
    (3_250_000, True),
    (3_260_000, False),  # rounds to 3.3M
    (3_140_000, False),  # rounds to 3.1M
])
def test_rounding_tolerance_both_ways(true, accepted):
    assert read_numbers("3.2M")[0][0].holds(true) is accepted


@pytest.mark.parametrize("written, true", [("3.3M", 3_211_264), ("3,211,000", 3_211_264), ("3.21M", 3_215_001)])
def test_a_figure_off_by_more_than_its_precision_is_not_accepted(written, true):
    assert not read_numbers(written)[0][0].holds(true)


def test_an_exact_figure_is_exact():
    value = read_numbers("295,168")[0][0]
    assert value.holds(295_168) and not value.holds(295_167) and not value.holds(295_169)


@pytest.mark.parametrize("text", [
    "1,79Z", "3,2M", "12a", "(3*3", "1/0", "__import__('os').system('true')", "2^99", "9" * 500, "abc",
])
def test_unreadable_figures_raise(text):
    with pytest.raises(Unreadable):
        read_numbers(text)


# (written shape, its dims or a number)
SHAPES = [
    ("55x55x96", (55, 55, 96)),
    ("96x55x55", (96, 55, 55)),
    ("[55x55x96]", (55, 55, 96)),
    ("(96, 55, 55)", (96, 55, 55)),
    ("55 × 55 × 96", (55, 55, 96)),
    ("[1, 96, 55, 55]", (1, 96, 55, 55)),
    ("[-1, 96, 55, 55]", (96, 55, 55)),  # torchsummary's batch placeholder
    ("torch.Size([1, 96, 55, 55])", (1, 96, 55, 55)),
    ("6@28x28", (6, 28, 28)),  # LeNet's notation
    ("4096", (4096,)),
]


@pytest.mark.parametrize("text, dims", SHAPES, ids=[s[0] for s in SHAPES])
def test_shape_formats(text, dims):
    parts, _ = read_shapes(text)
    assert parts == [dims]


@pytest.mark.parametrize("stated", ["96x55x55", "55x55x96", "[1, 96, 55, 55]", "1x55x55x96", "55x55", "55"])
def test_every_written_order_of_a_shape_matches(stated):
    (part,), _ = read_shapes(stated)
    assert shape_matches(part, (96, 55, 55), spatial=True)


@pytest.mark.parametrize("stated", ["96x55x54", "55x96x55", "96x27x27", "96", "96x55"])
def test_other_shapes_do_not(stated):
    (part,), _ = read_shapes(stated)
    assert not shape_matches(part, (96, 55, 55), spatial=True)


def test_a_flat_output_matches_its_cs231n_form():
    (part,), _ = read_shapes("[1x1x4096]")
    assert shape_matches(part, (4096,), spatial=True)


def test_a_size_written_as_arithmetic():
    (arithmetic, result), _ = read_shapes("(227 - 11)/4 + 1 = 55")
    assert (arithmetic.lo, arithmetic.hi) == (55, 55) and result == (55,)


@pytest.mark.parametrize("text, field", [
    ("11", Field((11,))), ("11x7", Field((11, 7))), ("11/4", Field((11,), (4,))), ("195/32", Field((195,), (32,))),
    ("whole", Field(special="whole")), ("n/a", Field(special="undefined")),
])
def test_receptive_field_formats(text, field):
    assert read_field(text) == field


@pytest.mark.parametrize("written, true, accepted", [
    ("800K", 802_816, True),  # CS231n's VGG table: 112*112*64 = 802,816, "800K"
    ("150K", 150_528, True),  # 224*224*3
    ("60M", 60_965_224, True),  # one significant digit
    ("800K", 860_000, False),
    ("801K", 802_816, False),  # three significant digits: 800.5K to 801.5K
    ("803K", 802_816, True),
])
def test_trailing_zeros_of_a_rounded_figure_are_not_significant(written, true, accepted):
    assert read_numbers(written)[0][0].holds(true) is accepted
