"""The readers of published layouts, each on the smallest real form of its layout: what becomes a
subject, and which claims it makes (figure, text as written, and where)."""

from __future__ import annotations

import pytest

from nnarith.check.documents import read_document
from nnarith.check.html import read_html
from nnarith.check.layouts import box_cells, split_columns
from nnarith.check.modules import read_module_tree
from nnarith.check.networks import key, parse_specs
from nnarith.check.prose import read_prose
from nnarith.check.summaries import summary_line, tool_of
from nnarith.check.vocabulary import math_text, read_label
from nnarith.errors import Loc, UsageError


def claims(block):
    return [(s.label, [(c.name, c.text) for c in s.claims]) for s in block]


MATH = [
    ("$(3*3*3)*64 = 1,728$", "(3*3*3)*64 = 1,728"), ("1.8\\times10^{9}", "1.8×10^9"), ("10<sup>9</sup>", "10^9"),
    ("1.8×10⁹", "1.8×10^9"), ("1\\,728", "1\u2009728"), ("$3 \\cdot 3$", "3 · 3"), ("\\approx 3.2M", "≈ 3.2M"),
    ("25.6M", "25.6M"),
]


@pytest.mark.parametrize("written, read", MATH, ids=[m[0] for m in MATH])
def test_math_as_documents_write_it(written, read):
    assert math_text(written) == read


LABELS = [  # label as printed -> (label, kind, depth, printed by a tool)
    ("├─Conv2d: 1-1", ("Conv2d: 1-1", "Conv2d", 1, True)),
    ("Conv2d: 3-4", ("Conv2d: 3-4", "Conv2d", 3, True)),
    ("conv2d_1 (Conv2D)", ("conv2d_1", "Conv2D", None, False)),
    ("input_layer (InputLayer)", ("input", "InputLayer", None, False)),
    ("Conv2d-1", ("Conv2d-1", "Conv2d", None, True)),
    ("inception (3a)", ("inception (3a)", None, None, False)),  # a name, not a class in brackets
]


@pytest.mark.parametrize("printed, want", LABELS, ids=[x[0] for x in LABELS])
def test_labels_as_frameworks_print_them(printed, want):
    s = read_label(printed, Loc("f", 1, 1))
    assert (s.label, s.kind, s.depth, s.printed) == want


SUMMARY_LINES = [  # line, tool -> (figure, text, unit) of each claim
    ("Total params: 11,689,512", "torchinfo", [("params", "11,689,512", None)]),
    ("Trainable params: 11,689,512", "torchinfo", [("trainable", "11,689,512", None)]),
    ("Non-trainable params: 0", "torchinfo", [("non_trainable", "0", None)]),
    ("Total mult-adds (G): 1.81", "torchinfo", [("macs", "1.81", "G")]),
    ("Total mult-adds (Units.GIGABYTES): 1.81", "torchinfo", [("macs", "1.81", "G")]),
    ("Input size (MB): 0.60", "torchinfo", [("input_size", "0.60", "MB")]),
    ("Forward/backward pass size (MB): 39.75", "torchinfo", [("forward_backward_size", "39.75", "MB")]),
    ("Params size (MB): 527.79", "torchsummary", [("params_size", "527.79", "MiB")]),  # torchsummary's MB
    ("Estimated Total Size (MB): 87.11", "torchinfo", [("total_size", "87.11", "MB")]),
    (" Total params: 34,826 (136.04 KB)", "keras", [("params", "34,826", None), ("params_size", "136.04 KB", None)]),
    ("Total memory: 24M", None, None),  # not a summary's line: the course-notes reader's
]


@pytest.mark.parametrize("line, tool, want", SUMMARY_LINES, ids=[x[0] for x in SUMMARY_LINES])
def test_summary_totals_lines(line, tool, want):
    s = summary_line(line, 1, "f", tool)
    assert (s and [(c.name, c.text, c.unit) for c in s.claims]) == want
    if s:
        assert s.total and all(c.convention == tool for c in s.claims)


@pytest.mark.parametrize("text, tool", [
    ("Layer (type:depth-idx)   Output Shape", "torchinfo"), ('Model: "sequential"', "keras"),
    ("conv2d (Conv2D)   (None, 26, 26, 32)   320", "keras"),
    ("        Conv2d-1   [-1, 64, 224, 224]   1,792", "torchsummary"),
    ("- params: 138,357,544 (138,344,128 weights + 13,416 biases)", None),  # nnarith's own Markdown
])
def test_which_tool_printed_a_summary(text, tool):
    assert tool_of(text) == tool


def test_cells_of_box_drawn_and_space_separated_rows():
    assert box_cells("│ conv2d (Conv2D)  │ (None, 26, 26, 32) │   320 │") == [
        ("conv2d (Conv2D)", 3), ("(None, 26, 26, 32)", 22), ("320", 45)]
    assert split_columns("│    └─BasicBlock: 2-1     [1, 64, 56, 56]    --") == [
        ("BasicBlock: 2-1", 8), ("[1, 64, 56, 56]", 28), ("--", 47)]
    assert split_columns("a\t\tb") == [("a", 1), ("", 3), ("b", 4)]  # an empty cell between two tabs


KERAS2 = """Model: "sequential"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
conv2d (Conv2D)              (None, 26, 26, 32)        320
_________________________________________________________________
max_pooling2d (MaxPooling2D) (None, 13, 13, 32)        0
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 5, 5, 64)          0
=================================================================
Total params: 320
"""


def test_a_keras2_table_whose_labels_run_into_the_next_column():
    reading = read_document(KERAS2, "k.txt")
    table = reading.blocks[0]
    assert claims(table) == [("conv2d", [("output", "(None, 26, 26, 32)"), ("params", "320")]),
                             ("max_pooling2d", [("output", "(None, 13, 13, 32)"), ("params", "0")]),
                             ("max_pooling2d_1 (MaxPooling2", [("output", "(None, 5, 5, 64)"), ("params", "0")])]
    assert [c.convention for s in table for c in s.claims] == ["keras"] * 6
    assert reading.kinds[0] == ("table", 3)


def test_html_tables_with_colspan_rowspan_and_powers():
    html = ("<table>\n<tr><th>stage</th><th>output</th><th>ResNet-50</th></tr>\n"
            "<tr><td rowspan=\"2\">conv2</td><td rowspan=\"2\">56×56</td><td>3×3 max pool, stride 2</td></tr>\n"
            "<tr><td>[1×1, 64; 3×3, 64; 1×1, 256] ×3</td></tr>\n"
            "<tr><td># params.</td><td></td><td>25.5×10<sup>6</sup></td></tr>\n</table>")
    (block,), count = read_html(html, "c.md", 1, lambda t: t == "ResNet-50")
    assert count == 1
    assert claims(block) == [
        ("conv2", [("output", "56×56"), ("arch", "3×3 max pool, stride 2"),
                   ("arch", "[1×1, 64; 3×3, 64; 1×1, 256] ×3")]),  # the row below continues it
        ("# params.", [("params", "25.5×10^6")])]
    assert block[1].total and block[1].claims[0].network == "ResNet-50"
    assert block[0].claims[2].loc.line == 4


def test_print_model():
    text = ["AlexNet(", "  (features): Sequential(",
            "    (0): Conv2d(3, 64, kernel_size=(11, 11), stride=(4, 4), padding=(2, 2))",
            "    (1): ReLU(inplace=True)", "  )", "  (classifier): Sequential(",
            "    (1): Linear(in_features=9216, out_features=4096, bias=True)", "  )", ")"]
    block, end = read_module_tree(text, 0, "m.txt")
    assert end == len(text)
    assert claims(block) == [
        ("features.0", [("in_channels", "3"), ("filters", "64"), ("kernel", "(11, 11)"), ("stride", "(4, 4)")]),
        ("features.1", []), ("classifier.1", [("in_channels", "9216"), ("filters", "4096")])]
    assert [s.kind for s in block] == ["Conv2d", "ReLU", "Linear"]
    assert block[0].claims[2].loc.col == text[2].index("(11, 11)") + 1


PROSE = [  # sentence -> (subject, [(figure, text)]) of each subject found
    ("It has 25.6M parameters and needs 4.1 GMACs for one 224x224 image.",
     [("It", [("params", "25.6M"), ("macs", "4.1")])]),
    ("VGG-16, with 138 million parameters, is large.", [("VGG-16", [("params", "138 million")])]),
    ("The total no. of parameters in VGG16 is 138 million.", [("VGG16", [("params", "138 million")])]),
    ("conv1 has 34,944 weights", [("conv1", [("weights", "34,944")])]),
    ("ResNet-50 has 25,557,032 parameters (25.6M).", [("ResNet-50", [("params", "25,557,032"), ("params", "25.6M")])]),
    ("the output is 7x7x512", [("", [("output", "7x7x512")])]),
    ("a receptive field of 212 pixels", [("", [("rf", "212")])]),
    ("GoogLeNet, a 22 layers deep network", [("GoogLeNet", [("depth", "22")])]),
    ("First layer (CONV1): 96 11x11 filters applied at stride 4",
     [("First layer (CONV1)", [("filters", "96"), ("kernel", "11x11"), ("stride", "4")])]),
    ("VGG-16/19 nets (15.3/19.6 billion FLOPs)", [("VGG-16", [("flops", "15.3 billion")]),
                                                  ("VGG-19", [("flops", "19.6 billion")])]),
    ("C1: feature maps 6@28x28. C1 contains 156 trainable parameters",
     [("C1", [("output", "6@28x28"), ("params", "156")])]),
    ("F6: layer 84. F6 is fully connected to C5. It has 10,164 trainable parameters.",
     [("F6", [("output", "84"), ("params", "10,164")])]),
    ("ImageNet has 1.2 million images and 1000 classes.", []),
]


@pytest.mark.parametrize("sentence, want", PROSE, ids=[p[0][:40] for p in PROSE])
def test_prose_claims_and_their_subjects(sentence, want):
    names = {"VGG-16", "VGG-19", "VGG16", "ResNet-50", "GoogLeNet"}
    assert claims(read_prose(sentence, 1, "p.md", names.__contains__)) == want


@pytest.mark.parametrize("label, k", [("ResNet-50", "resnet50"), ("ResNet50_Weights.IMAGENET1K_V2", "resnet50"),
                                      ("VGG16_BN", "vgg16bn"), ("ResNet 18 model", "resnet18"),
                                      ("Wide ResNet-50-2", "wideresnet502"), ("SqueezeNet1_0", "squeezenet10")])
def test_network_labels_with_their_spelling_aside(label, k):
    assert key(label) == k


def test_spec_options():
    assert parse_specs(["vgg16", "18-layer=resnet18", "ResNet 50=specs/r50.yaml"]) == (
        "vgg16", {"18-layer": "resnet18", "ResNet 50": "specs/r50.yaml"})
    assert parse_specs(["specs/a=b.yaml"]) == ("specs/a=b.yaml", {})  # a path, not a label
    with pytest.raises(UsageError, match="two plain --spec"):
        parse_specs(["vgg16", "vgg19"])
