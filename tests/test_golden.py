"""Golden outputs of `nnarith shape` for every shipped spec, as table and JSON.

The table is what a piped `nnarith shape SPEC` prints: 100 columns wide, no colour, the default depth.

After an intended change of output, regenerate them with `pytest tests/test_golden.py --regen-golden`
and review the diff.
"""

from __future__ import annotations

import pytest

from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec, shipped
from nnarith.render.machine import render_json
from nnarith.render.table import render_table
from tests.helpers import ROOT

GOLDEN = ROOT / "tests" / "golden"
RENDER = {"txt": lambda r: render_table(r, width=100), "json": render_json}


@pytest.mark.parametrize("fmt", sorted(RENDER))
@pytest.mark.parametrize("name", sorted(shipped()))
def test_golden_output(name, fmt, request):
    text = RENDER[fmt](analyze(load_spec(name)))
    path = GOLDEN / f"{name}.{fmt}"
    if request.config.getoption("--regen-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}; run pytest --regen-golden"
    assert text == path.read_text()
