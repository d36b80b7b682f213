"""Receptive fields, per Araujo, Norris and Sim (Distill, 2019), against published figures."""

from __future__ import annotations

import pytest

from nnarith.analysis import receptive
from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec
from tests.helpers import report, spec_text


def rf(row):
    return receptive.describe(row.rf)


def test_three_stacked_3x3_convs_see_7():
    rows = report(["conv: {out: 8, kernel: 3, pad: 1}"] * 3, (3, 32, 32)).rows
    assert [rf(r)["size"] for r in rows] == [[3, 3], [5, 5], [7, 7]]
    assert rf(rows[-1]) == {"size": [7, 7], "stride": [1, 1], "padding": [3, 3]}


def test_strides_multiply_the_jump_and_widen_later_layers():
    # r = 1 + (3-1)*1 = 3, then + (2-1)*1 = 4 (pool, jump 2), then + (3-1)*2 = 8
    rows = report(["conv: {out: 4, kernel: 3}", "maxpool: 2", "conv: {out: 4, kernel: 3}"], (1, 32, 32)).rows
    assert [rf(r)["size"][0] for r in rows] == [3, 4, 8]
    assert [rf(r)["stride"][0] for r in rows] == [1, 2, 2]


def test_dilation_widens_the_kernel():
    row = report("conv: {out: 1, kernel: 3, dilation: 4}", (1, 64)).rows[0]
    assert rf(row)["size"] == [4 * (3 - 1) + 1]


@pytest.mark.parametrize("spec, layer, size, stride, padding", [
    # Distill's table: VGG-16 at pool5 (the conv5_3 unit's field is 196)
    ("vgg16", "pool5", 212, 32, 90),
    ("vgg16", "conv5_3", 196, 16, 90),
    ("alexnet", "pool5", 195, 32, 66),
    # Distill's table: Inception v3 at Mixed_7c, and MobileNet v2's last conv
    ("inception_v3", "Mixed_7c.concat1", 1311, 32, None),
    ("mobilenet_v2", "relu63", 491, 32, None),
])
def test_published_receptive_fields(spec, layer, size, stride, padding):
    rows = {r.name: r for r in analyze(load_spec(spec)).rows}
    field = rf(rows[layer])
    assert field["size"] == [size, size] and field["stride"] == [stride, stride]
    if padding is not None:
        assert field["padding"] == [padding, padding]


def test_global_pooling_flatten_and_fc_see_the_whole_input():
    rows = report(["conv: {out: 4, kernel: 3}", "gap", "fc: 3"], (1, 8, 8)).rows
    assert rf(rows[0]) is not None and rf(rows[1]) is None and rf(rows[2]) is None
    assert rf(report("flatten", (1, 8, 8)).rows[0]) is None
    assert rf(report("fc: 3", (5,)).rows[0]) is None  # a flat input has no spatial field


def test_transposed_conv_and_upsampling_are_not_one_window():
    rows = report(["deconv: {out: 1, kernel: 2, stride: 2}", "conv: {out: 1, kernel: 3}"], (1, 8, 8)).rows
    assert rf(rows[0]) == "undefined" and rf(rows[1]) == "undefined"
    assert rf(report("upsample: 2", (1, 8, 8)).rows[0]) == "undefined"


def test_adaptive_pooling_is_a_window_only_when_it_divides():
    assert rf(report("adaptive_avgpool: 4", (1, 8, 8)).rows[0]) == {
        "size": [2, 2], "stride": [2, 2], "padding": [0, 0]}
    assert rf(report("adaptive_avgpool: 3", (1, 8, 8)).rows[0]) == "undefined"
    assert rf(report("adaptive_avgpool: 1", (1, 8, 8)).rows[0]) is None


INCEPTION_LIKE = """
input: [3, 32, 32]
layers:
  - concat:
      - conv: {out: 2, kernel: 1}
      - conv: {out: 2, kernel: 3, pad: 1}
      - conv: {out: 2, kernel: 5, pad: 2}
"""


def test_branches_take_the_union_and_centred_branches_do_not_warn():
    merge = spec_text(INCEPTION_LIKE).rows[-1]
    assert merge.kind == "concat"
    assert rf(merge) == {"size": [5, 5], "stride": [1, 1], "padding": [2, 2]}
    assert merge.warnings == merge.notes == []


def test_misaligned_branches_warn():
    # An even kernel with 'same' padding pads 0 left and 1 right: its field [0, 1] is centred
    # half a pixel off the 3x3 branch's [-1, 1].
    merge = spec_text("""
input: [1, 8, 8]
layers:
  - add:
      - conv: {out: 2, kernel: 3, pad: 1}
      - conv: {out: 2, kernel: 2, pad: same}
""").rows[-1]
    assert merge.notes == ["branch fields are not centred alike (centres at [0.0, 0.5] input pixels)"]
    assert merge.warnings == []  # not a size that does not divide: --strict leaves it
    assert rf(merge) == {"size": [3, 3], "stride": [1, 1], "padding": [1, 1]}
