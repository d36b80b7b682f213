"""The shipped specs against published figures: torchvision's parameter counts and GFLOPS
(which are MACs), the CS231n VGG-16 memory table, and the original papers."""

from __future__ import annotations

from math import prod

import pytest

from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec, shipped
from nnarith.render.machine import report_json

# torchvision.models.<name>() parameter counts, as published in its model tables.
TORCHVISION_PARAMS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "vgg16_bn": 138_365_992,
    "googlenet": 6_624_904,
    "inception_v3": 23_834_568,
    "densenet121": 7_978_856,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "resnext50_32x4d": 25_028_904,
    "wide_resnet50_2": 68_883_240,
    "mobilenet_v2": 3_504_872,
    "squeezenet1_0": 1_248_424,
}

# torchvision's "GFLOPS" column, which counts multiply-accumulates, to its two decimals.
TORCHVISION_GMACS = {
    "alexnet": 0.71, "vgg11": 7.61, "vgg13": 11.31, "vgg16": 15.47, "vgg19": 19.63, "vgg16_bn": 15.47,
    "googlenet": 1.50, "inception_v3": 5.71, "densenet121": 2.83, "resnet18": 1.81, "resnet34": 3.66,
    "resnet50": 4.09, "resnet101": 7.80, "resnet152": 11.51, "resnext50_32x4d": 4.23,
    "wide_resnet50_2": 11.40, "mobilenet_v2": 0.30, "squeezenet1_0": 0.82,
}

OTHER_PARAMS = {
    "lenet5": 6 * (5 * 5 * 1 + 1) + 16 * (5 * 5 * 6 + 1) + 120 * (400 + 1) + 84 * (120 + 1) + 10 * (84 + 1),
    "alexnet_original": 60_965_224,
    "mlp_mnist": 669_706,  # as the Keras mnist_mlp example's summary prints it
    "vgg16_cs231n": 138_357_544,
}


def totals(name: str):
    return analyze(load_spec(name)).totals


@pytest.mark.parametrize("name, params", sorted({**TORCHVISION_PARAMS, **OTHER_PARAMS}.items()))
def test_parameter_counts(name, params):
    assert totals(name).params == params


@pytest.mark.parametrize("name, gmacs", sorted(TORCHVISION_GMACS.items()))
def test_macs_match_torchvision_gflops_column(name, gmacs):
    assert round(totals(name).macs / 1e9, 2) == gmacs


def test_exact_macs():
    assert totals("vgg16").macs == 15_470_264_320
    assert totals("resnet50").macs == 4_089_184_256
    assert totals("vgg16").flops == 2 * 15_470_264_320


def test_vgg16_memory_the_lecture_table_and_torchvision():
    lecture = analyze(load_spec("vgg16_cs231n"))
    assert lecture.totals.activations == 15_237_608
    assert lecture.totals.memory_bytes == 60_950_432
    # torchvision's 7x7 adaptive pool is a no-op at 224 that still allocates 512*7*7
    assert totals("vgg16").activations == 15_237_608 + 512 * 7 * 7 == 15_262_696


def test_memory_scales_with_dtype_and_batch():
    net = load_spec("vgg16_cs231n")
    assert analyze(net, dtype="fp16", batch=8).totals.memory_bytes == 15_237_608 * 2 * 8
    assert analyze(net, dtype="int8").totals.memory_bytes == 15_237_608


def test_googlenet_training_only_heads():
    report = analyze(load_spec("googlenet"))
    assert report.totals.params == 6_624_904
    assert report.totals.params + report.aux_totals.params == 13_004_888
    assert {r.path[0] for r in report.aux_rows} == {"aux1", "aux2"}


def test_inception_v3_with_its_aux_head_matches_torchvision_default():
    report = analyze(load_spec("inception_v3"))
    assert report.totals.params + report.aux_totals.params == 27_161_264


@pytest.mark.parametrize("name", sorted(shipped()))
def test_rows_sum_to_the_totals(name):
    doc = report_json(analyze(load_spec(name)))
    for part in (doc, doc["training_only"]):
        layers, t = part["layers"], part["totals"]
        for key in ("params", "weights", "biases", "buffers", "macs", "flops", "other_ops", "memory_bytes"):
            extra = doc["input_memory_bytes"] if key == "memory_bytes" and part is doc else 0
            assert t[key] == extra + sum(layer[key] for layer in layers), key
        held = sum(layer["activations"] for layer in layers if not layer["in_place"])
        assert t["activations"] == held + (prod(doc["input"]) if part is doc else 0)
        assert t["params"] == t["weights"] + t["biases"]


@pytest.mark.parametrize("name", sorted(shipped()))
def test_every_shipped_spec_names_its_source(name):
    assert load_spec(name).source


def test_json_report_schema():
    doc = report_json(analyze(load_spec("vgg16")))
    assert doc["schema"] == "nnarith.report/2"
    first = doc["layers"][0]
    assert first == {
        "name": "conv1_1", "kind": "conv", "path": ["conv1_1"], "output": [64, 224, 224],
        "params": 1792, "weights": 1728, "biases": 64, "buffers": 0, "macs": 86_704_128,
        "flops": 173_408_256, "other_ops": 64 * 224 * 224, "activations": 3_211_264, "memory_bytes": 12_845_056,
        "in_place": False, "rf": {"size": [3, 3], "stride": [1, 1], "padding": [1, 1]}, "warnings": [],
    }
    assert set(doc["totals"]) == {"params", "weights", "biases", "buffers", "macs", "flops", "other_ops",
                                  "activations", "memory_bytes"}
    assert doc["training_only"] == {"layers": [], "totals": dict.fromkeys(doc["totals"], 0)}
