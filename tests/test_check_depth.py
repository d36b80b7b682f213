"""check reads a network's depth where it is written: an answers file's `depth:` or `layers:`, a table's
'layers' or 'depth' column, a sentence ("ResNet-50 is 50 layers deep"), a spec's expect:. Depth is a
count, judged exactly. The true figures are the papers' (tests/test_specs.py lists their sources)."""

from __future__ import annotations

import json

import pytest

from nnarith.cli import main

PUBLISHED = {"vgg16": 16, "vgg19": 19, "resnet18": 18, "resnet50": 50, "resnet152": 152, "googlenet": 22,
             "alexnet": 8, "densenet121": 121}


def run(tmp_path, capsys, name: str, text: str, *args: str) -> tuple[int, list[dict]]:
    path = tmp_path / name
    path.write_text(text)
    capsys.readouterr()
    code = main(["check", str(path), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)["items"]


ANSWERS = [(spec, key, stated) for spec, depth in sorted(PUBLISHED.items()) for key in ("depth", "layers")
           for stated in (depth, depth + 1, depth - 3)]


@pytest.mark.parametrize("spec, key, stated", ANSWERS)
def test_an_answers_file(tmp_path, capsys, spec, key, stated):
    code, items = run(tmp_path, capsys, "answers.yaml", f"spec: {spec}\ntotal:\n  {key}: {stated}\n")
    right = stated == PUBLISHED[spec]
    assert [(i["what"], i["status"], i["expected"]) for i in items] == [
        ("total depth", "ok" if right else "wrong", PUBLISHED[spec])]
    assert code == (0 if right else 1)


@pytest.mark.parametrize("stated, status", [("16", "ok"), ("~16", "ok"), ("about 20", "wrong"), ("16.2", "wrong"),
                                            ("15", "wrong")])
def test_depth_is_judged_exactly(tmp_path, capsys, stated, status):
    """A count of layers: "about 20" stands for 15 to 25 elsewhere, but a depth is 16 or it is not."""
    _, items = run(tmp_path, capsys, "answers.yaml", f'spec: vgg16\ntotal: {{depth: "{stated}"}}\n')
    assert items[0]["status"] == status


SENTENCES = [
    ("ResNet-50 is 50 layers deep.", "ResNet-50", 50), ("VGG-16 has 16 layers.", "VGG-16", 16),
    ("VGG-19 is a 19-layer network.", "VGG-19", 19), ("VGG-16 has 16 weight layers.", "VGG-16", 16),
    ("ResNet-18 has a depth of 18 layers.", "ResNet-18", 18),
    ("GoogLeNet is a 22 layers deep network.", "GoogLeNet", 22),
    ("AlexNet has eight layers with weights.", "AlexNet", 8), ("VGG-16 has 19 layers.", "VGG-16", 19),
]


@pytest.mark.parametrize("sentence, network, stated", SENTENCES)
def test_prose(tmp_path, capsys, sentence, network, stated):
    spec = {"ResNet-50": "resnet50", "VGG-16": "vgg16", "VGG-19": "vgg19", "ResNet-18": "resnet18",
            "GoogLeNet": "googlenet", "AlexNet": "alexnet"}[network]
    _, items = run(tmp_path, capsys, "facts.md", sentence + "\n")
    assert [(i["what"], i["stated"], i["status"]) for i in items] == [
        (f"{network} depth", str(stated), "ok" if stated == PUBLISHED[spec] else "wrong")]


@pytest.mark.parametrize("sentence", [
    "VGG-16 needs all 13 convolutional layers and 5 pooling layers to reach a receptive field of 212 pixels.",
    "VGG-16 has 2 layers of pooling at the end.",
])
def test_some_of_its_layers_are_not_its_depth(tmp_path, capsys, sentence):
    path = tmp_path / "facts.md"
    path.write_text(sentence + "\n")
    capsys.readouterr()
    main(["check", str(path), "--format", "json"])
    assert "depth" not in capsys.readouterr().out


def test_a_layer_count_names_a_network_in_a_label(tmp_path, capsys):
    """'the 152-layer ResNet' is a name: its FLOPs are judged against ResNet-152, no depth is claimed."""
    _, items = run(tmp_path, capsys, "facts.md", "The 152-layer ResNet (11.5 billion multiply-adds) is deep.\n",
                   "--spec", "152-layer ResNet=resnet152")
    assert [(i["what"], i["status"]) for i in items] == [("152-layer ResNet MACs", "ok")]


def test_a_table_column_of_layers(tmp_path, capsys):
    table = ("| model | layers | params |\n|---|---|---|\n| ResNet-50 | 50 | 25.6M |\n| VGG-16 | 19 | 138M |\n\n"
             "| network | depth |\n|---|---|\n| DenseNet-121 | 121 |\n\n"
             "| layers | output |\n|---|---|\n| conv1 | 112x112 |\n")
    code, items = run(tmp_path, capsys, "models.md", table, "--spec", "resnet50")
    assert [(i["line"], i["what"], i["status"]) for i in items] == [  # the last: a column of names labels the rows
        (3, "ResNet-50 depth", "ok"), (3, "ResNet-50 params", "ok"), (4, "VGG-16 depth", "wrong"),
        (4, "VGG-16 params", "ok"), (8, "DenseNet-121 depth", "ok"), (12, "conv1 output", "ok")]
    assert code == 1


@pytest.mark.parametrize("header", ["# layers", "weight layers", "number of layers", "Depth"])
def test_a_column_that_can_only_be_the_depth(tmp_path, capsys, header):
    table = f"| model | {header} |\n|---|---|\n| VGG-19 | 19 |\n| ResNet-34 | 18 |\n"
    _, items = run(tmp_path, capsys, "models.md", table)
    assert [(i["what"], i["status"]) for i in items] == [("VGG-19 depth", "ok"), ("ResNet-34 depth", "wrong")]


def test_a_spec_states_its_depth(tmp_path, capsys):
    spec = ("name: tiny\ninput: [3, 8, 8]\nexpect: {depth: 3}\nlayers:\n  - conv: {out: 4, kernel: 3}\n  - relu\n"
            "  - add: {branches: {main: [{conv: {out: 4, kernel: 3, pad: 1}}, {conv: {out: 4, kernel: 3, pad: 1}}],"
            " shortcut: identity}}\n")
    code, items = run(tmp_path, capsys, "tiny.yaml", spec)
    assert [(i["what"], i["status"], i["expected"]) for i in items] == [("total depth", "ok", 3)]
    assert code == 0
