"""`nnarith export --torch` round-trips: the printed source builds the same network."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nnarith.analysis.walk import analyze  # noqa: E402
from nnarith.errors import SpecError  # noqa: E402
from nnarith.loader import load_spec, parse_spec, shipped  # noqa: E402
from nnarith.torch.builder import build_with_report  # noqa: E402
from nnarith.torch.export import docstring, export, export_source, string_literal  # noqa: E402
from tests.helpers import ROOT, cli  # noqa: E402
from tests.test_torch_build import TABLE  # noqa: E402

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


@pytest.mark.parametrize("layer, input", [(row[0], row[1]) for row in TABLE])
def test_export_builds_on_the_meta_device_as_it_would_for_real(layer, input):
    """export() allocates no weights; what it prints is what the real model prints."""
    net = parse_spec(f"input: {list(input)}\nlayers: [{layer}]\n", "t.yaml")
    assert export(net, "t.yaml") == export_source(*build_with_report(net), "t.yaml")


def test_a_layer_too_large_to_build_is_located_and_one_too_large_to_allocate_is_printed(tmp_path):
    (tmp_path / "huge.yaml").write_text(f"input: [3, 8, 8]\nlayers:\n  - conv: {{out: {10**22}, kernel: 3}}\n")
    r = cli("export", "huge.yaml", "--torch", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.splitlines() == [
        "huge.yaml:3:5: error: 270,000,000,000,000,000,000,000 weights are more than one PyTorch tensor can hold "
        "(2^63 - 1 bytes)", "  in layer 'conv1'", "  hint: nnarith shape and calc give its figures; PyTorch cannot "
        "build it"], r.stderr
    (tmp_path / "big.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 100000000000, kernel: 3}\n")
    r = cli("export", "big.yaml", "--torch", cwd=tmp_path)  # 11.2 TB of weights, were they allocated
    assert r.returncode == 0 and '("conv1", nn.Conv2d(3, 100000000000, kernel_size=(3, 3)' in r.stdout, r.stderr
    # an output PyTorch could not hold does not stop the source being printed; a buffer does
    up = export(parse_spec(f"input: [3, 8, 8]\nlayers: [upsample: {10**21}]\n", "up.yaml"), "up.yaml")
    assert '("upsample1", nn.Upsample(scale_factor=1e+21, mode=\'nearest\')),' in up
    with pytest.raises(SpecError) as e:
        export(parse_spec(f"input: [{3 * 10**22}]\nlayers: [bn: {{affine: false}}]\n", "bn.yaml"), "bn.yaml")
    assert e.value.render().splitlines()[:2] == [
        "bn.yaml:2:10: error: 60,000,000,000,000,000,000,001 buffer elements are more than one PyTorch tensor can "
        "hold (2^63 - 1 bytes)", "  in layer 'bn1'"]


NAMES = ['three """ quotes""" + __import__("os").system("echo pwned") + """', "back\\slash at the end\\",
         "\x1b[31mred\x1b[0m \x01 \r\n tab\t U+2028:\u2028 NEL:\x85 \\U0001 ünïcødé ✓"]


@pytest.mark.parametrize("name", NAMES, ids=["quotes", "backslash", "control"])
def test_exported_docstring_holds_the_text_exactly(tmp_path, name):
    folder = tmp_path / 'dir\\with "quotes"'
    folder.mkdir()
    spec = folder / "s.yaml"
    spec.write_text(f"name: {json.dumps(name)}\nsource: see C:\\Users\\me\\paper.pdf\ninput: [4]\n"
                    f"layers: [fc: 3, relu, fc: 2]\n")
    r = cli("export", str(spec), "--torch")
    assert r.returncode == 0, r.stderr
    doc = ast.get_docstring(ast.parse(compile(r.stdout, "exported.py", "exec", ast.PyCF_ONLY_AST)), clean=False)
    assert doc == docstring(analyze(load_spec(str(spec))), str(spec))
    assert doc.startswith(f"{name} as a PyTorch module, written by `nnarith export {spec} --torch`.\n")
    assert "\nSource: see C:\\Users\\me\\paper.pdf\n" in doc
    path = tmp_path / "exported.py"
    path.write_text(r.stdout, encoding="utf-8")
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert run.returncode == 0 and run.stdout == "torch.Size([2, 2])\n", run.stderr


@given(st.text())
def test_string_literal_is_exact(text):
    assert ast.literal_eval(string_literal(text)) == text
