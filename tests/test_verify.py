"""`nnarith verify`: every shipped spec passes, a wrong number is caught, --against works."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
pytest.importorskip("fvcore", reason="needs the nnarith[torch] extra")

from nnarith.layers import REGISTRY  # noqa: E402
from nnarith.loader import shipped  # noqa: E402
from nnarith.torch.verify import verify  # noqa: E402
from tests.helpers import ROOT, cli  # noqa: E402


@pytest.mark.parametrize("name", sorted(shipped()))
def test_every_shipped_spec_verifies(name):
    result = verify(name)
    wrong = [(c.what, c.expected, c.measured) for c in result.checks if c.status == "mismatch"]
    assert result.passed, wrong[:10]
    groups = {c.group for c in result.checks}
    assert {"layer output shapes", "layer params", "layer fvcore counts", "layer FLOPs", "layer memory"} <= groups


def test_resnet50_under_fvcores_convention():
    """fvcore counts batch norm and adaptive pooling besides the conv and fc MACs."""
    result = verify("resnet50", batch=1)
    check = next(c for c in result.checks if c.what == "MACs (fvcore FlopCountAnalysis)")
    assert check.expected == check.measured == 4_111_512_576
    flops = next(c for c in result.checks if c.what == "FLOPs (torch FlopCounterMode)")
    assert flops.measured == 2 * 4_089_184_256
    notes = [c.detail for c in result.checks if c.status == "note"]
    assert notes == ["aten::add x16, aten::max_pool2d x1"]


def test_recurrent_flops_are_counted_for_real():
    """FlopCounterMode sees LSTM's matrix products once the fused kernel is off."""
    result = verify(str(ROOT / "examples" / "lstm_mnist.yaml"), batch=3)
    flops = next(c for c in result.checks if c.what == "FLOPs (torch FlopCounterMode)")
    assert flops.measured == 3 * 2 * 28 * 4 * 128 * (28 + 128) + 3 * 2 * 128 * 10 and result.passed


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


def test_cli_verify_json_and_exit_codes():
    r = cli("verify", "lenet5", "mlp_mnist", "--format", "json")
    assert r.returncode == 0, r.stderr
    docs = json.loads(r.stdout)
    assert [d["schema"] for d in docs] == ["nnarith.verify/1"] * 2 and all(d["passed"] for d in docs)
    assert set(docs[0]["checks"][0]) == {"what", "expected", "measured", "status", "detail"}
    table = cli("verify", "lenet5").stdout
    assert "PASSED" in table and "activation memory per image" in table


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
    assert "first difference at parametrised layer 2: spec c3 16x10x10 vs model 3 16x12x12" in bad.stdout
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
