"""`expect:` in a spec: on layers, blocks and containers, at the top level, and its mistakes."""

from __future__ import annotations

import pytest

from nnarith.check.run import check_file
from nnarith.errors import SpecError
from nnarith.render.machine import render_json
from tests.helpers import cli, spec_text

SPEC = """\
name: expectations
input: [3, 32, 32]
blocks:
  unit:
    args: {out: ~}
    layers:
      - conv: {out: $out, kernel: 3, pad: 1, expect: {output: [$out, 32, 32]}}
      - relu
layers:
  - conv: {name: stem, out: 16, kernel: 3, pad: 1, expect: {params: "16 x (3*3*3 + 1) = 448", rf: 3/1}}
  - unit: {out: 16, repeat: 2, expect: {params: 2320}}
  - add:
      expect: {output: 16x32x32, params: 2320}
      branches:
        - conv: {out: 16, kernel: 3, pad: 1}
        - identity
  - gap
  - fc: {name: head, out: 10, expect: {output: 10, weights: 160, macs: 160}}
expect:
  params: 448 + 2*2320 + 2320 + 170 = 7,578
  macs: 7.52M
"""


def run(tmp_path, text: str = SPEC):
    path = tmp_path / "net.yaml"
    path.write_text(text)
    return check_file(str(path))


def test_expectations_on_layers_blocks_merges_and_totals(tmp_path):
    result = run(tmp_path)
    got = [(i.line, i.what, i.status) for i in result.items]
    assert got == [
        (7, "unit1.conv1 output", "ok"), (7, "unit2.conv1 output", "ok"),  # in a block: once per call
        (10, "stem params", "ok"), (10, "stem RF", "ok"),
        (11, "unit1 params", "ok"), (11, "unit2 params", "ok"),  # a block call: its layers summed
        (13, "add1 output", "ok"), (13, "add1 params", "ok"),  # a merge: its branches and itself
        (18, "head output", "ok"), (18, "head weights", "ok"), (18, "head MACs", "ok"),
        (20, "total params", "ok"), (21, "total MACs", "ok"),
    ]
    # 16 x (3*3*16 + 1) = 2,320 per conv (each call of the block: its expect applies to each copy);
    # MACs: 32*32*16 x 3*3*C_in for the four convs, and 16 x 10 for the head
    assert result.items[4].expected == result.items[7].expected == 16 * (9 * 16 + 1)
    assert result.items[-2].expected == 16 * 28 + 3 * 16 * 145 + 170
    macs = 32 * 32 * 16 * 9 * (3 + 16 * 3) + 16 * 10
    assert result.items[-1].expected == macs and abs(macs - 7.52e6) <= 0.005e6


def test_wrong_expectations_fail_the_check(tmp_path):
    text = SPEC.replace("output: 16x32x32, params: 2320}", "output: 16x32x32, params: 2230}").replace(
        "macs: 7.52M", "macs: 7.53M")
    result = run(tmp_path, text)
    assert [(i.what, i.expected) for i in result.items if i.status == "wrong"] == [
        ("add1 params", 2320), ("total MACs", 32 * 32 * 16 * 9 * (3 + 16 * 3) + 160)]
    r = cli("check", "net.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "net.yaml: checked against its expect: figures" in r.stdout


def test_expect_does_not_change_the_analysis():
    plain = "input: [3, 8, 8]\nlayers: [conv: {out: 4, kernel: 3}, relu]\n"
    expecting = "input: [3, 8, 8]\nlayers: [conv: {out: 4, kernel: 3, expect: {params: 112}}, relu]\n" \
                "expect: {params: 112}\n"
    a, b = spec_text(plain), spec_text(expecting)
    assert render_json(a) == render_json(b)
    assert a.expects == [] and [(e.name, dict(e.figures), e.group) for e in b.expects] == [("conv1", {"params": 112},
                                                                                            False)]


@pytest.mark.parametrize("layer, at, message, hint", [
    ("conv: {out: 4, kernel: 3, expect: {parms: 112}}", "parms", "unknown figure 'parms' in expect:",
     "did you mean 'params'?"),
    ("conv: {out: 4, kernel: 3, expect: {params: 1,120}}", "120", "unknown figure '120' in expect:",
     "a comma separates entries"),
    ("conv: {out: 4, kernel: 3, expect: 112}", "112", "expect: must map figure names to values",
     "for example expect:"),
    ("conv: {out: 4, kernel: 3, expect: {params: {a: 1}}}", "{a", "expected params must be a number", None),
    ("conv: {out: 4, kernel: 3, expcet: {params: 112}}", "expcet", "unknown field 'expcet' in conv",
     "did you mean 'expect'?"),
])
def test_expect_mistakes_are_spec_errors_where_written(tmp_path, layer, at, message, hint):
    line = f"  - {layer}"
    (tmp_path / "bad.yaml").write_text(f"input: [3, 8, 8]\nlayers:\n{line}\n")
    r = cli("shape", "bad.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"bad.yaml:3:{line.index(at) + 1}: error: {message}" in r.stderr, r.stderr
    assert hint is None or hint in r.stderr


def test_top_level_expect_holds_totals_only(tmp_path):
    (tmp_path / "t.yaml").write_text("input: [3, 8, 8]\nlayers: [conv: {out: 4, kernel: 3}]\n"
                                     "expect:\n  rf: 3\n  paramz: 112\n")
    with pytest.raises(SpecError) as e:
        check_file(str(tmp_path / "t.yaml"))
    assert "unknown figure 'rf' in the top-level expect:" in e.value.render()
    assert "t.yaml:4:3" in e.value.render() and "put it in that layer's expect:" in e.value.render()


def test_a_spec_without_expectations_has_nothing_to_check(tmp_path):
    (tmp_path / "n.yaml").write_text("input: [3, 8, 8]\nlayers: [conv: {out: 4, kernel: 3}]\n")
    r = cli("check", "n.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "found no figures to check in 'n.yaml'" in r.stderr
    assert "add expect: to its layers or top level" in r.stderr
    r = cli("check", "n.yaml", "--spec", "lenet5", cwd=tmp_path)
    assert r.returncode == 2 and "is a spec, checked against its own expect: figures; drop --spec" in r.stderr
