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
    assert merge.notes == ["branch fields are not centred alike (at [0.0, 0.5] input pixels); "
                           "the field is their union"]
    assert merge.warnings == []  # not a size that does not divide: --strict leaves it
    assert rf(merge) == {"size": [3, 3], "stride": [1, 1], "padding": [1, 1]}


# -- shape operations (layers/shape_ops.py) -------------------------------------------------

def centre(n: int, size: int) -> int:
    """torchvision's CenterCrop: the crop's first index."""
    return int(round((n - size) / 2.0))


@pytest.mark.parametrize("size", [[9, 10], [14, 13], [1, 1], [10, 12]])
def test_a_crop_moves_the_field_by_its_offset_and_keeps_its_size(size):
    # conv 3x3, no padding: unit 0 sees [0, 2]; the crop's unit 0 is the conv's unit `offset`
    rows = report(["conv: {out: 2, kernel: 3}", f"crop: {size}"], (1, 16, 15)).rows
    offsets = [centre(14, size[0]), centre(13, size[1])]
    assert rf(rows[-1]) == {"size": [3, 3], "stride": [1, 1], "padding": [-o for o in offsets]}


def test_a_crop_after_a_stride_moves_the_field_by_offset_jumps():
    # conv stride 2: jump 2; the crop of 7 -> 4 starts at unit 2 (round(1.5) = 2), 4 pixels in;
    # a 3x3 conv after it widens the field by (3-1)*2 from there
    rows = report(["conv: {out: 2, kernel: 3, stride: 2}", "crop: 4", "conv: {out: 2, kernel: 3}"], (1, 16)).rows
    assert rows[0].shape.dims == (2, 7) and centre(7, 4) == 2
    assert rf(rows[1]) == {"size": [3], "stride": [2], "padding": [-2 * 2]}
    assert rf(rows[2]) == {"size": [3 + 2 * 2], "stride": [2], "padding": [-2 * 2]}


def test_the_crop_offsets_round_half_to_even_as_torchvision():
    # margins 1, 3, 5, 7: torchvision starts at 0, 2, 2, 4 (Python's round)
    for n, start in [(5, 0), (7, 2), (9, 2), (11, 4)]:
        assert rf(report("crop: 4", (1, n)).rows[0])["padding"] == [-start] == [-centre(n, 4)]


def test_a_permute_of_spatial_dimensions_permutes_their_fields():
    rows = report(["conv: {out: 2, kernel: [3, 5], pad: [1, 2]}", "permute: [0, 2, 1]",
                   "conv: {out: 2, kernel: [1, 3]}"], (1, 8, 9)).rows
    assert rf(rows[0]) == {"size": [3, 5], "stride": [1, 1], "padding": [1, 2]}
    assert rf(rows[1]) == {"size": [5, 3], "stride": [1, 1], "padding": [2, 1]}
    assert rf(rows[2]) == {"size": [5, 3 + 2], "stride": [1, 1], "padding": [2, 1]}


def test_a_permute_that_moves_the_channels_leaves_no_field_per_position():
    rows = report(["conv: {out: 2, kernel: 3}", "permute: [1, 2, 0]", "conv: {out: 2, kernel: 1}"], (1, 8, 8)).rows
    assert rf(rows[1]) == rf(rows[2]) == "undefined"


def test_a_map_permuted_to_tokens_and_back_keeps_each_positions_field():
    rows = report(["conv: {out: 4, kernel: 3}", "permute: [1, 0]", "permute: [1, 0]", "conv: {out: 2, kernel: 3}"],
                  (1, 12)).rows
    assert [r.shape.layout for r in rows] == ["map", "tokens", "map", "map"]
    assert rf(rows[1]) == rf(rows[2]) == {"size": [3], "stride": [1], "padding": [0]}
    assert rf(rows[3])["size"] == [5]


def test_a_reshape_keeps_the_field_only_where_it_adds_or_removes_unit_dimensions():
    conv = "conv: {out: 3, kernel: 3, pad: 1}"
    added = report([conv, "reshape: [3, 1, 8]", "conv: {out: 2, kernel: [1, 3]}"], (1, 8)).rows
    assert rf(added[1]) == {"size": [1, 3], "stride": [1, 1], "padding": [0, 1]}  # the new unit dimension: 1 pixel
    assert rf(added[2]) == {"size": [1, 5], "stride": [1, 1], "padding": [0, 1]}
    removed = report([conv, "reshape: [3, 8]"], (1, 1, 8)).rows
    assert rf(removed[1]) == {"size": [3], "stride": [1], "padding": [1]}
    regrouped = report([conv, "reshape: [3, 2, 4]"], (1, 8)).rows
    assert rf(regrouped[1]) == "undefined"
    assert rf(report([conv, "reshape: [-1]"], (1, 8)).rows[1]) is None  # flat: the whole input, as flatten
    assert rf(report(["fc: 64", "reshape: [4, 4, 4]"], (16,)).rows[1]) is None  # after an fc: still the whole


def test_channel_shuffle_keeps_the_field():
    rows = report(["conv: {out: 4, kernel: 3, stride: 2}", "channel_shuffle: 2"], (1, 9, 9)).rows
    assert rf(rows[1]) == rf(rows[0]) == {"size": [3, 3], "stride": [2, 2], "padding": [0, 0]}
