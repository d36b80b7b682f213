"""Rows to layers: course notes, tables that leave layers out, names, order and kind.

The expected figures here are written from the architectures' definitions (formulas), or
are published ones; none is read back from nnarith.
"""

from __future__ import annotations

import pytest

from nnarith.check.run import check_file
from tests.helpers import ROOT

NOTES = (ROOT / "examples" / "homework" / "alexnet_notes.txt").read_text()


def run(tmp_path, name: str, text: str, spec: str | None, **kw):
    path = tmp_path / name
    path.write_text(text)
    return check_file(str(path), spec, **kw)


def by_line(result) -> dict[tuple[int, str], str]:
    """(line, figure word) -> status."""
    return {(i.line, i.what.split()[-1]): i.status for i in result.items}


def test_alexnet_course_notes_are_all_right(tmp_path):
    """The CS231n layout for AlexNet (227 input, two GPUs), every figure worked out by hand."""
    result = run(tmp_path, "notes.txt", NOTES, "alexnet_original")
    assert [i.status for i in result.items] == ["ok"] * len(result.items)
    # 14 layer lines (input, 5 conv, 2 norm, 3 pool, 3 fc) x (shape, memory, weights) + 2 totals
    assert len(result.items) == 14 * 3 + 2
    conv1 = [i for i in result.items if i.what == "conv1 weights"][0]
    assert conv1.expected == 96 * 11 * 11 * 3 and conv1.derivation == "96 x 11*11*3 = 34,848"


PLANTED = [
    # (written right, written wrong, the figure that turns wrong)
    ("CONV2-256: [27x27x256]", "CONV2-256: [27x27x128]", "output"),
    ("27*27*96=70K", "27*27*96=73K", "memory"),  # the arithmetic right, its result not
    ("(3*3*192)*256 = 442,368", "(3*3*384)*256 = 884,736", "weights"),  # one GPU's filters, not two
    ("6*6*256*4096 = 37,748,736", "6*6*256*4096 = 37,748,763", "weights"),  # a typo in the result
    ("POOL3: [6x6x256]", "POOL3: [7x7x256]", "output"),
    ("61M parameters", "62M parameters", "params"),  # 60,965,224 rounds to 61M (or, with 1 digit, 60M)
]


def test_alexnet_course_notes_with_planted_mistakes(tmp_path):
    text = NOTES
    lines = []
    for right, wrong, figure in PLANTED:
        assert text.count(right) == 1, right
        text = text.replace(right, wrong)
        lines.append((1 + text[:text.index(wrong)].count("\n"), figure))
    result = run(tmp_path, "notes.txt", text, "alexnet_original")
    statuses = by_line(result)
    assert sorted(k for k, s in statuses.items() if s == "wrong") == sorted(lines)
    assert result.count("ok") == 14 * 3 + 2 - len(PLANTED)
    pool1 = next(i for i in result.items if i.what == "pool1 memory")
    assert pool1.note == "the arithmetic is right, the stated result is not" and pool1.expected == 27 * 27 * 96


def test_cs231n_order_puts_norm1_after_pool1_which_the_paper_does_not(tmp_path):
    """CS231n's simplified AlexNet normalises after pooling; the paper (and the spec) before."""
    text = "CONV1: [55x55x96]\nPOOL1: [27x27x96]\nNORM1: [27x27x96]\nCONV2: [27x27x256]\n"
    result = run(tmp_path, "notes.txt", text, "alexnet_original")
    assert [(i.what, i.status) for i in result.items] == [
        ("conv1 output", "ok"), ("pool1 output", "ok"), ("norm1 output", "wrong"), ("conv2 output", "ok")]
    assert result.items[2].expected == [96, 55, 55]


def test_the_cs231n_vgg16_table_and_its_famous_slip(tmp_path):
    """The lecture's VGG-16 table: every layer right; "TOTAL memory: 24M * 4 bytes ~= 93MB" is not
    (15,237,608 elements = 60,950,432 bytes)."""
    rows, c_in, size = ["INPUT: [224x224x3]  memory: 224*224*3=150K  weights: 0"], 3, 224
    for n, c in [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]:
        for _ in range(n):
            rows.append(f"CONV3-{c}: [{size}x{size}x{c}]  memory: {size}*{size}*{c}={size * size * c / 1e6:.1f}M  "
                        f"weights: (3*3*{c_in})*{c} = {9 * c_in * c:,}")
            c_in = c
        size //= 2
        rows.append(f"POOL2: [{size}x{size}x{c}]  memory: {size}*{size}*{c}={size * size * c:,}  weights: 0")
    rows += ["FC: [1x1x4096]  memory: 4096  weights: 7*7*512*4096 = 102,760,448",
             "FC: [1x1x4096]  memory: 4096  weights: 4096*4096 = 16,777,216",
             "FC: [1x1x1000]  memory: 1000  weights: 4096*1000 = 4,096,000",
             "TOTAL memory: 24M * 4 bytes ~= 93MB / image (only forward! ~*2 for bwd)",
             "TOTAL params: 138M parameters"]
    result = run(tmp_path, "vgg.txt", "\n".join(rows) + "\n", "vgg16_cs231n")
    wrong = [i for i in result.items if i.status == "wrong"]
    assert [(i.what, i.stated) for i in wrong] == [("total memory", "24M * 4 bytes ~= 93MB")]
    assert wrong[0].expected == 15_237_608 * 4
    assert result.count("ok") == len(result.items) - 1 == 1 + 21 * 3 + 1 + 3 - 1


def vgg16_table(rows_for_relu: bool = False) -> str:
    """VGG-16 (configuration D) as papers tabulate it: kinds, not names; no ReLU, dropout or
    adaptive pooling rows. Shapes halve at each pool; params are out x (3*3*in + 1)."""
    lines = ["| layer | output size | params |", "|---|---|--:|", "| Input | 224x224x3 | 0 |"]
    c_in, size = 3, 224
    for n, c in [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]:
        for _ in range(n):
            lines.append(f"| 3x3 conv, {c} | {size}x{size}x{c} | {c * (9 * c_in + 1):,} |")
            if rows_for_relu:
                lines.append(f"| ReLU | {size}x{size}x{c} | 0 |")
            c_in = c
        size //= 2
        lines.append(f"| Pool | {size}x{size}x{c} | 0 |")
    lines += [f"| FC 4096 | 4096 | {4096 * (7 * 7 * 512 + 1):,} |", f"| FC 4096 | 4096 | {4096 * 4097:,} |",
              f"| FC 1000 | 1000 | {1000 * 4097:,} |", "| Total | | 138,357,544 |"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("relu_rows", [False, True])
def test_a_table_that_leaves_out_relu_dropout_and_adaptive_pooling(tmp_path, relu_rows):
    result = run(tmp_path, "vgg.md", vgg16_table(relu_rows), "vgg16")
    assert result.count("wrong") == result.count("note") == 0
    conv_rows = 13 * (2 if relu_rows else 1)
    assert len(result.items) == 2 + 2 * (conv_rows + 5 + 3) + 1
    names = [i.what.split()[0] for i in result.items if i.what.endswith("params")]
    assert names[1:3] == ["conv1_1", "relu1" if relu_rows else "conv1_2"]
    assert names[-4:] == ["fc6", "fc7", "fc8", "total"]


def test_a_wrong_cell_in_that_table_is_the_only_wrong_figure(tmp_path):
    text = vgg16_table().replace("| 3x3 conv, 256 | 56x56x256 | 295,168 |", "| 3x3 conv, 256 | 56x56x256 | 295,186 |")
    result = run(tmp_path, "vgg.md", text, "vgg16")
    wrong = [i for i in result.items if i.status == "wrong"]
    assert [(i.line, i.what, i.expected) for i in wrong] == [(10, "conv3_1 params", 256 * (9 * 128 + 1))]
    assert wrong[0].derivation == "256 x (3*3*128 + 1) = 295,168"


def test_names_win_over_order_and_labels_written_twice_are_not_names(tmp_path):
    # conv3 named out of order; "fc" twice: by kind, in order
    text = "| layer | params |\n|---|---|\n| conv3 | 885,120 |\n| conv1 | 34,944 |\n| fc | 37,752,832 |\n" \
           "| fc | 16,781,312 |\n"
    result = run(tmp_path, "a.md", text, "alexnet_original")
    assert [(i.what, i.status) for i in result.items] == [
        ("conv3 params", "ok"), ("conv1 params", "ok"), ("fc6 params", "ok"), ("fc7 params", "ok")]


def test_a_row_that_finds_no_layer_is_wrong_and_says_why(tmp_path):
    text = "FC8: [1000]\nCONV6: [13x13x256]\nInception (3a): [28x28x256]\n"
    result = run(tmp_path, "notes.txt", text, "alexnet_original")
    assert [(i.what, i.status) for i in result.items] == [
        ("fc8 output", "ok"), ("CONV6 output", "wrong"), ("Inception (3a) output", "wrong")]
    assert "no layer of the kind 'CONV6' after fc8" in result.items[1].note
    assert "cannot tell which layer 'Inception (3a)' is" in result.items[2].note


def test_blocks_are_found_by_their_dotted_names(tmp_path):
    # ResNet-50's layer1: 3 bottlenecks; params from the torchvision definition
    width, c_in = 64, 64
    b1 = (c_in * width + 2 * width) + (9 * width * width + 2 * width) + (width * 256 + 2 * 256) \
        + (c_in * 256 + 2 * 256)
    b2 = (256 * width + 2 * width) + (9 * width * width + 2 * width) + (width * 256 + 2 * 256)
    text = f"| name | output | params |\n|---|---|---|\n| layer1 | 256x56x56 | {b1 + 2 * b2:,} |\n" \
           f"| layer1.bottleneck2 | 256x56x56 | {b2:,} |\n"
    result = run(tmp_path, "r.md", text, "resnet50")
    assert [i.status for i in result.items] == ["ok"] * 4
