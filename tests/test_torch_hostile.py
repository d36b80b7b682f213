"""Hostile input to verify and bench (issue 10, item 12): each is refused in one line with
exit 2 before anything is allocated, or handled and said; names reach the terminal escaped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
pytest.importorskip("fvcore", reason="needs the nnarith[torch] extra")

from nnarith.analysis import liveness  # noqa: E402
from nnarith.analysis.walk import analyze  # noqa: E402
from nnarith.errors import SpecError  # noqa: E402
from nnarith.loader import load_spec, parse_spec  # noqa: E402
from nnarith.torch import guard  # noqa: E402
from nnarith.torch.against import against  # noqa: E402
from nnarith.torch.bench import TRAINING_NOTE, _plan, bench  # noqa: E402
from nnarith.torch.verify import verify  # noqa: E402
from tests.helpers import ROOT, cli  # noqa: E402

WANTED = ("give an nn.Module, or a function or class that builds one with no arguments, e.g. "
          "torchvision.models:resnet50, or a transformers model class, built from its config, e.g. "
          "transformers:BertModel")
HUGE = "input: [3, 8, 8]\nlayers:\n  - conv: {out: 10000000000000000000000, kernel: 3}\n"
BIG = "input: [3, 8, 8]\nlayers:\n  - conv: {out: 100000000000, kernel: 3}\n"  # 11.2 TB of fp32 weights
SIZE = r"[\d.]+ [kMGTPE]?B"


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    return r.stderr.rstrip("\n")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal, which needs a machine without CUDA")
def test_verify_on_cuda_without_cuda_is_refused():
    why = (f"this PyTorch ({torch.__version__}) was built without CUDA" if not torch.backends.cuda.is_built()
           else "no CUDA device is available")
    expected = f"error: --device cuda: {why}; run on the CPU with --device cpu"
    assert one_line_error(cli("verify", "lenet5", "--device", "cuda")) == expected
    assert one_line_error(cli("verify", "lenet5", "--device", "cuda", "--against", "torch.nn:Identity")) == expected


@pytest.mark.parametrize("target, found", [
    ("os:system", "--against 'os:system' is a built-in function (posix.system)"),
    ("builtins:print", "--against 'builtins:print' is a built-in function (builtins.print)"),
    ("torch.nn:Linear", "--against 'torch.nn:Linear': Linear() needs arguments (in_features, out_features)"),
    ("collections:OrderedDict", "--against 'collections:OrderedDict' is a class that is not an nn.Module "
                                "(collections.OrderedDict)"),
    ("math:pi", "--against 'math:pi' is a builtins.float, not callable"),
    ("os:no_such_name", "--against 'os:no_such_name': 'os' has no 'no_such_name'"),
])
def test_against_demands_a_module_factory(target, found):
    if target == "os:system" and sys.platform == "win32":
        found = found.replace("posix", "nt")
    assert one_line_error(cli("verify", "lenet5", "--against", target)) == f"error: {found}; {WANTED}"


def test_against_checks_what_a_factory_returns(tmp_path):
    (tmp_path / "factories.py").write_text('''
import torch.nn as nn

def nothing():
    pass

def broken():
    raise ValueError("no weights here\\n\\x1b[31m")
''')
    path = f"{tmp_path}{os.pathsep}{ROOT}"
    run = lambda target: cli("verify", "lenet5", "--against", target, cwd=tmp_path, pythonpath=path)  # noqa: E731
    assert one_line_error(run("factories:nothing")) == (
        f"error: --against 'factories:nothing': calling it returned None, not an nn.Module; {WANTED}")
    assert one_line_error(run("factories:broken")) == (  # the exception's text, escaped to one line
        "error: --against 'factories:broken': calling it failed: ValueError: no weights here\\n\\x1b[31m")


def test_against_takes_a_module_instance(tmp_path):
    (tmp_path / "instances.py").write_text('''
import torch.nn as nn

model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                      nn.ReLU(), nn.Linear(84, 10))
''')
    path = f"{tmp_path}{os.pathsep}{ROOT}"
    ok = cli("verify", "lenet5", "--against", "instances:model", cwd=tmp_path, pythonpath=path)  # used as it is
    assert ok.returncode == 0 and "PASSED" in ok.stdout, ok.stdout + ok.stderr


def test_training_at_batch_1_with_batch_norm_on_one_value_times_batch_2(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("input: [8]\nlayers: [fc: 4, flatten, bn, relu, fc: 2]\n")
    r = cli("bench", str(spec), "--batch", "1,2", "--mode", "training", "--device", "cpu", "-f", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [(x["mode"], x["batch"]) for x in doc["results"]] == [("training", 2)]
    assert doc["notes"] == ["training at batch 1 is impossible: batch norm 'bn1' sees one value per channel (its "
                            "input is 4), and PyTorch cannot normalise one value in training mode; batch 2 is "
                            "timed instead", TRAINING_NOTE]


def test_inception_v3s_aux_head_is_planned_at_batch_2():
    plan, notes = _plan(analyze(load_spec("inception_v3")), ("inference", "training"), ("fp32",), (1, 8))
    assert plan == [("inference", "fp32", 1), ("inference", "fp32", 8), ("training", "fp32", 2),
                    ("training", "fp32", 8)]
    assert "batch norm 'AuxLogits.aux_head1.conv1.bn1' sees one value per channel (its input is 768x1x1)" in notes[0]
    assert _plan(analyze(load_spec("resnet18")), ("training",), ("fp32",), (1,)) == ([("training", "fp32", 1)], [])


def test_the_memory_check_says_the_prediction_and_what_is_available():
    report = analyze(load_spec("lenet5"))
    model, activations = guard.predicted_bytes(report, 1_000_000)
    assert (model, activations) == (61_706 * 4, 36_472 * 1_000_000)
    # inference holds at least the input batch, and s2's input (c1's 6x28x28) with its 6x14x14 output
    assert guard.live_bytes(report, 1_000_000) == (1 * 32 * 32 + 6 * 28 * 28 + 6 * 14 * 14) * 4 * 1_000_000
    guard.fits("running", model, activations, "all", (model + activations, "a test"))  # exactly fits
    guard.fits("running", model, activations, "all", None)  # nothing known: no check
    with pytest.raises(guard.TooLarge) as e:
        guard.fits("benchmarking lenet5 at batch 1000000", model, activations, "every layer's output",
                   (8 * 10**9, "a test"))
    assert str(e.value) == (
        "benchmarking lenet5 at batch 1000000 needs about 36.47 GB (nnarith's prediction: parameters and buffers "
        "246.82 kB + activations 36.47 GB: every layer's output), but 8.00 GB of memory is available (a test); "
        "use a smaller --batch")
    with pytest.raises(guard.TooLarge, match="needs at least 1.00 TB .* the parameters alone do not fit; nnarith"):
        guard.fits("building", 10**12, 0, "none", (10**9, "a test"), at_least=True)


def test_an_allocation_that_fails_anyway_is_one_line():
    with pytest.raises(guard.TooLarge) as e, guard.out_of_memory("verifying x at batch 2"):
        torch.empty(2**58)  # 1.15 EB: refused by the allocator at once, nothing is touched
    assert str(e.value) == ("verifying x at batch 2 ran out of memory: PyTorch could not allocate 1.15 EB more; "
                            "use a smaller --batch")


def _lenet5_training_peak(batch: int) -> int:
    """The training step's peak in nnarith's memory model (its own tests check it by hand): bench's prediction."""
    net = load_spec("lenet5")
    return liveness.training(net, analyze(net, batch=batch), "sgd").peak_bytes


LENET5_PARAMS = 61_706 * 4
BILLION = 10 ** 9


@pytest.mark.parametrize("args, doing, model, activations, counted", [
    # inference: the input batch (the caller's), c1's output and s2's at once, per image 1024 + 4704 + 1176
    (["bench"], "benchmarking specs/lenet5.yaml (inference, fp32)", LENET5_PARAMS,
     (1024 + 6 * 28 * 28 + 6 * 14 * 14) * 4 * BILLION, "the activations alive at once"),
    (["bench", "--mode", "training"], "benchmarking specs/lenet5.yaml (training, fp32)", LENET5_PARAMS,
     _lenet5_training_peak(BILLION) - LENET5_PARAMS, "the step's peak: saved tensors and gradients alive at once"),
    (["verify"], "verifying specs/lenet5.yaml", LENET5_PARAMS, 36_472 * BILLION,  # bytes per image
     "every layer's output, kept for the checks"),
])
def test_a_batch_that_does_not_fit_is_refused_before_allocating(args, doing, model, activations, counted):
    message = one_line_error(cli(*args, "lenet5", "--batch", str(BILLION)))
    needs, model, activations = guard.size(model + activations), guard.size(model), guard.size(activations)
    assert re.fullmatch(
        f"error: {re.escape(doing)} at batch 1000000000 needs about {needs} \\(nnarith's prediction: parameters and "
        f"buffers {model} \\+ activations {activations}: {re.escape(counted)}\\), but {SIZE} of memory is "
        f"available \\((MemAvailable in /proc/meminfo|free on the GPU \\(torch.cuda.mem_get_info\\))\\); use a "
        f"smaller --batch", message), message


def test_a_layer_too_large_to_build_is_located(tmp_path):
    (tmp_path / "huge.yaml").write_text(HUGE)
    located = ["huge.yaml:3:5: error: 270,000,000,000,000,000,000,000 weights are more than one PyTorch tensor "
               "can hold (2^63 - 1 bytes)", "  in layer 'conv1'",
               "  hint: nnarith shape and calc give its figures; PyTorch cannot build it"]
    r = cli("verify", "huge.yaml", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.splitlines() == located, r.stderr
    net = parse_spec(HUGE, "huge.yaml")
    for run in (lambda: verify(net), lambda: bench(net, "cpu", (1,)), lambda: against(net, "torch.nn:Identity")):
        with pytest.raises(SpecError) as e:
            run()
        assert e.value.render().splitlines() == located
    up = parse_spec(f"input: [3, 8, 8]\nlayers: [upsample: {10**21}]\n", "up.yaml")
    with pytest.raises(SpecError) as e:  # an output too large to hold: built, but it cannot run
        verify(up)
    assert e.value.render().splitlines() == [
        "up.yaml:2:10: error: 1.92e44 output elements per image are more than one PyTorch tensor can hold "
        "(2^63 - 1 bytes)", "  in layer 'upsample1'", "  hint: nnarith shape and calc give its figures; PyTorch "
        "cannot run it"]


def test_a_layer_too_large_to_allocate_is_refused(tmp_path):
    (tmp_path / "big.yaml").write_text(BIG)
    tail = "the parameters alone do not fit; nnarith shape and calc give its figures without building it"
    message = one_line_error(cli("verify", "lenet5", "big.yaml", "--batch", "1", cwd=tmp_path))  # before lenet5 runs
    assert "(nnarith's prediction: parameters and buffers 11.20 TB + activations" in message
    assert message.endswith(tail)
    with pytest.raises(guard.TooLarge, match=re.escape(tail)):
        bench(parse_spec(BIG, "big.yaml"), "cpu", (1,), modes=("training",))


@pytest.mark.parametrize("command, start", [("verify", "  ("), ("bench", " on ")])
def test_names_echoed_by_verify_and_bench_are_escaped(tmp_path, command, start):
    spec = tmp_path / "s.yaml"
    spec.write_text('name: "\\e[2J\\e[31mred\\x01"\ninput: [4]\nlayers: [fc: 2]\n')
    assert parse_spec(spec.read_text(), "s.yaml").name == "\x1b[2J\x1b[31mred\x01"
    r = cli(command, str(spec), *(["--batch", "1", "--device", "cpu"] if command == "bench" else []))
    assert r.returncode == 0 and r.stdout.startswith("\\x1b[2J\\x1b[31mred\\x01" + start), r.stderr
    assert "\x1b" not in r.stdout and "\x01" not in r.stdout
