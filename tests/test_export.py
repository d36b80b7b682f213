"""`nnarith export --torch` round-trips: the printed source builds the same network."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")

from nnarith.spec import shipped  # noqa: E402
from nnarith.torch.builder import build_with_report  # noqa: E402
from nnarith.torch.export import export_source  # noqa: E402
from tests.helpers import ROOT, cli  # noqa: E402

SPECS = sorted(shipped()) + [str(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]


def load_module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SPECS, ids=lambda s: s.rsplit("/", 1)[-1])
def test_export_round_trips(name, tmp_path):
    with torch.device("meta"):  # structure only: no memory, no initialisation
        ours, report = build_with_report(name)
        path = tmp_path / "exported.py"
        path.write_text(export_source(ours, report, name))
        exported = load_module(path).build()
    assert repr(exported) == repr(ours)  # the same modules, names and constructor arguments
    assert [(k, v.shape) for k, v in exported.state_dict().items()] == [
        (k, v.shape) for k, v in ours.state_dict().items()]
    if report.totals.params > 30_000_000:  # the VGGs and wide_resnet: structure is enough
        return
    ours, exported = build_with_report(name)[0].eval(), load_module(path).build().eval()
    exported.load_state_dict(ours.state_dict())
    x = torch.randn(2, *report.input.dims)
    with torch.no_grad():
        assert torch.equal(exported(x), ours(x))


def test_exported_file_runs_on_its_own(tmp_path):
    r = cli("export", "resnet18", "--torch")
    assert r.returncode == 0, r.stderr
    ours, report = build_with_report("resnet18")
    assert r.stdout == export_source(ours, report, "resnet18")
    path = tmp_path / "resnet18_model.py"
    path.write_text(r.stdout)
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "torch.Size([2, 1000])"
    source = path.read_text()
    assert "import nnarith" not in source and '("conv1", nn.Conv2d(3, 64, kernel_size=(7, 7)' in source
