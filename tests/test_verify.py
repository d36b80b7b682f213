"""`nnarith verify`: every shipped spec passes, per image, a wrong number is caught, --against works."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
pytest.importorskip("fvcore", reason="needs the nnarith[torch] extra")

from nnarith.analysis.walk import analyze  # noqa: E402
from nnarith.layers import REGISTRY  # noqa: E402
from nnarith.layers.base import Tensors  # noqa: E402
from nnarith.loader import load_spec, shipped  # noqa: E402
from nnarith.render import units  # noqa: E402
from nnarith.render.style import painter  # noqa: E402
from nnarith.torch.builder import build, build_with_report  # noqa: E402
from nnarith.torch.render import WIDTH, render_verification  # noqa: E402
from nnarith.torch.verify import Verification, verify  # noqa: E402
from nnarith.torch.verify_training import check_training  # noqa: E402
from tests.helpers import ROOT, cli  # noqa: E402

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("name", sorted(shipped()))
def test_every_shipped_spec_verifies(name):
    result = verify(name)
    wrong = [(c.what, c.expected, c.measured) for c in result.checks if c.status == "mismatch"]
    assert result.passed, wrong[:10]
    groups = {c.group for c in result.checks}
    assert {"layer output shapes", "layer params", "layer fvcore counts", "layer FLOPs", "layer memory",
            "saved for backward", "training state"} <= groups
    for all_checks in (False, True):  # the summary and every per-layer check fit the width
        lines = render_verification(result, all_checks).splitlines()
        assert max(map(len, lines)) <= WIDTH, max(lines, key=len)


def test_resnet50_under_fvcores_convention():
    """fvcore counts batch norm and adaptive pooling besides the conv and fc MACs."""
    result = verify("resnet50", batch=1)
    check = next(c for c in result.checks if c.what == "fvcore FlopCountAnalysis")
    assert check.expected == check.measured == 4_111_512_576
    flops = next(c for c in result.checks if c.what == "FLOPs (torch FlopCounterMode)")
    assert flops.measured == 2 * 4_089_184_256  # torchvision's published 4.09 GFLOPS are these MACs
    notes = [c.detail for c in result.checks if c.status == "note"]
    assert notes == ["aten::add x16, aten::max_pool2d x1"]


def test_recurrent_flops_are_counted_for_real():
    """FlopCounterMode sees LSTM's matrix products once the fused kernel is off."""
    result = verify(str(ROOT / "examples" / "lstm_mnist.yaml"), batch=3)
    flops = next(c for c in result.checks if c.what == "FLOPs (torch FlopCounterMode)")
    per_image = 2 * 28 * 4 * 128 * (28 + 128) + 2 * 128 * 10
    assert (flops.measured, flops.measured_batch) == (per_image, 3 * per_image) and result.passed
    # fvcore counts the fc (1,280 MACs) but not the LSTM: the split names the layer it misses
    assert result.fvcore.total == 128 * 10 and result.fvcore.missed == [("lstm1", 28 * 4 * 128 * (28 + 128))]
    assert result.fvcore.unexplained == 0


def _per_image_figures(result: Verification) -> dict[str, object]:
    return {c.what: c.measured for c in result.checks if c.batch}


@pytest.mark.parametrize("name, input", [("lenet5", None), ("resnet18", (3, 64, 64)), ("mobilenet_v2", (3, 32, 32))])
def test_per_image_is_the_batch_total_divided_by_the_batch(name, input):
    """At batch 1 nothing is divided: the figures measured at batch 2 and 3, divided, are those."""
    one = verify(name, batch=1, input=input)
    alone = {c.what: c.measured_batch for c in one.checks if c.batch}
    assert alone and _per_image_figures(one) == alone and one.passed
    for batch in (2, 3):
        result = verify(name, batch=batch, input=input)
        scaled = [c for c in result.checks if c.batch]
        assert all(c.batch == batch and c.measured * batch == c.measured_batch for c in scaled)
        assert _per_image_figures(result) == alone and result.passed
        assert result.fvcore.total == one.fvcore.batch_total and result.fvcore.batch_total == batch * one.fvcore.total


def test_a_figure_that_does_not_divide_by_the_batch_is_a_mismatch():
    result = Verification("net", "net.yaml", "cpu", 2)
    result.add_per_image("activation memory", 3, 7, "bytes")
    check = result.checks[0]
    assert (check.status, check.measured, check.measured_batch) == ("mismatch", Fraction(7, 2), 7)
    assert "not a multiple of 2" in check.detail and not result.passed
    text = render_verification(result)
    assert "7/2" in text and "measured 7 on the batch, not a multiple of 2" in text


def _inputs_read(model: torch.nn.Module, kind: type, x: torch.Tensor) -> int:
    """Elements entering every module of a kind, read with hooks on the PyTorch model itself."""
    seen = []
    hooks = [m.register_forward_hook(lambda m, args, out: seen.append(args[0].numel()))
             for m in model.modules() if isinstance(m, kind)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return sum(seen)


@pytest.mark.parametrize("name, input, batch", [("resnet18", (3, 64, 64), 2), ("googlenet", (3, 96, 96), 3),
                                                ("lenet5", None, 2)])
def test_fvcore_split_adds_up_to_its_total(name, input, batch):
    """fvcore's per-image total = its operators' counts = nnarith's MACs + 2 per batch norm input element
    (affine, at inference) + 1 per adaptive pooling input element, exactly."""
    result = verify(name, batch=batch, input=input)
    split = result.fvcore
    analysis = analyze(load_spec(name, input))
    assert split.macs == analysis.totals.macs  # as `nnarith shape` reports them
    assert sum(op.per_image for op in split.operators) == split.total
    assert split.total * batch == split.batch_total and split.unexplained == 0 and split.missed == []
    model = build(name, input).eval()
    x = torch.randn(1, *analysis.input.dims)
    by_name = {op.name: op.per_image for op in split.operators}
    assert by_name.get("batch_norm", 0) == 2 * _inputs_read(model, torch.nn.BatchNorm2d, x)
    assert by_name.get("adaptive_avg_pool2d", 0) == _inputs_read(model, torch.nn.AdaptiveAvgPool2d, x)
    assert by_name["conv"] + by_name["linear"] == split.macs
    text = render_verification(result)
    assert f"fvcore {units.count(split.total)} = nnarith's MACs {units.count(split.macs)}" in text
    assert f"divided by {batch}" in text


def test_resnet50_split_is_said_in_one_line():
    split = verify("resnet50", batch=2).fvcore
    bn = 2 * _inputs_read(build("resnet50").eval(), torch.nn.BatchNorm2d, torch.randn(1, 3, 224, 224))
    assert {op.name: op.per_image for op in split.operators} == {
        "conv": 4_089_184_256 - 2048 * 1000, "linear": 2048 * 1000, "batch_norm": bn, "adaptive_avg_pool2d": 2048 * 49}
    assert split.total == 4_111_512_576 == 4_089_184_256 + bn + 2048 * 49


def test_attention_runs_two_products_and_the_split_says_so(tmp_path):
    """Attention runs linear (q, k, v and output projections) and matmul (q kᵀ, the weighted sum of v): its MACs
    stand under both, and the table says the other is included rather than setting them against one product."""
    spec = tmp_path / "t.yaml"
    spec.write_text("input: [3, 32, 32]\nlayers: [patch_embed: {size: 8, dim: 64}, class_token, attention: 4, "
                    "select_token, fc: 10]\n")
    result = verify(str(spec))
    t, f, h, d = 17, 64, 4, 16  # 16 patches and the class token
    by_name = {op.name: op for op in result.fvcore.operators}
    assert by_name["linear"].per_image == t * f * 4 * f + f * 10 and by_name["matmul"].per_image == 2 * h * t * t * d
    attention = 4 * t * f * f + 2 * h * t * t * d
    assert by_name["linear"].base == attention + f * 10 and by_name["matmul"].base == attention
    text = render_verification(result)
    assert f"their MACs, matmul included: {attention + f * 10:,}" in text
    assert f"its MACs, linear included: {attention:,}" in text

def test_paint_colours_the_verdict_and_plain_has_no_codes(monkeypatch):
    result = verify("lenet5")
    tagged = render_verification(result, paint=lambda text, meaning: f"<{meaning}>{text}</{meaning}>")
    assert "<right>✓</right>" in tagged and "<right>PASSED</right>" in tagged and "<wrong>" not in tagged
    assert "<heading>check " in tagged
    plain = render_verification(result)
    assert "\x1b" not in plain and "<" not in plain
    assert re.sub(r"</?[a-z]+>", "", tagged) == plain  # painting adds codes only: the columns do not move
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = render_verification(result, paint=painter())
    assert "\x1b[32m✓" in coloured and ESCAPE.sub("", coloured) == plain


@pytest.mark.parametrize("kind, broken, group", [
    ("conv", lambda out: setattr(out, "weights", out.weights + 1), "layer params"),
    ("maxpool", lambda out: None, None),  # a control: an unchanged rule passes
    ("bn", lambda out: setattr(out, "buffers", out.buffers - 1), "layer buffers"),
    ("fc", lambda out: setattr(out, "macs", out.macs * 2), "layer FLOPs"),
    ("flatten", lambda out: setattr(out, "storage", "new"), "layer memory"),  # PyTorch's flatten is a view
])
def test_verify_catches_a_wrong_rule(monkeypatch, kind, broken, group):
    """Break one analytic rule through its registry entry: verify must notice, in that group."""
    cls = REGISTRY[kind]

    class Broken(cls):
        def infer(self, x):
            out = super().infer(x)
            broken(out)
            return out

    monkeypatch.setitem(REGISTRY, kind, Broken)
    result = verify({"bn": "fcn_timeseries", "flatten": "mlp_mnist"}.get(kind, "lenet5"))
    failed = {c.group for c in result.checks if c.status == "mismatch"}
    if group is None:
        assert result.passed
    else:
        assert not result.passed and group in failed


def test_verify_catches_a_wrong_shape_rule(monkeypatch):
    """A pooling rule that ignores ceil mode gets GoogLeNet's shapes wrong, and verify says where."""
    from nnarith.layers.base import Shape

    cls = REGISTRY["maxpool"]

    class Floors(cls):
        def infer(self, x: Shape):  # the rule floors; the model built from the same layer still ceils
            ceil, self.ceil = self.ceil, False
            try:
                return super().infer(x)
            finally:
                self.ceil = ceil

    monkeypatch.setitem(REGISTRY, "maxpool", Floors)
    result = verify("squeezenet1_0")
    wrong = [c for c in result.checks if c.status == "mismatch" and c.group == "layer output shapes"]
    # maxpool1 divides (109 -> 54 either way); maxpool2 is the first to differ: 26 floored, 27 in ceil mode
    assert (wrong[0].what, wrong[0].expected, wrong[0].measured) == ("output shape maxpool2", (256, 26, 26),
                                                                      (256, 27, 27))


def test_verify_catches_a_wrong_saved_tensor(monkeypatch):
    """A max pooling that forgot its int64 indices: verify names both pools, short by the indices' bytes."""
    cls = REGISTRY["maxpool"]

    class Forgets(cls):
        def tensors(self, x, out):
            return Tensors(saved=super().tensors(x, out).saved[:1])

    monkeypatch.setitem(REGISTRY, "maxpool", Forgets)
    result = verify("lenet5")
    wrong = {c.what: c.measured - c.expected for c in result.checks
             if c.status == "mismatch" and c.group == "saved for backward"}
    # on the batch of 2: s2's output 6x14x14, s4's 16x5x5, one int64 index each
    assert wrong == {"saved s2": 2 * 6 * 14 * 14 * 8, "saved s4": 2 * 16 * 5 * 5 * 8}
    total = next(c for c in result.checks if c.what == "saved for backward in all")
    assert total.status == "mismatch" and total.measured - total.expected == sum(wrong.values())


# LeNet-5: 61,706 parameters in 10 tensors (five layers, each a weight and a bias)
@pytest.mark.parametrize("optimizer, state", [
    ("momentum", 61_706 * 4),  # one momentum buffer per parameter
    ("adam", 2 * 61_706 * 4 + 10 * 4),  # exp_avg and exp_avg_sq, and a 0-dim fp32 step per tensor
])
def test_training_state_after_one_step(optimizer, state):
    net = load_spec("lenet5")
    report = analyze(net)
    model, _ = build_with_report(net, report=report)
    result = Verification(report.name, report.file, "cpu", 3)
    check_training(result, net, report, model, "cpu", optimizer)
    figures = {c.what: (c.expected, c.measured) for c in result.checks if c.group == "training state"}
    assert figures == {"gradients": (61_706 * 4, 61_706 * 4), f"optimizer state ({optimizer})": (state, state)}
    assert result.passed and any(c.group == "saved for backward" for c in result.checks)


def test_training_at_batch_1_that_batch_norm_refuses_is_a_note(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("input: [4]\nlayers: [fc: 3, bn, fc: 2]\n")
    result = verify(str(spec), batch=1)
    [note] = [c for c in result.checks if c.what == "saved for backward"]
    assert note.status == "note" and "--batch 2" in note.detail and result.passed


def test_cli_verify_json_and_exit_codes():
    r = cli("verify", "lenet5", "mlp_mnist", "--format", "json")
    assert r.returncode == 0, r.stderr
    docs = json.loads(r.stdout)
    assert [d["schema"] for d in docs] == ["nnarith.verify/1"] * 2 and all(d["passed"] for d in docs)
    assert set(docs[0]["checks"][0]) == {"what", "expected", "measured", "status", "detail"}
    fvcore = next(c for c in docs[0]["checks"] if c["what"] == "fvcore FlopCountAnalysis")
    # the plain keys hold what they always held (fvcore's count over the batch of 2); per_image is new
    assert fvcore["measured"] == fvcore["batch_total"]["measured"] == 2 * fvcore["per_image"]["measured"]
    assert fvcore["per_image"]["measured"] == docs[0]["fvcore_by_operator"]["per_image"] == 416_520
    memory = next(c for c in docs[0]["checks"] if c["what"] == "activation memory")
    assert memory["measured"] == memory["per_image"]["measured"] == 4 * analyze(load_spec("lenet5")).totals.activations
    table = cli("verify", "lenet5").stdout
    assert "PASSED" in table and "activation memory" in table and "\x1b" not in table


def test_cli_verify_against_a_model_factory(tmp_path):
    (tmp_path / "tvlike.py").write_text('''
import torch.nn as nn

def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))

def padded():  # one conv padded: a different network with the same output shape
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(576, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))
''')
    import os

    env_path = f"{tmp_path}{os.pathsep}{ROOT}"
    ok = cli("verify", "lenet5", "--against", "tvlike:lenet5", cwd=tmp_path, pythonpath=env_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = cli("verify", "lenet5", "--against", "tvlike:padded", cwd=tmp_path, pythonpath=env_path)
    assert bad.returncode == 1
    words = " ".join(bad.stdout.split())  # the line folds to fit
    assert "first difference at parametrised layer 2: spec c3 16x10x10 vs model 3 16x12x12" in words
    assert max(map(len, bad.stdout.splitlines())) <= WIDTH
    missing = cli("verify", "lenet5", "--against", "no_such_module:f", cwd=tmp_path, pythonpath=env_path)
    assert missing.returncode == 2 and "cannot import 'no_such_module'" in missing.stderr


def test_missing_extra_is_one_line_and_exit_2():
    import subprocess
    import sys

    code = "import sys; sys.modules['torch'] = None; from nnarith.cli import main; sys.exit(main(%r))"
    for argv in (["verify", "lenet5"], ["bench", "lenet5"], ["export", "lenet5", "--torch"]):
        r = subprocess.run([sys.executable, "-c", code % argv], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip().splitlines() == ["error: this command needs torch: pip install 'nnarith[torch]'"]
