"""The round trip: whatever `nnarith shape` prints, `nnarith check` reads back and judges right.

For every shipped spec, at every --depth, in Markdown, CSV and the text table:
`nnarith shape SPEC -f FORMAT [--depth N] | nnarith check - --spec SPEC` judges every figure
right, skips nothing, and judges as many figures as the output holds (counted here from the
report's rows, not from the renderer). The bulk runs in-process through the functions the CLI
calls, standard input included; a few cases run the real commands through a pipe.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from argparse import Namespace
from functools import cache

import pytest

from nnarith.analysis import receptive
from nnarith.analysis.report import Report, Row
from nnarith.analysis.walk import analyze
from nnarith.check.run import Result, check_file
from nnarith.cli.analyze import render
from nnarith.loader import load_spec, parse_spec, shipped
from nnarith.render.tree import default_depth
from tests.helpers import ENV, ROOT, cli

FORMATS = ("markdown", "csv", "text")
# issue 10, item 1: an aux head inside a block is a side output, left out of the block's figures
AUX_IN_BLOCK = """\
name: aux in a block
input: [4, 8, 8]
blocks:
  h: {layers: [conv: {out: 4, kernel: 1}, aux: {layers: [gap, fc: 3]}, relu]}
layers:
  - h: {expect: {output: 4x8x8, params: 20}}
"""
INLINE = {  # aux heads where a block's name is also the head's: in a branch, nested, alone in a seq
    "aux_in_block": AUX_IN_BLOCK,
    "aux_in_branches": """\
input: [4, 8, 8]
blocks:
  res:
    layers:
      - add: {branches: {main: [conv: {out: 4, kernel: 3, pad: 1}, aux: {layers: [gap, fc: 5]}, relu], skip: identity}}
      - relu
layers:
  - conv: {out: 4, kernel: 1}
  - res
  - seq: {name: s, layers: [res, aux: {name: side, layers: [flatten, fc: 2]}, maxpool: {kernel: 3, stride: 2}]}
  - seq: {name: only, layers: [aux: {layers: [gap, fc: 7]}]}
  - gap
  - fc: 10
""",
    "aux_nested": """\
input: [3, 16, 16]
blocks:
  inner: {layers: [conv: {out: 8, kernel: 3}, aux: {layers: [conv: {out: 2, kernel: 1}, gap]}, bn]}
  outer: {layers: [inner, seq: {name: deep, layers: [inner, aux: {layers: [gap, fc: 4]}]}, relu]}
layers: [outer, outer, fc: 3]
""",
}


@cache
def analysed(spec: str) -> Report:
    return analyze(load_spec(spec))


def depths(spec: str) -> list[int | str | None]:
    """No --depth, --depth all, then every depth that still collapses something."""
    report = analysed(spec)
    return [None, "all", *range(1, max(len(r.path) for r in report.rows + report.aux_rows))]


def groups(rows: list[Row], depth: int | str | None) -> list[list[Row]]:
    """The rows each printed line stands for: runs of rows under the same path[:depth]."""
    out: list[list[Row]] = []
    for r in rows:
        if isinstance(depth, int) and out and out[-1][0].path[:depth] == r.path[:depth]:
            out[-1].append(r)
        else:
            out.append([r])
    return out


def containers(rows: list[Row], depth: int | str | None) -> list[list[Row]]:
    """The rows under each block the text table's tree prints above its layers: each path[:k]
    shorter than the depth (and than a path of a row under it)."""
    limit = depth if isinstance(depth, int) else 10**9
    out: dict[tuple[str, ...], list[Row]] = {}
    for r in rows:
        for k in range(1, min(len(r.path), limit)):
            out.setdefault(r.path[:k], []).append(r)
    for path, under in out.items():  # a merge's own row (its path is the block's) is the block's too
        under += [r for r in rows if r.path == path]
    return list(out.values())


def figures(report: Report, fmt: str, depth: int | str | None) -> int:
    """The figures the output holds. A line: output, params, MACs, memory and RF (an undefined RF is
    printed n/a, which states nothing); CSV adds weights, biases, buffers, FLOPs, other ops and
    activations, and the RF's stride and padding where it has them. The text table is a tree: its
    blocks' rows too; without --depth it shows as many levels as fit a screen (default_depth)."""
    if fmt == "text" and depth is None:
        depth = default_depth(report.rows)
    lines, heads = groups(report.rows, depth), groups(report.aux_rows, depth)
    if fmt == "text":
        lines += containers(report.rows, depth)
        heads += containers(report.aux_rows, depth)

    def table(gs: list[list[Row]]) -> int:
        return sum(4 + (g[-1].rf != receptive.UNDEFINED) for g in gs)

    if fmt == "csv":  # the input row and the total row: 10 counts each, and no RF
        return 10 + sum(11 + 2 * isinstance(receptive.describe(g[-1].rf), dict) for g in lines + heads) + 10
    if fmt == "markdown":  # input: output, memory; total: output, params, MACs, memory; 7 below, 2 for heads
        return 2 + table(lines) + 4 + 7 + 2 * bool(heads)
    # input: output, memory, RF; total: params, MACs, memory; 9 totals (depth the last); the heads' table, total
    # and 7 totals (param mem among them)
    return 3 + table(lines) + 3 + 9 + (table(heads) + 3 + 7 if heads else 0)


def piped(text: str, spec: str, monkeypatch) -> Result:
    """`... | nnarith check - --spec SPEC`, in-process: the document arrives on standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    return check_file("-", spec)


def printed(report: Report, fmt: str, depth: int | None, exact: bool = False) -> str:
    """What `nnarith shape -f FORMAT` prints: the CLI's own renderer."""
    return render(report, Namespace(format="table" if fmt == "text" else fmt, depth=depth, exact=exact,
                                    explain=False))


def title_lines(text: str, fmt: str) -> int:
    """The lines of the text table's title: the name, the spec's source (folded to the width), the input."""
    return text.splitlines().index("") if fmt == "text" else 0


def assert_all_right(result: Result, want: int, fmt: str, title: int = 3) -> None:
    bad = [(i.line, i.what, i.stated, i.true_text, i.note) for i in result.items if i.status != "ok"]
    assert not bad, bad[:5]
    assert not result.skipped, result.skipped[:5]
    # the text table's title quotes the spec's source (lines 2 to title - 1), whose figures are judged too
    judged = [i for i in result.items if not (fmt == "text" and 2 <= i.line < title)]
    assert len(judged) == want


CASES = [(spec, fmt, depth) for spec in sorted(shipped()) for depth in depths(spec) for fmt in FORMATS]


@pytest.mark.parametrize("spec, fmt, depth", CASES)
def test_every_figure_shape_prints_checks_right(monkeypatch, spec, fmt, depth):
    report = analysed(spec)
    text = printed(report, fmt, depth)
    result = piped(text, spec, monkeypatch)
    assert_all_right(result, figures(report, fmt, depth), fmt, title_lines(text, fmt))


@pytest.mark.parametrize("spec, fmt", [(spec, fmt) for spec in sorted(shipped()) for fmt in ("markdown", "text")])
def test_exact_figures_check_right(monkeypatch, spec, fmt):
    report = analysed(spec)
    text = printed(report, fmt, None, exact=True)
    result = piped(text, spec, monkeypatch)
    assert_all_right(result, figures(report, fmt, None), fmt, title_lines(text, fmt))


def test_the_cases_cover_every_shipped_spec_and_depth():
    assert {s for s, _, _ in CASES} == set(shipped()) and len(shipped()) >= 25
    assert ("inception_v3", "text", 7) in CASES and ("inception_v3", "text", 8) not in CASES  # 8 levels deep
    assert [d for s, f, d in CASES if s == "vgg16" and f == "csv"] == [None, "all"]  # no blocks: nothing to collapse


def inline_cases() -> list[tuple[str, str, int | None]]:
    out = []
    for name, text in INLINE.items():
        report = analyze(parse_spec(text, f"{name}.yaml"))
        deepest = max(len(r.path) for r in report.rows + report.aux_rows)
        out += [(name, fmt, depth) for depth in [None, *range(1, deepest)] for fmt in FORMATS]
    return out


@pytest.mark.parametrize("name, fmt, depth", inline_cases())
def test_aux_heads_inside_blocks(tmp_path, monkeypatch, name, fmt, depth):
    """Issue 10, item 1: a block's figures are its trunk's, as `shape --depth` prints them; the
    heads inside it are printed apart (CSV: training_only.NAME; text: the heads' own table)."""
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(INLINE[name])
    report = analyze(load_spec(str(spec)))
    text = printed(report, fmt, depth)
    result = piped(text, str(spec), monkeypatch)
    assert_all_right(result, figures(report, fmt, depth), fmt, title_lines(text, fmt))
    if name == "aux_in_block" and depth == 1:  # trunk 4x8x8 and 4*4 + 4 = 20; the head 3 and 4*3 + 3 = 15
        h1 = {i.what: i.expected for i in result.items if "h1 " in i.what}
        assert (h1["h1 output"], h1["h1 params"]) == ([4, 8, 8], 4 * 4 + 4)
        if fmt != "markdown":  # Markdown gives the heads' totals only
            assert (h1["training_only.h1 output"], h1["training_only.h1 params"]) == ([3], 4 * 3 + 3)


def test_an_aux_head_inside_a_block_against_its_expect(tmp_path):
    (tmp_path / "aux.yaml").write_text(AUX_IN_BLOCK)
    result = check_file(str(tmp_path / "aux.yaml"))
    assert [(i.what, i.expected, i.status) for i in result.items] == [("h1 output", [4, 8, 8], "ok"),
                                                                       ("h1 params", 4 * 4 + 4, "ok")]


@pytest.mark.parametrize("fmt, old, new, what, true", [
    ("text", " 2.42 K ", " 2.44 K ", "c3 params", 16 * (5 * 5 * 6 + 1)),
    ("csv", ",2416,", ",2418,", "c3 params", 16 * (5 * 5 * 6 + 1)),
    ("text", "  params     61,706 ", "  params     61,716 ", "total params", 61_706),
    ("markdown", "| 6x14x14 |", "| 6x15x15 |", "s2 output", [6, 14, 14]),
])
def test_the_round_trip_catches_one_changed_figure(monkeypatch, fmt, old, new, what, true):
    text = printed(analysed("lenet5"), fmt, None)
    assert text.count(old) == 1
    result = piped(text.replace(old, new), "lenet5", monkeypatch)
    wrong = [(i.what, i.expected) for i in result.items if i.status != "ok"]
    assert wrong == [(what, true)]


@pytest.mark.parametrize("spec, fmt, depth", [
    ("googlenet", "text", "1"), ("resnet50", "csv", "2"), ("inception_v3", "markdown", None),
    ("mobilenet_v2", "text", None), ("AUX", "markdown", "1"),
])
def test_the_real_commands_through_a_pipe(tmp_path, spec, fmt, depth):
    if spec == "AUX":  # the case: 6/16 right before the fix
        spec = str(tmp_path / "aux.yaml")
        (tmp_path / "aux.yaml").write_text(AUX_IN_BLOCK)
    shape = cli("shape", spec, "-f", "table" if fmt == "text" else fmt, *(("--depth", depth) if depth else ()))
    assert shape.returncode == 0, shape.stderr
    check = subprocess.run([sys.executable, "-m", "nnarith", "check", "-", "--spec", spec, "-f", "json"], cwd=ROOT,
                           capture_output=True, text=True, env=ENV, input=shape.stdout, timeout=600)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr
    doc = json.loads(check.stdout)
    report = analyze(load_spec(spec))
    title = title_lines(shape.stdout, fmt)
    on_title = sum(2 <= i["line"] < title for i in doc["items"]) if fmt == "text" else 0
    want = figures(report, fmt, int(depth) if depth else None)
    assert doc["summary"] == {"ok": want + on_title, "wrong": 0, "notes": 0} and doc["skipped"] == []


@pytest.mark.parametrize("spec", sorted(shipped()))
def test_the_deepest_depth_collapses_nothing(spec):
    """Why the cases stop one short of the deepest nesting: from there on --depth changes nothing."""
    report = analysed(spec)
    deepest = max(len(r.path) for r in report.rows + report.aux_rows)
    assert printed(report, "csv", deepest) == printed(report, "csv", None)


@pytest.mark.parametrize("text, csv", [
    ("name,kind,output,params\ninput,input,1x28x28,0\n", True),  # nnarith's own header
    ("layer;params;macs\nconv1;156;117600\n", True),
    ("layer,#3x3 reduce,params\ninception3a,96,163696\n", True),  # digits in a header, but no figure
    ("It has 25.6M parameters, 4.1 GFLOPs, and needs\nabout 100 MB of memory, 3 GPUs, and a day.\n", False),
    ("a,b\n1,2\n", False),  # two columns, neither a figure's
    ("layer,params\n", False),  # a header alone
])
def test_csv_on_standard_input_is_told_by_its_header(text, csv):
    from nnarith.check.run import detect

    assert detect("-", text) == ("csv" if csv else "text")


@pytest.mark.parametrize("written, value, stated", [
    ("61,706 = 61,470 weights + 236 biases", 61_706, "61,706 = 61,470 weights + 236 biases"),
    ("96 weights + 3 biases = 99 in all", 99, "96 weights + 3 biases = 99"),
    ("34,848 weights", 34_848, "34,848"),  # not a sum: the weights alone, as before
])
def test_a_sum_of_weights_and_biases_is_the_sum(written, value, stated):
    from nnarith.check.claims import Claim
    from nnarith.check.judge import parse
    from nnarith.errors import Loc

    parts, text = parse(Claim("params", written, Loc("t.txt", 1, 1)))
    assert [p.lo for p in parts][-1] == value and all(p.lo == p.hi for p in parts) and text == stated


@pytest.mark.parametrize("written, parts", [
    ("-88x-88", [(-88, -88)]),  # a crop's field starts 88 pixels inside its input: not -88 times -88
    ("-32", [(-32,)]),
    ("2x2", [(2, 2)]),  # unsigned: read as any shape
])
def test_a_negative_rf_padding_is_a_padding_per_dimension(written, parts):
    from nnarith.check.claims import Claim
    from nnarith.check.judge import parse
    from nnarith.errors import Loc

    assert parse(Claim("rf_padding", written, Loc("t.txt", 1, 1)))[0] == parts


def test_the_totals_below_the_text_table_are_located_on_their_own_lines(monkeypatch):
    text = printed(analysed("lenet5"), "text", None)
    lines = text.splitlines()
    result = piped(text, "lenet5", monkeypatch)
    for item in result.items:
        if item.what in ("total params", "total buffers", "total FLOPs"):
            assert item.stated in lines[item.line - 1], (item.line, item.what)
    assert lines[next(i.line for i in result.items if i.what == "total buffers") - 1].split() == ["buffers", "0", \
        "(non-trainable,", "as", "model.buffers()", "counts)"]


def test_the_working_of_explain_is_not_read_as_the_networks_totals(monkeypatch):
    """shape --explain's 'conv1 (conv)' and its figures are one layer's, not a table of the network's:
    left to a reader of their own (its output lines are still misread, by the labelled-lines reader)."""
    text = render(analysed("lenet5"), Namespace(format="table", depth=None, exact=False, explain=True))
    working = text.splitlines().index("Working: each figure's arithmetic, numbers filled in") + 1
    result = piped(text, "lenet5", monkeypatch)  # was: 'cannot read the rf r = 1 + (5-1)*1 = 5', exit 2
    assert not [i for i in result.items if i.line > working and i.what.split()[-1] in ("params", "MACs", "memory",
                                                                                      "RF")]


@pytest.mark.parametrize("spec", ["alexnet", "resnet50", "mobilenet_v2"])
@pytest.mark.parametrize("columns", [60, 80, 100])
def test_the_totals_folded_to_a_narrow_terminal_are_read_whole(monkeypatch, spec, columns):
    """At 80 columns the totals' long lines fold under their figure; each is still one figure, and the
    lines after a fold (output, depth) are read too."""
    from nnarith.render.table import render_table

    report = analysed(spec)
    result = piped(render_table(report, width=columns), spec, monkeypatch)
    totals = {c.what.split()[-1]: c.status for c in result.items if c.what.startswith("total ")}
    assert not result.skipped and {totals.get(f) for f in ("memory", "output", "depth", "MACs")} == {"ok"}
