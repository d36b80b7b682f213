"""Every example in examples/ runs, as its README says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ENV, ROOT, cli

EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize("spec", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_example_specs(spec):
    r = cli("shape", f"examples/{spec}")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_scripts(script):
    r = subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=ROOT, capture_output=True, text=True,
                       env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.sh")))
def test_example_shell_scripts(script):
    r = subprocess.run(["bash", str(EXAMPLES / script)], cwd=ROOT, capture_output=True, text=True, env=ENV,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr


def test_examples_readme_lists_every_example():
    readme = (EXAMPLES / "README.md").read_text()
    for path in EXAMPLES.iterdir():
        if path.is_file() and path.name != "README.md":
            assert f"`{path.name}`" in readme, path.name


def test_unet_example_shapes():
    import json

    doc = json.loads(cli("shape", "examples/unet_small.yaml", "-f", "json").stdout)
    merges = [layer for layer in doc["layers"] if layer["kind"] == "concat"]
    assert [m["output"] for m in merges] == [[32 + 32, 32, 32], [16 + 16, 64, 64]]
    assert doc["output"] == [2, 64, 64]
