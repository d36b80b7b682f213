"""`nnarith memory`: sizes, --fits against the model itself, bad input, the JSON schema and the text's width."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nnarith.analysis import liveness
from nnarith.analysis.walk import analyze
from nnarith.cli import main
from nnarith.cli.memory import parse_size
from nnarith.loader import load_spec, parse_spec
from nnarith.render import units
from tests.helpers import ENV, ROOT, cli

GIB, GB = 2 ** 30, 10 ** 9
SMALL = "input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3, pad: 1}\n  - bn\n  - relu\n  - maxpool: 2\n" \
        "  - flatten\n  - dropout\n  - fc: 10\n"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("text, size", [
    ("24GiB", 24 * GIB), ("24 GB", 24 * GB), ("80GiB", 80 * GIB), ("2.4e10", 24 * GB), ("512", 512),
    ("1.5 KiB", 1536), ("16gb", 16 * GB), ("3 MiB", 3 * 2 ** 20), ("100 B", 100), (".5kB", 500),
])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text, message", [
    ("lots", "is not a size; write it like 24GiB"), ("", "is not a size"), ("24 GX", "is not a size"),
    ("-1GB", "is not a size"), ("GiB", "is not a size"), ("24 GiB s", "is not a size"),
    ("２４GiB", "is not a size"),  # digits of another script
    ("1e999", "more than a yottabyte"), ("2 YiB", "is not a size"),
])
def test_sizes_that_cannot_be_read(text, message, capsys):
    code, out, err = run(capsys, "memory", "lenet5", "--fits", text)
    assert code == 2 and message in err and out == "" and "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["--batch", "0"], "expected a positive integer"),
    (["--optimizer", "adamm"], "did you mean 'adam'?"),
    (["--optimizer", "lion"], "choose one of sgd, momentum, adam, adamw, amsgrad"),
    (["--amp", "bf16", "--dtype", "fp16"], "drop --dtype fp16"),
    (["--fits", "0"], "at least one byte"),
    (["--amp", "fp8"], "'fp8' is not one of"),
])
def test_bad_options_are_usage_errors(args, message, capsys):
    code, out, err = run(capsys, "memory", "lenet5", "--training", *args)
    assert code == 2 and message in err and out == ""


def peaks(text: str, train: bool, optimizer: str = "sgd"):
    """The peak at a batch, from a fresh analysis at that batch (not the function --fits uses)."""
    net = parse_spec(text, "t.yaml") if "\n" in text else load_spec(text)

    def at(batch: int) -> int:
        report = analyze(net, batch=batch)
        if train:
            return liveness.training(net, report, optimizer).peak_bytes
        return liveness.inference(net, report).total_bytes
    return at


@pytest.mark.parametrize("train, optimizer, budget", [
    (False, "sgd", 200_000), (True, "sgd", 200_000), (True, "adam", 150_000), (True, "amsgrad", 70_000),
    (True, "adam", 10_000),  # not even batch 1
])
def test_fits_is_the_largest_batch_by_search(train, optimizer, budget, capsys, tmp_path):
    """Every batch is tried in turn, from 1, until one does not fit: --fits must name the last that did."""
    at = peaks(SMALL, train, optimizer)
    batch = 0
    while at(batch + 1) <= budget:
        batch += 1
    path = tmp_path / "net.yaml"
    path.write_text(SMALL)
    code, out, _ = run(capsys, "memory", str(path), *(["--training"] if train else []), "--optimizer", optimizer,
                       "--fits", str(budget), "--format", "json")
    assert code == 0
    fits = json.loads(out)["fits"]
    assert fits["batch"] == batch
    assert fits["next_batch_peak_bytes"] == at(batch + 1) > budget
    if batch:
        assert fits["peak_bytes"] == at(batch) <= budget


@pytest.mark.parametrize("name, train, budget", [("resnet18", True, 24 * GIB), ("resnet50", False, 80 * GIB),
                                                 ("googlenet", True, 8 * GB)])
def test_fits_on_shipped_specs_by_bisection(name, train, budget):
    at = peaks(name, train, "adam")
    found = liveness.largest_batch(at, budget)
    assert at(found) <= budget < at(found + 1)
    net = load_spec(name)
    fast = liveness.peak_function(net, analyze(net), train, "adam")
    assert liveness.largest_batch(fast, budget) == found


def test_the_reserve_is_taken_off_the_memory_and_stated_apart(capsys):
    _, plain, _ = run(capsys, "memory", "resnet18", "--training", "--fits", "23GiB", "--format", "json")
    _, reserved, _ = run(capsys, "memory", "resnet18", "--training", "--fits", "24GiB", "--reserve", "1GiB",
                         "--format", "json")
    a, b = json.loads(plain), json.loads(reserved)
    assert a["fits"]["batch"] == b["fits"]["batch"] > 0
    assert (b["fits"]["memory_bytes"], b["fits"]["reserve_bytes"]) == (24 * GIB, GIB)
    assert a["training"] == b["training"]  # the figures themselves leave the reserve out
    assert "cuDNN" in b["fits"]["reserve_covers"]


def test_json_keys(capsys):
    code, out, _ = run(capsys, "memory", "resnet18", "--training", "--optimizer", "adam", "--batch", "4",
                       "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["schema"] == "nnarith.memory/1"
    assert {"weights_bytes", "gradients_bytes", "optimizer_bytes", "saved_bytes", "peak_bytes"} <= set(doc["training"])
    assert {"weights_bytes", "peak_bytes", "peak_layer"} <= set(doc["inference"])
    params = 11_689_512  # torchvision's resnet18
    assert doc["training"]["weights_bytes"] == doc["training"]["gradients_bytes"] == params * 4
    assert doc["training"]["optimizer_bytes"] == 2 * params * 4
    layers = doc["training"]["layers"]
    assert sum(x["saved_bytes"] for x in layers) == doc["training"]["saved_bytes"]
    assert layers[0] == {"name": "conv1", "kind": "conv", "saved_bytes": 4 * 3 * 224 * 224 * 4,
                         "saved": "input 4x3x224x224 fp32"}
    _, out, _ = run(capsys, "memory", "resnet18", "--format", "json")
    assert json.loads(out)["training"] is None and json.loads(out)["fits"] is None


@pytest.mark.parametrize("width", [40, 80, 100])
@pytest.mark.parametrize("args", [["resnet50", "--training", "--optimizer", "adam", "--batch", "64", "--fits",
                                   "80GiB"], ["googlenet", "--training", "--amp", "bf16", "--fits", "24 GB",
                                              "--reserve", "1GiB"], ["vit_b_16"]])
def test_text_fits_the_width_and_gives_units(width, args, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = run(capsys, "memory", *args)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= width
    assert "bytes = " in out and "MiB" in out and "MB" in out


def test_the_done_when_command_runs_in_a_subprocess():
    r = cli("memory", "resnet50", "--training", "--optimizer", "adam", "--batch", "64", "--fits", "80GiB")
    assert r.returncode == 0, r.stderr
    assert "Largest batch that fits" in r.stdout and "during backward" in r.stdout


def test_the_benchmark_prints_its_time():
    r = subprocess.run([sys.executable, "benchmarks/memory_speed.py", "--runs", "1"], cwd=ROOT, capture_output=True,
                       text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    assert " s" in r.stdout


def _table(out: str) -> list[str]:
    """The per-layer table's lines after its column heading."""
    lines = out.splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.split()[:3] == ["layer", "bytes", "kept"]) + 1:]


@pytest.mark.parametrize("depth, expected", [
    # resnet18 at depth 2: the stem's four layers, then each stage's two basic blocks under the stage's name
    ("2", ["conv1", "bn1", "relu1", "maxpool1"] + [x for s in range(1, 5) for x in (f"layer{s}", "basic1", "basic2")]
     + ["fc"]),
    ("1", ["conv1", "bn1", "relu1", "maxpool1", "layer1", "layer2", "layer3", "layer4", "fc"]),
])
def test_the_per_layer_table_folds_blocks_by_depth_and_sums_their_bytes(depth, expected, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    _, out, _ = run(capsys, "memory", "resnet18", "--training", "--depth", depth)
    names = [line.split()[0] for line in _table(out) if not line.startswith(" " * 10)]  # not a wrapped line
    assert names == expected
    net = load_spec("resnet18")
    t = liveness.training(net, analyze(net), "sgd")
    stage1 = sum(s.bytes for s in t.layers if s.name.startswith("layer1."))
    listed = {"1": [line for line in _table(out) if line.split()[0] == "layer1"],
              "2": [line for line in _table(out) if line.split()[0] == "basic1"][:1]}[depth]
    block = stage1 if depth == "1" else sum(s.bytes for s in t.layers if s.name.startswith("layer1.basic1."))
    assert listed[0].split()[1:3] == units.si_bytes(block).split()


def test_every_layer_is_listed_under_its_block_at_depth_all(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = run(capsys, "memory", "resnet50", "--training", "--depth", "all")
    table = _table(out)
    assert "  layer1.bottleneck1.add1.main" in table and "…" not in "".join(table)
    net = load_spec("resnet50")
    kept = [s for s in liveness.training(net, analyze(net), "sgd").layers if s.what]
    assert sum(line.startswith("    ") and not line.startswith(" " * 10) for line in table) + 5 == len(kept)
