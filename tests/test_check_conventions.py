"""The conventions: a figure wrong under the default but right under another is a note naming
it, and --strict makes it wrong. Each true value here is computed from the layer's formula."""

from __future__ import annotations

import pytest

from nnarith.check.run import check_file

CONV1 = 64 * 112 * 112  # resnet18's conv1: 64 filters of 7x7x3, stride 2, pad 3, no bias
FC_W, FC_B = 512 * 1000, 1000  # resnet18's fc: 512 -> 1000
MACS = 1_814_073_344  # resnet18, as torchvision publishes it ("1.81 GFLOPS", which are MACs)


def answer(tmp_path, figures: str, spec: str = "resnet18", **kw):
    path = tmp_path / "answers.yaml"
    path.write_text(f"spec: {spec}\n{figures}")
    return check_file(str(path), **kw).items


CASES = [
    # (answers, the convention the note names)
    ("fc: {params: 512000}", "weights without biases"),
    ("fc: {weights: 513000}", "biases counted too (params)"),
    (f"fc: {{macs: {2 * 512 * 1000}}}", "FLOPs = 2 x MACs, under a MACs heading"),
    ("fc: {flops: 512000}", "FLOPs = 2 x MACs, but MACs under a FLOPs heading"),
    ("total: {flops: 1.81 G}", "FLOPs = 2 x MACs, but MACs under a FLOPs heading"),
    # conv1's output is 802,816 elements = 3,211,264 bytes = 3.06 MiB = 3.21 MB
    ("conv1: {memory: 3.06 MB}", "MiB vs MB, in MiB but written MB"),
    ("conv1: {memory: 3.21 MiB}", "MiB vs MB, in MB but written MiB"),
    (f"conv1: {{memory: {CONV1 * 4}}}", "elements vs bytes, bytes written without a unit"),
    ("conv1: {memory: 802.8 kB}", "elements vs bytes, the element count written as bytes"),
    # max pooling 3x3/2 with pad 1 on 112: floor((112 + 2 - 3)/2) + 1 = 56; ceil mode gives 57
    ("maxpool1: {output: 64x57x57}", "floor vs ceil, pooling rounding up (ceil mode, as Caffe)"),
]


@pytest.mark.parametrize("figures, convention", CASES, ids=[c[1] + ": " + c[0] for c in CASES])
def test_a_figure_right_under_another_convention_is_a_note(tmp_path, figures, convention):
    (item,) = answer(tmp_path, figures + "\n")
    assert item.status == "note" and item.note.startswith(convention + ":"), item.note
    (strict,) = answer(tmp_path, figures + "\n", strict=True)
    assert strict.status == "wrong" and strict.note.startswith("--strict: " + convention)


@pytest.mark.parametrize("figures", [
    "fc: {params: 513000}", "fc: {weights: 512000}", f"fc: {{macs: {512 * 1000}}}", f"fc: {{flops: {2 * 512000}}}",
    f"total: {{macs: {MACS}}}", "total: {flops: 3.63 G}", "conv1: {memory: 3.21 MB}", "conv1: {memory: 3.06 MiB}",
    f"conv1: {{memory: {CONV1}}}", f"conv1: {{memory: {CONV1 * 4} bytes}}", "layer1.basic1.add1: {output: 64x56x56}",
])
def test_the_default_conventions_are_plainly_right(tmp_path, figures):
    (item,) = answer(tmp_path, figures + "\n", strict=True)
    assert item.status == "ok", item


def test_a_size_that_does_not_divide_is_floored_by_default_and_a_note_under_strict(tmp_path):
    """(112 + 2*1 - 3)/2 + 1 = 56.5: PyTorch floors it to 56, which --strict (sizes must divide) notes."""
    (item,) = answer(tmp_path, "maxpool1: {output: 64x56x56}\n")
    assert item.status == "ok", item
    (strict,) = answer(tmp_path, "maxpool1: {output: 64x56x56}\n", strict=True)
    assert strict.status == "note" and strict.note == "--strict: the size does not divide; PyTorch floors it"


def test_floor_vs_ceil_follows_through_the_network(tmp_path):
    """With ceil-mode pooling every later map is 57 wide; the note says why, layer after layer."""
    items = answer(tmp_path, "layer1.basic1.add1.main.conv1: {output: 64x57x57, memory: 207936}\n"
                             "layer1.basic1.add1.main.conv2: {output: 64x56x56}\n")
    assert [i.status for i in items] == ["note", "note", "ok"]
    assert items[1].expected == 64 * 56 * 56 and "floor vs ceil" in items[1].note


def test_a_spec_with_ceil_pooling_gets_the_floor_note(tmp_path):
    # GoogLeNet as the paper built it (Caffe, ceil mode): 112 -> ceil((112 - 3)/2) + 1 = 56; floor gives 55.
    # Rounded down everywhere, its 7x7 average pooling no longer fits; the layers before it still compare.
    (item,) = answer(tmp_path, "pool1: {output: 64x55x55}\n", spec="googlenet_paper")
    assert item.status == "note" and item.note.startswith("floor vs ceil, ") and "= 55.5 -> 55" in item.note


def test_a_wrong_figure_under_every_convention_is_wrong(tmp_path):
    (item,) = answer(tmp_path, "fc: {params: 514000}\n")
    assert item.status == "wrong" and item.note == "" and item.expected == FC_W + FC_B


def test_in_place_layers_allocate_nothing_and_still_output_their_size(tmp_path):
    items = answer(tmp_path, "relu: {memory: 0}\nrelu1: {memory: 802816}\n")
    assert [i.status for i in items] == ["ok", "ok"]
