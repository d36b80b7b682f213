"""`nnarith compare`: the totals are the reports' own (as `shape` gives them) and the published figures, the
ratios follow from them, shared stages are summed by hand, items carry their spec arguments, and the table fits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction

import pytest

from tests.helpers import ENV, ROOT, cli

SPEECH = "examples/speech_dnn.yaml"
# torchvision's published parameter counts
PUBLISHED_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "vgg16": 138_357_544}


def compare_json(*args: str) -> dict:
    r = cli("compare", *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def shape_json(*args: str) -> dict:
    r = cli("shape", *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_totals_are_the_reports_and_the_published():
    doc = compare_json("resnet18", "resnet34", "vgg16")
    assert doc["schema"] == "nnarith.compare/1"
    for item in doc["items"]:
        report = shape_json(item["item"])
        totals = report["totals"]
        assert item["totals"]["params"] == totals["params"] == PUBLISHED_PARAMS[item["item"]]
        assert (item["totals"]["weights"], item["totals"]["macs"], item["totals"]["flops"]) == \
            (totals["weights"], totals["macs"], totals["flops"])
        assert (item["totals"]["memory"], item["totals"]["activations"]) == \
            (totals["memory_bytes"], totals["activations"])
        assert item["depth"] == report["depth"]
        fields = [layer["rf"] for layer in report["layers"] if layer["rf"] is not None]
        assert item["receptive_field"] == fields[-1]  # the last layer whose field is not the whole input


def test_ratios_to_the_first():
    doc = compare_json("resnet18", "resnet34", "vgg16")
    first = PUBLISHED_PARAMS["resnet18"]
    assert [i["ratios"]["params"] for i in doc["items"]] == \
        [round(float(Fraction(PUBLISHED_PARAMS[n], first)), 6) for n in ("resnet18", "resnet34", "vgg16")]
    assert [i["ratios"]["depth"] for i in doc["items"]] == [1.0, round(34 / 18, 6), round(16 / 18, 6)]


def basic_block_params(c: int) -> int:
    """A ResNet basic block without downsampling: two 3x3 convs of c to c without bias, two batch norms."""
    return 2 * (9 * c * c) + 2 * (2 * c)


def test_shared_stages_by_hand():
    doc = compare_json("resnet18", "resnet34")
    assert [s["name"] for s in doc["stages"]] == ["layer1", "layer2", "layer3", "layer4"]
    layer1 = doc["stages"][0]["figures"]
    assert [f["params"] for f in layer1] == [2 * basic_block_params(64), 3 * basic_block_params(64)]
    assert layer1[1]["ratios"]["params"] == 1.5


def test_no_stages_where_the_names_differ():
    assert compare_json("resnet18", "vgg16")["stages"] == []


def one_hidden_params(h: int) -> int:
    return 429 * h + h + h * 9304 + 9304


def deep_params(layers: int, width: int = 2048) -> int:
    return 429 * width + width + (layers - 1) * (width * width + width) + width * 9304 + 9304


@pytest.mark.parametrize("item, params, depth", [
    (f"{SPEECH}", deep_params(5), 6),  # the defaults: 5 hidden layers of 2048
    (f"{SPEECH}[hidden=5]", deep_params(5), 6),
    (f"{SPEECH}[hidden=7]", deep_params(7), 8),
    (f"{SPEECH}[hidden=1,width=3772]", one_hidden_params(3772), 2),
    (f"{SPEECH}[width=1024]", deep_params(5, 1024), 6),
])
def test_items_with_their_arguments(item, params, depth):
    doc = compare_json(SPEECH, item)
    assert (doc["items"][1]["totals"]["params"], doc["items"][1]["depth"]) == (params, depth)
    assert doc["items"][1]["item"] == item


def test_a_set_for_every_item_and_an_items_own_value_wins():
    doc = compare_json(f"{SPEECH}[width=3772]", SPEECH, "--set", "hidden=1", "--set", "width=1000")
    assert [i["totals"]["params"] for i in doc["items"]] == [one_hidden_params(3772), one_hidden_params(1000)]


@pytest.mark.parametrize("width", [80, 100])
def test_the_table_fits(width):
    items = ["resnet18", "resnet34", "resnet50", "vgg16", "mobilenet_v2", f"{SPEECH}[hidden=1,width=3772]"]
    r = subprocess.run([sys.executable, "-m", "nnarith", "compare", *items, "--exact"], cwd=ROOT, text=True,
                       capture_output=True, env={**ENV, "COLUMNS": str(width)})
    assert r.returncode == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= width
    assert "\x1b" not in r.stdout  # piped: no colour
    heads = [line for line in r.stdout.splitlines() if line.startswith("figure ")]
    assert len(heads) > 1 and all(re.match(r"figure +A ", h) for h in heads)  # cut into tables, each with A
    for letter in "BCDEF":
        assert sum(f"{letter}/A" in h for h in heads) == 1
    assert f"{PUBLISHED_PARAMS['vgg16']:,}" in r.stdout


def test_the_table_names_the_items_and_the_conventions():
    r = cli("compare", f"{SPEECH}[hidden=5]", f"{SPEECH}[hidden=1,width=3772]")
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"A  {SPEECH}[hidden=5]: Speech DNN")
    assert any(line.startswith(f"B  {SPEECH}[hidden=1,width=3772]: Speech DNN") for line in lines)
    legend = " ".join(r.stdout.split("\n\n")[0].split())  # the values used, folded back into one line
    assert "args hidden=5, width=2048 (hidden set; the others at their defaults)" in legend
    assert "args hidden=1, width=3772 (all set)" in legend
    params = next(line for line in lines if line.startswith("params "))
    ratio = Fraction(one_hidden_params(3772), deep_params(5))
    assert params.split()[-1] == f"{float(ratio):.4f}x"  # 0.9998: four significant digits
    assert "params = weights + biases" in r.stdout


def test_markdown():
    r = cli("compare", "resnet18", "resnet34", "--format", "markdown")
    assert r.returncode == 0, r.stderr
    assert "| figure | A | B | B/A |" in r.stdout
    assert "| params | 11.69 M | 21.80 M | 1.865x |" in r.stdout  # 21,797,672 / 11,689,512 = 1.8647
    assert "| layer1 params |" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["resnet81"], "did you mean 'resnet18'?"),
    ([f"{SPEECH}[hiden=1]"], "did you mean 'hidden'?"),
    ([f"{SPEECH}[hidden=one]"], "is not an integer"),
    ([f"{SPEECH}[hidden=1"], "is not SPEC[NAME=VALUE,...]"),
    (["lenet5[width=3]"], "declares no arguments"),
    (["lenet5", "--set", "width=3"], "declares no arguments"),
    ([f"{SPEECH}[hidden=0]"], f"{SPEECH}:"),  # no hidden layer: the spec's own located error
])
def test_bad_items(args, message):
    r = cli("compare", *args)
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [
    ["compare", "resnet18", f"{SPEECH}[hidden=1]"],
    ["solve", SPEECH, "--vary", "width", "--target", "training_memory=1GiB"],
])
def test_compare_and_solve_never_import_torch_nor_the_picture_libraries(args):
    code = (f"import sys, io, contextlib\nfrom nnarith.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):"
            f"\n    main({args!r})\n"
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'fvcore', 'numpy', 'matplotlib', "
            "'graphviz', 'rich'})\nsys.stderr.write(repr(bad))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=ENV)
    assert r.returncode == 0 and r.stderr == "[]", r.stderr


def test_the_json_names_the_values_used():
    doc = compare_json("lenet5", f"{SPEECH}[hidden=1]")
    assert "args" not in doc["items"][0]  # a spec without args:
    assert (doc["items"][1]["args"], doc["items"][1]["args_set"]) == ({"hidden": 1, "width": 2048}, ["hidden"])
