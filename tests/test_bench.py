"""`nnarith bench` on the CPU (CI has no GPU), and on CUDA where there is one."""

from __future__ import annotations

import json
import re

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")

from nnarith.analysis.walk import analyze  # noqa: E402
from nnarith.loader import load_spec  # noqa: E402
from nnarith.torch.bench import Benchmark, Result, bench, choose_device  # noqa: E402
from nnarith.torch.render import WIDTH, render_benchmark  # noqa: E402
from tests.helpers import cli  # noqa: E402

RESULT_KEYS = {"batch", "dtype", "mode", "ms_median", "ms_spread", "images_per_s", "tflops", "fraction_of_peak",
               "peak_memory_bytes", "predicted_memory_bytes", "runs"}


def test_bench_json_on_the_cpu():
    r = cli("bench", "lenet5", "--batch", "1,4", "--mode", "inference,training", "--device", "cpu", "-f", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "nnarith.bench/1" and doc["fallback"] is None
    assert set(doc["peak_tflops"]) == {"fp32"} and doc["peak_tflops"]["fp32"] > 0
    assert [(x["mode"], x["batch"]) for x in doc["results"]] == [
        ("inference", 1), ("inference", 4), ("training", 1), ("training", 4)]
    flops = analyze(load_spec("lenet5")).totals.flops
    for x in doc["results"]:
        assert set(x) == RESULT_KEYS and x["runs"] >= 3 and x["ms_median"] > 0
        assert x["images_per_s"] == pytest.approx(x["batch"] / (x["ms_median"] / 1e3), rel=1e-3)
        work = flops * x["batch"] * (3 if x["mode"] == "training" else 1)
        assert x["tflops"] == pytest.approx(work / (x["ms_median"] / 1e3) / 1e12, rel=1e-2, abs=1e-4)
    # inference at batch 4: the weights, and at s2 the input batch (the caller's), c1's output and s2's at once
    assert doc["results"][1]["predicted_memory_bytes"] == 61_706 * 4 + 4 * (1024 + 6 * 28 * 28 + 6 * 14 * 14) * 4


def test_training_survives_an_in_place_op_after_sigmoid(tmp_path):
    """Sigmoid keeps its output for backward; an in-place ReLU on it would break autograd."""
    spec = tmp_path / "s.yaml"
    spec.write_text("input: [4]\nlayers: [fc: 4, sigmoid, relu: {inplace: true}, fc: 2]\n")
    r = cli("bench", str(spec), "--batch", "2", "--mode", "training,inference", "--device", "cpu", "-f", "json")
    assert r.returncode == 0, r.stderr
    assert [x["mode"] for x in json.loads(r.stdout)["results"]] == ["training", "inference"]


def test_training_prediction_is_the_step_peak_of_the_memory_model(tmp_path):
    """fc 4 -> 3, relu, fc 3 -> 2 at batch 4, fp32: 23 parameters (92 bytes); plain SGD keeps no state. At
    the end of the forward pass the input (4 x 4), the first fc's output, which the in-place ReLU overwrites
    and the second fc reads (4 x 3), and the output (4 x 2) are alive: kept for backward, or the output.
    The peak is the second fc's backward: the output's gradient (4 x 2), its weights' gradients (3 x 2 + 2)
    and its input's gradient (4 x 3) on top of those."""
    spec = tmp_path / "s.yaml"
    spec.write_text("input: [4]\nlayers: [fc: 3, relu, fc: 2]\n")
    [run] = bench(str(spec), device="cpu", batches=(4,), modes=("training",)).results
    alive = (4 * 4 + 4 * 3 + 4 * 2) * 4
    assert run.predicted_memory_bytes == 23 * 4 + alive + (4 * 2 + (3 * 2 + 2) + 4 * 3) * 4


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the fallback, which needs a machine without CUDA")
def test_auto_device_falls_back_to_the_cpu_and_says_so():
    device, name, fallback = choose_device("auto")
    assert device.type == "cpu" and name
    assert fallback == "no CUDA device is available: benchmarking on the CPU instead"
    table = cli("bench", "lenet5", "--batch", "2").stdout
    assert "no CUDA device is available: benchmarking on the CPU instead" in table
    assert "ms median" in table and "of peak" in table


def test_bench_table_fits_the_width_and_paints_only_where_asked():
    """The widest figures a run gives (a large batch on a slow CPU, tens of GB) still fit WIDTH columns."""
    wide = Result(4096, "bf16", "inference", 123_456.78, 9_876.54, 1_234_567.8, 123.456, None,
                  123_456_789_012, 98_765_432_109, 1000)
    note = ("training at batch 1 is impossible: batch norm 'layer4.bottleneck3.add1.main.bn3' sees one value "
            "per channel (its input is 2048), and PyTorch cannot normalise one value in training mode")
    b = Benchmark("Wide ResNet-50-2", "NVIDIA H200 (a long device name as CUDA reports it)",
                  "CUDA was asked for but is not available: benchmarking on the CPU instead",
                  "process peak RSS (since start)", {"fp32": 0.045, "bf16": 0.133, "fp16": 0.2}, [wide] * 3, [note])
    plain = render_benchmark(b)
    assert max(map(len, plain.splitlines())) <= WIDTH and "\x1b" not in plain
    assert "1,234,567.8" in plain and "123.46 GB" in plain and " ".join(note.split()) in " ".join(plain.split())
    tagged = render_benchmark(b, paint=lambda text, meaning: f"<{meaning}>{text}</{meaning}>")
    assert "<heading>mode " in tagged and "<note>note:</note>" in tagged
    assert set(re.findall(r"<([a-z]+)>", tagged)) == {"heading", "guide", "note"}
    assert re.sub(r"</?[a-z]+>", "", tagged) == plain  # painting adds codes only: the columns do not move


def test_bad_bench_options():
    for args in (["--batch", "0"], ["--dtype", "fp8"], ["--mode", "serving"]):
        r = cli("bench", "lenet5", *args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    for batch in ("\u00b2", "\u0663", "8,\uff18"):  # superscript two, Arabic-Indic three, fullwidth eight
        r = cli("bench", "lenet5", "--batch", batch)
        assert r.returncode == 2 and r.stderr == (f"error: --batch '{batch}' must be positive integers, "
                                                  f"comma-separated, e.g. 1,8,64\n"), r.stderr


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU; none on this machine")
def test_bench_on_the_gpu():
    result = bench("resnet18", device="cuda", batches=(1, 8), dtypes=("fp32", "bf16"))
    assert result.fallback is None and result.device == torch.cuda.get_device_name()
    assert result.memory_measure == "torch.cuda.max_memory_allocated"
    for r in result.results:
        assert r.runs >= 30 and r.fraction_of_peak is not None and 0 < r.fraction_of_peak <= 1


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU; none on this machine")
def test_verify_on_the_gpu():
    from nnarith.torch.verify import verify

    assert verify("resnet18", device="cuda").passed
