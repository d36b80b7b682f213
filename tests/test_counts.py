"""Counts: the figures add up, and their metadata alone decides what every writer prints."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from nnarith.analysis.counts import COLUMNS, FIGURES, REPORTED, STORED, Counts
from nnarith.analysis.walk import analyze
from nnarith.check.truth import COUNTS
from nnarith.layers.base import Out, Shape
from nnarith.loader import load_spec, shipped
from nnarith.render.lines import lines
from nnarith.render.machine import render_csv, report_json
from nnarith.render.table import HEAD
from tests.helpers import ROOT, report


def test_counts_add_figure_by_figure_and_derive_params_and_flops():
    a = Counts(weights=1728, biases=64, buffers=0, macs=86_704_128, other_ops=3, fvcore=86_704_128)
    b = Counts(weights=10, biases=2, buffers=5, macs=7, other_ops=1)
    s = a + b
    assert (s.weights, s.biases, s.buffers, s.macs, s.other_ops, s.fvcore) == (1738, 66, 5, 86_704_135, 4,
                                                                                86_704_128)
    assert s.params == 1738 + 66 and s.flops == 2 * 86_704_135
    assert sum([a, b, b], Counts()) == a + b + b and sum([], Counts()) == Counts()
    with pytest.raises(TypeError):
        a + 1  # noqa: B018


def test_figures_are_listed_once_in_print_order():
    assert [f.name for f in FIGURES] == ["params", "weights", "biases", "buffers", "macs", "flops", "other_ops",
                                         "fvcore"]
    assert set(STORED) == {f.name for f in FIGURES} - {"params", "flops"}  # the two derived ones
    assert all(f.label and f.unit for f in FIGURES)
    assert COUNTS == tuple(f.name for f in REPORTED)


def test_out_carries_every_stored_figure():
    out = Out(Shape((4,)), macs=3)
    out.weights, out.fvcore = 12, 3
    out.other_ops += 4
    assert out.counts == Counts(weights=12, macs=3, other_ops=4, fvcore=3)
    assert all(getattr(out, n) == getattr(out.counts, n) for n in STORED)


def test_every_reported_figure_is_in_the_json_and_csv_of_a_layer_and_of_the_totals():
    r = report(["conv: {out: 8, kernel: 3}", "bn", "relu", "fc: 10"], (3, 8, 8))
    doc = report_json(r)
    for key in ("layers", "totals"):
        parts = doc[key] if key == "layers" else [doc[key]]
        for part, counts in zip(parts, [row.counts for row in r.rows] if key == "layers" else [r.totals.counts]):
            assert {f.json: part[f.json] for f in REPORTED} == {f.json: f.of(counts) for f in REPORTED}
            assert "fvcore" not in part  # no JSON key: verify's figure, not the report's
    keys = [k for k in doc["layers"][0] if k in {f.json for f in FIGURES}]
    assert keys == [f.json for f in REPORTED]  # in the order of Counts
    head, *rows = csv.reader(io.StringIO(render_csv(r)))
    assert [k for k in head if k in keys] == keys
    total = dict(zip(head, rows[-1]))
    assert all(int(total[f.json]) == f.of(r.totals.counts) for f in REPORTED)
    assert [h for h in HEAD if h in {f.label for f in FIGURES}] == [f.label for f in COLUMNS]


@pytest.mark.parametrize("name", sorted(shipped()))
def test_rows_and_depth_lines_sum_to_the_totals(name):
    r = analyze(load_spec(name))
    for rows, totals in ((r.rows, r.totals), (r.aux_rows, r.aux_totals)):
        for f in FIGURES:
            assert sum(f.of(row.counts) for row in rows) == f.of(totals.counts), f.name
            assert sum(f.of(line.counts) for line in lines(rows, 1)) == f.of(totals.counts), f.name
        assert totals.params == sum(row.weights + row.biases for row in rows)
        assert totals.flops == 2 * sum(row.macs for row in rows)


# The README's steps for a new figure, applied to a copy of nnarith: one field in Counts, one line in a layer.
NEW_FIELD = '    bias_adds: int = _count("bias adds", "additions", "bias_adds")\n'
NEW_LINE = "        out.bias_adds = out.shape.numel if self.bias else 0\n"
PROBE = """
import json
from nnarith.analysis.walk import analyze
from nnarith.check.truth import COUNTS, Truths
from nnarith.loader import parse_spec
from nnarith.render.machine import render_csv, report_json
from nnarith.render.lines import lines

r = analyze(parse_spec("input: [3, 8, 8]\\nlayers:\\n  - seq: {name: b, layers: [{conv: {out: 4, kernel: 3}}, relu]}\\n"
                       "  - conv: {out: 2, kernel: 1, bias: false}\\n", "t.yaml"))
doc = report_json(r)
truths = Truths(r)
print(json.dumps({
    "layers": [layer.get("bias_adds") for layer in doc["layers"]], "totals": doc["totals"].get("bias_adds"),
    "csv": render_csv(r).splitlines()[0], "depth": [line.bias_adds for line in lines(r.rows, 1)],
    "check": "bias_adds" in COUNTS,
    "truth": [truths.truth(truths.special("total"), "bias_adds").value,
              truths.truth(truths.named("b")[0], "bias_adds").value],
}))
"""


def test_a_new_figure_is_one_field_and_its_computation(tmp_path):
    package = tmp_path / "nnarith"
    shutil.copytree(ROOT / "nnarith", package, ignore=shutil.ignore_patterns("__pycache__"))
    counts = package / "analysis" / "counts.py"
    anchor = '    other_ops: int = _count("other ops", "operations", "other_ops")\n'
    counts.write_text(counts.read_text().replace(anchor, anchor + NEW_FIELD))
    conv = package / "layers" / "conv.py"
    anchor = "        out.other_ops = out.shape.numel if self.bias else 0  # one bias add per output element\n"
    assert anchor in conv.read_text()
    conv.write_text(conv.read_text().replace(anchor, anchor + NEW_LINE))
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path)}, timeout=120)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    first = 4 * 6 * 6  # 4 channels of 6x6, one bias add each; the second conv has no bias
    assert got["layers"] == [first, 0, 0] and got["totals"] == first and got["depth"] == [first, 0]
    assert ",other_ops,bias_adds,activations," in got["csv"]
    assert got["check"] and got["truth"] == [first, first]
