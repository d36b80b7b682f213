"""nnarith check on the forms published documents take: several networks, stages, conventions
named by the tools that print them, what is skipped, and hostile documents. Expected values are
formulas from the architectures, or the figures the tools themselves print."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnarith.analysis.walk import analyze
from nnarith.check.architecture import depth
from nnarith.check.documents import read_document
from nnarith.check.run import check_file
from nnarith.errors import NnarithError
from nnarith.loader import load_spec
from tests.helpers import ROOT


def check(tmp_path, text: str, spec=None, name: str = "d.md"):
    path = tmp_path / name
    path.write_text(text)
    return check_file(str(path), spec)


def cli(*args: str, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "nnarith", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("spec, layers", [("resnet18", 18), ("resnet34", 34), ("resnet50", 50), ("resnet101", 101),
                                          ("resnet152", 152), ("vgg11", 11), ("vgg16", 16), ("vgg19", 19),
                                          ("googlenet_paper", 22), ("alexnet", 8), ("lenet5", 5)])
def test_depth_is_the_layer_count_networks_are_named_by(spec, layers):
    """Layers with weights on the longest path: ResNet-152 is 152, GoogLeNet 22 (the paper's count)."""
    assert depth(analyze(load_spec(spec)).rows, 0) == layers


CONVENTIONS = [  # (line, spec, status, what the note names); true values from the formulas beside each
    # resnet34: 3,663,761,408 MACs; 3.6 is truncated, and a FLOPs heading holding MACs
    ("| model | FLOPs |\n|---|---|\n| ResNet-34 | 3.6×10^9 |", None, "note", "truncated rather than rounded"),
    ("| model | FLOPs |\n|---|---|\n| ResNet-34 | 3.7×10^9 |", None, "note", "MACs under a FLOPs heading"),
    ("| model | FLOPs |\n|---|---|\n| ResNet-34 | 3.5×10^9 |", None, "wrong", ""),
    # 380K ends in a zero: its precision is unknown, so it is not read as truncated (388,736 is wrong)
    ("| model | params |\n|---|---|\n| AlexNet | 60K |", None, "wrong", ""),
    # inception_v3: 23,834,568 params, 27,161,264 with its auxiliary classifier (torchvision's figure)
    ("| model | params |\n|---|---|\n| Inception_V3 | 27.2M |", None, "note", "training-only heads"),
    # resnet18 at 224: 2 x 4,968,424 outputs of its layers with parameters x 4 bytes = 39,747,392 bytes
    ("Layer (type:depth-idx)   Output Shape   Param #\n" + "=" * 40 + "\nForward/backward pass size (MB): 39.75",
     "resnet18", "ok", ""),
    ("Layer (type:depth-idx)   Output Shape   Param #\n" + "=" * 40 + "\nForward/backward pass size (MB): 59.82",
     "resnet18", "wrong", ""),
    # Keras: 11,689,512 params x 4 bytes = 46,758,048 bytes = 45,662.16 KiB, which Keras writes KB
    ('Model: "resnet"\nTotal params: 11,689,512 (44.59 MB)', "resnet18", "ok", ""),
    # vgg16_cs231n, torchsummary: 138,357,544 x 4 bytes / 2^20 = 527.79 (its MB are MiB)
    ("        Conv2d-1  [-1, 64, 224, 224]  1,792\nParams size (MB): 527.79", "vgg16_cs231n", "ok", ""),
]


@pytest.mark.parametrize("text, spec, status, note", CONVENTIONS, ids=[c[0][-30:] for c in CONVENTIONS])
def test_conventions_published_figures_follow(tmp_path, text, spec, status, note):
    result = check(tmp_path, text + "\n", spec)
    item = result.items[-1]
    assert item.status == status, (item.what, item.stated, item.true_text, item.note)
    assert note in item.note


def test_one_column_per_network_with_labels(tmp_path):
    r = cli("check", "examples/published/resnet_table1_18_34.md", "--spec", "18-layer=resnet18",
            "--spec", "34-layer=resnet34", "-f", "json")
    assert r.returncode == 0, r.stdout
    doc = json.loads(r.stdout)
    whats = [i["what"] for i in doc["items"]]
    assert "18-layer: layer1 (conv2_x) arch" in whats and "34-layer: layer4 (conv5_x) arch" in whats
    shared = next(i for i in doc["items"] if i["what"].startswith("conv1 output"))
    assert shared["what"] == "conv1 output (all 2 networks)" and shared["expected"] == [64, 112, 112]


def test_a_label_no_spec_names_is_said(tmp_path):
    (tmp_path / "t.md").write_text("| layer name | 18-layer |\n|---|---|\n| conv1 | 7×7, 64, stride 2 |\n")
    r = cli("check", "t.md", "--spec", "resnet18", cwd=tmp_path)
    assert r.returncode == 2 and "found no figures to check" in r.stderr  # '18-layer' names nothing


def test_what_is_not_checked_is_said_with_the_reason(tmp_path):
    text = ("| layer | params |\n|---|---|\n| conv1 | 34,944 |\n\n"
            "The dataset has 1.2 million images; the ensemble has 61M parameters.\n"
            "| dataset | size |\n|---|---|\n| ImageNet | 1.2M params |\n")
    (tmp_path / "d.md").write_text(text)
    r = cli("check", "d.md", "--spec", "alexnet_original", "-f", "json", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert [(i["what"], i["status"]) for i in doc["items"]] == [("conv1 params", "ok")]
    reasons = {s["line"]: (s["what"], s["reason"]) for s in doc["skipped"]}
    assert reasons[5][0] == "the sentence" and "ensemble" in reasons[5][1]
    assert reasons[6] == ("the table", "none of its rows names a layer, block or network of the spec")
    text_report = cli("check", "d.md", "--spec", "alexnet_original", cwd=tmp_path).stdout
    assert "skipped the sentence at line 5: cannot tell what 'ensemble' is" in text_report


def test_frozen_parameters_are_not_the_specs_to_settle(tmp_path):
    text = "Layer (type:depth-idx)   Output Shape   Param #\n" + "=" * 40 + \
        "\nTotal params: 11,689,512\nTrainable params: 11,006,440\nNon-trainable params: 683,072\n"
    result = check(tmp_path, text, "resnet18", "s.txt")
    assert [(i.what, i.status) for i in result.items] == [("total params", "ok")]
    assert [s.line for s in result.skipped] == [4, 5]
    assert "add up to its 11,689,512 params" in result.skipped[0].reason


HOSTILE = {
    "a letter and spaces": "a" + " " * 50_000,
    "digits": "1" * 50_000,
    "a summary key without a colon": "Total params" + " " * 50_000 + "x",
    "tabs": "x\t" * 20_000,
    "nested HTML": "<table>" * 3000 + "</table>" * 3000,
    "a huge rowspan": "<table><tr><th>layer</th><th>params</th></tr>"
                      + "<tr><td rowspan=99999999>conv1</td><td>34,944</td></tr>" * 200 + "</table>",
    "a deep module tree": "Net(\n" + "".join(f"{'  ' * (i + 1)}(m{i}): Seq(\n" for i in range(2000)) + ")\n" * 2000,
    "a deep torchinfo tree": "Layer (type:depth-idx)   Output Shape   Param #\n" + "=" * 40 + "\n"
                             + "".join(f"{'│    ' * d}└─Conv2d: {d}-1   [1, 2]   3\n" for d in range(1, 800)),
    "sentences": "ResNet-50 has 25.6M parameters and needs 4.1 GFLOPs. " * 2000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_documents_get_an_answer(tmp_path, name):
    """A report or a located error; never a traceback. (Their time: benchmarks/hostile_inputs.py.)"""
    (tmp_path / "h.md").write_text(HOSTILE[name])
    r = cli("check", "h.md", "--spec", "alexnet_original", cwd=tmp_path)
    assert r.returncode in (0, 1, 2) and "Traceback" not in r.stderr
    if r.returncode == 2:
        assert r.stderr.startswith("h.md:")


def test_a_document_of_more_figures_than_a_spec_has_layers_is_refused_where_it_passes_them(tmp_path):
    rows = "".join(f"| conv{i} | 64x56x56 | 36,928 |\n" for i in range(10_001))
    (tmp_path / "big.md").write_text("| layer | output | params |\n|---|---|---|\n" + rows)
    r = cli("check", "big.md", "--spec", "vgg16", cwd=tmp_path)
    assert r.returncode == 2 and "states more than 20,000 figures" in r.stderr
    # the 20,001st figure: the first cell of the 10,001st row, which stands on line 2 + 10,001
    assert r.stderr.startswith("big.md:10003:15:")


TABLE_TEXT = st.text(alphabet="|│┃├└─━┏┓┡┩=_- \t\n:()[]<>/xX×*^$#@,.0123456789abcdeflmnoprstuvACDGKMLNPST²⁹",
                     max_size=600)


@settings(max_examples=300, deadline=None)
@given(TABLE_TEXT)
def test_any_text_reads_into_subjects_or_located_errors(text):
    try:
        reading = read_document(text, "f.md")
    except NnarithError:
        return
    for block in reading.blocks:
        for s in block:
            assert s.loc.line >= 1 and all(c.loc.line >= 1 for c in s.claims)


@settings(max_examples=150, deadline=None)
@given(TABLE_TEXT)
def test_any_text_is_checked_or_refused_with_a_location(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("f") / "f.md"
    path.write_text(text)
    try:
        result = check_file(str(path), "lenet5")
    except NnarithError as e:
        assert "f.md" in str(e.loc) if getattr(e, "loc", None) else True
        return
    assert result.items


def test_a_table_of_figure_names_and_values_under_the_heading_that_names_its_network(tmp_path):
    """torchvision's model page: '**ResNet50_Weights.IMAGENET1K_V2**:' above '| num_params | 25557032 |'."""
    text = ("**ResNet50_Weights.IMAGENET1K_V2**:\n\n| acc@1 (on ImageNet-1K) | 80.858 |\n|---|---|\n"
            "| num_params | 25557032 |\n| GFLOPS | 4.09 |\n| File size | 97.8 MB |\n")
    result = check(tmp_path, text)
    assert [(i.what, i.status) for i in result.items] == [("ResNet50_Weights.IMAGENET1K_V2 params", "ok"),
                                                         ("ResNet50_Weights.IMAGENET1K_V2 FLOPs", "note")]
    assert result.items[0].expected == 25_557_032 and [s.line for s in result.skipped] == [7]


def test_torchsummary_prints_a_block_after_its_layers(tmp_path):
    rows = ["Conv2d-1  [-1, 64, 112, 112]  9,408", "BatchNorm2d-2  [-1, 64, 112, 112]  128",
            "ReLU-3  [-1, 64, 112, 112]  0", "MaxPool2d-4  [-1, 64, 56, 56]  0"]
    rows += [f"{k}-{i}  [-1, 64, 56, 56]  {p}" for i, (k, p) in enumerate(
        [("Conv2d", "36,864"), ("BatchNorm2d", 128), ("ReLU", 0), ("Conv2d", "36,864"), ("BatchNorm2d", 128),
         ("ReLU", 0), ("BasicBlock", 0)], 5)]
    text = "        Layer (type)   Output Shape   Param #\n" + "=" * 40 + "\n" + "\n".join(
        "    " + r.replace("  ", "      ") for r in rows) + "\n"
    result = check(tmp_path, text, "resnet18", "s.txt")
    block = [i for i in result.items if i.what.startswith("layer1.basic1 ")]
    # its params: the block's 2 x (64*64*9 + 128) = 73,984, which torchsummary, counting a module's own, prints 0
    assert [(i.what, i.status) for i in block] == [("layer1.basic1 output", "ok"), ("layer1.basic1 params", "note")]
    assert "own parameters only" in block[1].note


def test_a_sequence_table_of_repeated_blocks(tmp_path):
    """MobileNetV2's Table 2: each row n blocks with c output channels, the first of stride s."""
    text = ("| Input | Operator | t | c | n | s |\n|---|---|---|---|---|---|\n"
            "| 224² × 3 | conv2d | - | 32 | 1 | 2 |\n| 112² × 32 | bottleneck | 1 | 16 | 1 | 1 |\n"
            "| 112² × 16 | bottleneck | 6 | 24 | 2 | 2 |\n| 56² × 24 | bottleneck | 6 | 32 | 3 | 2 |\n")
    result = check(tmp_path, text, "mobilenet_v2")
    got = {(i.line, i.what.split()[-1]): (i.status, i.expected) for i in result.items}
    assert got[(5, "filters")] == ("ok", 24) and got[(5, "stride")] == ("ok", [2, 2])  # 112 -> 56
    assert got[(6, "input")] == ("ok", [24, 56, 56]) and got[(6, "filters")] == ("ok", 32)
    assert [(s.line, "'bottleneck' names no layer kind" in s.reason) for s in result.skipped] == [
        (4, True), (5, True), (6, True)]  # a word no layer kind matches: said, not judged
