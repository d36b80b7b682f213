"""Reading documents: column headers, row labels, Markdown tables and prose, CSV, course notes."""

from __future__ import annotations

import pytest

from nnarith.check.documents import read_csv, read_document
from nnarith.check.notes import read_notes
from nnarith.check.run import check_file
from nnarith.check.vocabulary import header_figure, kinds_of, special

HEADERS = [
    ("Output", ("output", None)), ("output size", ("output", None)), ("Output Shape", ("output", None)),
    ("Volume", ("output", None)), ("activation shape", ("output", None)), ("size", ("output", None)),
    ("Params", ("params", None)), ("# Parameters", ("params", None)), ("Param #", ("params", None)),
    ("Params (M)", ("params", "M")), ("Parameters (millions)", ("params", "millions")),
    ("Weights", ("weights", None)), ("biases", ("biases", None)), ("buffers", ("buffers", None)),
    ("MACs", ("macs", None)), ("Mult-Adds", ("macs", None)), ("GMACs", ("macs", "G")),
    ("FLOPs", ("flops", None)), ("GFLOPs", ("flops", "G")), ("FLOPs (G)", ("flops", "G")),
    ("ops", ("macs", None)), ("other ops", ("other_ops", None)), ("multiply-adds", ("macs", None)),
    ("Memory", ("memory", None)), ("Memory (MB)", ("memory", "MB")), ("memory (MiB)", ("memory", "MiB")),
    ("memory_bytes", ("memory", "bytes")), ("Memory (fp32)", ("memory", None)),
    ("activations", ("activations", None)),
    ("Receptive field", ("rf", None)), ("RF", ("rf", None)), ("rf_size", ("rf", None)),
    ("rf_stride", ("rf_stride", None)), ("rf_padding", ("rf_padding", None)),
    # architecture: checked against the spec's hyperparameters
    ("kernel size", ("kernel", None)), ("patch size/stride", ("kernel", None)), ("stride", ("stride", None)),
    ("filter size", ("kernel", None)), ("#1×1", ("1x1", None)), ("#3×3 reduce", ("3x3_reduce", None)),
    ("#5×5", ("5x5", None)), ("pool proj", ("pool_proj", None)), ("depth", ("depth", None)),
    ("# layers", ("depth", None)), ("weight layers", ("depth", None)), ("number of layers", ("depth", None)),
    ("layers", None),  # the depth or the label, as its cells are counts or names (tables.py)
    # summaries' columns
    ("Trainable params", ("trainable", None)), ("Non-trainable params", ("non_trainable", None)),
    # not figures: words, and what is not the network's
    ("input size", ("input", None)), ("Input", ("input", None)),  # a layer table's input column
    ("image size", None), ("notes", None), ("layer", None), ("kind", None), ("in_place", None), ("Weight", None),
    ("Acc@1", None), ("Recipe", None),
]


@pytest.mark.parametrize("header, figure", HEADERS, ids=[h[0] for h in HEADERS])
def test_column_headers(header, figure):
    assert header_figure(header) == figure


LABELS = [
    ("CONV1-96", {"conv"}), ("3x3 conv, 64", {"conv"}), ("Conv2d", {"conv"}), ("ConvTranspose2d", {"deconv"}),
    ("MAX POOL1", {"maxpool", "adaptive_maxpool"}), ("Pool", {"maxpool", "avgpool", "adaptive_avgpool",
                                                              "adaptive_maxpool", "gap"}),
    ("avg pool", {"avgpool", "adaptive_avgpool", "gap"}), ("global average pool", {"gap", "adaptive_avgpool"}),
    ("AdaptiveAvgPool2d", {"adaptive_avgpool", "adaptive_maxpool", "gap"}), ("FC 4096", {"fc"}), ("FC-1000", {"fc"}),
    ("fc6", {"fc"}), ("Linear", {"fc"}), ("fully connected", {"fc"}), ("NORM1", {"lrn", "bn"}),
    ("BatchNorm2d", {"bn"}), ("LocalResponseNorm", {"lrn", "bn"}), ("ReLU", {"relu", "relu6", "leaky_relu"}),
    ("Dropout", {"dropout"}), ("softmax", {"softmax"}), ("concat", {"concat"}), ("LSTM", {"lstm"}),
    ("c1", None), ("inception (3a)", None),
]


@pytest.mark.parametrize("label, kinds", LABELS, ids=[label[0] for label in LABELS])
def test_row_labels_name_layer_kinds(label, kinds):
    assert kinds_of(label) == kinds


@pytest.mark.parametrize("label, which", [("Input", "input"), ("INPUT", "input"), ("image", "input"),
                                          ("TOTAL", "total"), ("**total**", "total"), ("Totals", "total"),
                                          ("input_proj", None), ("conv1", None)])
def test_input_and_total_rows(label, which):
    assert special(label) == which


def test_markdown_tables_cells_and_columns():
    text = ("# Title\n\nSome prose with 3 numbers: 1, 2, 3.\n\n"
            "| Layer | Output | Params (K) | notes |\n| :-- | --- | ---: | --- |\n"
            "| **conv1** | 64x112x112 | 9.41 | `a \\| b` |\n| conv2 | | 36.9 | |\n\n"
            "```\n| layer | params |\n|---|---|\n| fc | 1 |\n```\n\n**Total params: 11.7M**\n")
    reading = read_document(text, "d.md")
    totals, block = reading.blocks  # the labelled lines of a document are one block, first
    assert [e.label for e in block] == ["conv1", "conv2"]
    conv1 = block[0].claims
    assert [(f.name, f.text, f.unit, f.loc.line, f.loc.col) for f in conv1] == [
        ("output", "64x112x112", None, 7, 15), ("params", "9.41", "K", 7, 28)]
    assert [f.name for f in block[1].claims] == ["params"]  # an empty cell states nothing
    assert [(s.label, s.loc.line, [c.text for c in s.claims]) for s in totals] == [("Total params", 16, ["11.7M"])]
    assert len(reading.blocks) == 2  # the fenced table is not read


def test_csv_with_other_delimiters():
    for sep in (",", ";", "\t"):
        text = sep.join(["layer", "params", "output"]) + "\n" + sep.join(["c1", "156", "6x28x28"]) + "\n"
        (block,) = read_csv(text, "t.csv")
        assert [(f.name, f.text, f.loc.line) for f in block[0].claims] == [("params", "156", 2),
                                                                            ("output", "6x28x28", 2)]


def test_course_notes_layouts():
    text = ("AlexNet, as the notes give it:\n"
            "[227x227x3] INPUT\n"
            "[55x55x96] CONV1: 96 11x11 filters at stride 4, pad 0\n"
            "CONV2-256: [27x27x256]   memory: 27*27*256=187K   weights: (5*5*48)*256 = 307,200\n"
            "FC8: [1x1x1000]  params: 4,097,000\n"
            "Note: the first layer has 96 filters.\n"
            "TOTAL params: 61M parameters\n")
    block = read_notes(text, "n.txt")
    assert [(e.label, [(f.name, f.text) for f in e.claims]) for e in block] == [
        ("INPUT", [("output", "[227x227x3]")]),
        ("CONV1", [("output", "[55x55x96]")]),
        ("CONV2-256", [("output", "[27x27x256]"), ("memory", "27*27*256=187K"),
                       ("weights", "(5*5*48)*256 = 307,200")]),
        ("FC8", [("output", "[1x1x1000]"), ("params", "4,097,000")]),
        ("TOTAL params", [("params", "61M parameters")]),  # a figure of the whole network
    ]


def test_a_table_about_something_else_is_skipped(tmp_path):
    (tmp_path / "d.md").write_text("| dataset | size |\n|---|---|\n| ImageNet | 1.2M |\n\n"
                                   "| layer | params |\n|---|---|\n| c1 | 156 |\n")
    result = check_file(str(tmp_path / "d.md"), "lenet5")
    assert [(s.line, s.what) for s in result.skipped] == [(1, "the table")]
    assert "none of its rows names" in result.skipped[0].reason
    assert [(i.what, i.status) for i in result.items] == [("c1 params", "ok")]
