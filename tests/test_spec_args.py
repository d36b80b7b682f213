"""Spec arguments: a spec's top-level args:, the values --set gives them, and the report naming the values used.

Expected figures come from the formulas of the layers (an fc of n inputs and m outputs has n*m + m params), and
the VGG family's spec is checked against the shipped copies written out layer by layer."""

from __future__ import annotations

import json

import pytest

from nnarith.analysis.walk import analyze
from nnarith.errors import SpecError, UsageError
from nnarith.loader import load_spec, load_template, parse_set, parse_sets, parse_spec, split_item
from nnarith.render.machine import render_json, render_markdown
from nnarith.render.table import render_table
from tests.helpers import SPECS, cli

# an MLP of `depth` hidden layers of `width` sigmoid units on 8 inputs, and 3 outputs
MLP = """name: mlp
args: {depth: 3, width: 16}
input: [8]
blocks:
  hidden:
    layers: [fc: $width, sigmoid]
layers:
  - hidden: {repeat: $depth}
  - fc: 3
"""


def mlp_params(depth: int, width: int) -> int:
    """fc weights and biases: 8 -> width, (depth - 1) x width -> width, width -> 3."""
    return (8 * width + width) + (depth - 1) * (width * width + width) + (width * 3 + 3)


@pytest.mark.parametrize("sets, depth, width, set_names", [
    ({}, 3, 16, ()),  # the defaults
    ({"depth": 1}, 1, 16, ("depth",)),
    ({"width": "5"}, 3, 5, ("width",)),  # a value as the command line gives it: text
    ({"width": 7, "depth": 4}, 4, 7, ("depth", "width")),  # named in the order the spec declares them
    ({"depth": "+2"}, 2, 16, ("depth",)),
])
def test_values_used(sets, depth, width, set_names):
    report = analyze(parse_spec(MLP, "mlp.yaml", sets=sets))
    assert report.totals.params == mlp_params(depth, width)
    assert len(report.rows) == 2 * depth + 1  # the repeat counts the hidden blocks
    assert [r.path[0] for r in report.rows[:-1:2]] == [f"hidden{i}" for i in range(1, depth + 1)]
    assert report.args == {"depth": depth, "width": width}
    assert report.args_set == set_names


SHADOW = """args: {width: 9}
input: [4]
blocks:
  {block}
layers: [{layers}]
"""


@pytest.mark.parametrize("block, layers, sets, out", [
    # a block's body sees the spec's arguments
    ("unit: [fc: $width]", "unit", {}, 9),
    ("unit: [fc: $width]", "unit", {"width": 6}, 6),
    # a block parameter of the same name shadows the spec's inside the block
    ("unit: {args: {width: 4}, layers: [fc: $width]}", "unit", {"width": 6}, 4),
    ("unit: {args: {width: 4}, layers: [fc: $width]}", "unit: {width: 5}", {}, 5),
    # and its default may be the spec's argument itself
    ("unit: {args: {width: $width}, layers: [fc: $width]}", "unit", {}, 9),
    ("unit: {args: {width: $width}, layers: [fc: $width]}", "unit", {"width": 2}, 2),
    # a call passes the spec's argument, arithmetic included
    ("unit: {args: {n: ~}, layers: [fc: $n]}", "unit: {n: 2*$width}", {"width": 3}, 6),
    # the top-level layers use it directly
    ("unit: [relu]", "fc: $width // 3", {}, 3),
])
def test_scope(block, layers, sets, out):
    text = SHADOW.replace("{block}", block).replace("{layers}", layers)
    report = analyze(parse_spec(text, "t.yaml", sets=sets))
    assert report.rows[-1].shape.dims == (out,)


DERIVED = "args: {width: 8, hidden: 4*$width}\ninput: [2]\nlayers: [fc: $hidden]\n"


@pytest.mark.parametrize("sets, args", [
    ({}, {"width": 8, "hidden": 32}),
    ({"width": 2}, {"width": 2, "hidden": 8}),  # a default computed after the values set
    ({"hidden": 5}, {"width": 8, "hidden": 5}),
])
def test_a_default_is_arithmetic_on_those_above(sets, args):
    report = analyze(parse_spec(DERIVED, "t.yaml", sets=sets))
    assert report.args == args and report.rows[-1].shape.dims == (args["hidden"],)


NO_ARGS = "input: [8]\nlayers: [fc: 4]\n"


@pytest.mark.parametrize("text, sets, message, hint", [
    (MLP, {"wdith": 3}, "mlp.yaml declares no argument 'wdith' (wdith=3 is set)",
     "did you mean 'width'? its arguments: depth, width"),
    (MLP, {"colour": 3}, "mlp.yaml declares no argument 'colour' (colour=3 is set)", "its arguments: depth, width"),
    (NO_ARGS, {"width": 3}, "mlp.yaml declares no arguments, so width=3 sets nothing",
     "declare them at the top of the spec: args: {depth: 5, width: 2048}, then use $depth, $width"),
    (MLP, {"width": "3.5"}, "--set width=3.5: '3.5' is not an integer; spec arguments are integers, such as 2048",
     None),
    (MLP, {"width": "wide"}, "--set width=wide: 'wide' is not an integer; spec arguments are integers, such as 2048",
     None),
])
def test_values_that_set_nothing_or_are_not_integers(text, sets, message, hint):
    with pytest.raises(UsageError) as e:
        parse_spec(text, "mlp.yaml", sets=sets)
    assert str(e.value) == message and e.value.hint == hint


def position(text: str, line_holding: str, part: str) -> tuple[int, int]:
    """The 1-based line and column of `part` on the first line of text that holds line_holding."""
    for number, line in enumerate(text.splitlines(), 1):
        if line_holding in line:
            return number, line.index(part, line.index(line_holding)) + 1
    raise AssertionError(line_holding)


@pytest.mark.parametrize("sets, holding, part, message", [
    ({"depth": 0}, "repeat: $depth", "$depth", "repeat must be a positive integer, got the integer 0"),
    ({"width": 0}, "fc: $width", "$width", "fc out must be a positive integer, got the integer 0"),
    ({"depth": 2, "width": -1}, "fc: $width", "$width", "fc out must be a positive integer, got the integer -1"),
])
def test_a_value_that_makes_the_spec_invalid_is_located_where_it_is_used(sets, holding, part, message):
    with pytest.raises(SpecError) as e:
        parse_spec(MLP, "mlp.yaml", sets=sets)
    assert e.value.message == message
    assert (e.value.loc.line, e.value.loc.col) == position(MLP, holding, part)
    given = ", ".join(f"{k}={v}" for k, v in sets.items())
    assert e.value.given == f"with {given} (set on the command line)"
    assert f"\n  with {given} (set on the command line)" in e.value.render()


KERNEL = "args: {k: 3}\ninput: [1, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: $k}\n"


@pytest.mark.parametrize("k, message", [
    (9, "output size 0 < 1: (8 - 9)/1 + 1 = 0; the kernel is larger than the padded input 8"),
    (12, "output size -3 < 1: (8 - 12)/1 + 1 = -3; the kernel is larger than the padded input 8"),
])
def test_a_shape_the_value_makes_impossible_names_it_too(k, message):
    """The spec loads; the walk finds the kernel larger than the input, at the field the value fills."""
    net = parse_spec(KERNEL, "k.yaml", sets={"k": k})
    with pytest.raises(SpecError) as e:
        analyze(net)
    assert e.value.message == message
    assert (e.value.loc.line, e.value.loc.col) == position(KERNEL, "kernel: $k", "$k")
    assert e.value.given == f"with k={k} (set on the command line)"


def test_a_default_is_required_even_where_a_value_is_set():
    with pytest.raises(SpecError, match="^the spec argument 'k' needs a default$"):
        parse_spec(KERNEL.replace("{k: 3}", "{k: ~}"), "k.yaml", sets={"k": 3})


@pytest.mark.parametrize("text, expected", [
    ("width=2048", ("width", 2048)),
    (" width = 2048 ", ("width", 2048)),
    ("width=2_048", ("width", 2048)),  # as Python writes a large integer
    ("depth=-1", ("depth", -1)),  # an integer: whether the spec takes it is the spec's to say
    ("_n2=0", ("_n2", 0)),
])
def test_parse_set(text, expected):
    assert parse_set(text) == expected


@pytest.mark.parametrize("text, message", [
    ("width", "--set 'width' is not NAME=VALUE; write it like --set width=2048"),
    ("=3", "--set '=3' is not NAME=VALUE; write it like --set width=2048"),
    ("width=", "--set 'width=' is not NAME=VALUE; write it like --set width=2048"),
    ("2w=3", "--set '2w=3': '2w' is not an argument name (letters, digits and _, not starting with a digit)"),
    ("width=2k", "--set width=2k: '2k' is not an integer; spec arguments are integers, such as 2048"),
    ("width=1.5", "--set width=1.5: '1.5' is not an integer; spec arguments are integers, such as 2048"),
    ("width=" + "9" * 101, f"--set width={'9' * 101}: '{'9' * 101}' is not an integer; spec arguments are "
     "integers, of at most 100 digits"),  # nnarith's bound on every number
])
def test_parse_set_refuses(text, message):
    with pytest.raises(UsageError) as e:
        parse_set(text)
    assert str(e.value) == message


def test_parse_sets_refuses_a_name_twice():
    assert parse_sets(["depth=5", "width=2048"]) == {"depth": 5, "width": 2048}
    with pytest.raises(UsageError, match=r"^--set sets 'depth' twice \(depth=5 and depth=6\); give it once$"):
        parse_sets(["depth=5", "depth=6"])


@pytest.mark.parametrize("item, spec, sets", [
    ("mlp.yaml[depth=5,width=2048]", "mlp.yaml", {"depth": 5, "width": 2048}),
    ("mlp.yaml[ depth=5, width=2048 ]", "mlp.yaml", {"depth": 5, "width": 2048}),
    ("vgg[stage3=4]", "vgg", {"stage3": 4}),
    ("nets/a.b/mlp.yaml[depth=1]", "nets/a.b/mlp.yaml", {"depth": 1}),
    ("vgg16", "vgg16", {}),
    ("mlp.yaml[]", "mlp.yaml", {}),
])
def test_split_item(item, spec, sets):
    assert split_item(item) == (spec, sets)


@pytest.mark.parametrize("item, message", [
    ("mlp.yaml[depth]", "'depth' in mlp.yaml[...] is not NAME=VALUE; write it like width=2048"),
    ("mlp.yaml[depth=5,depth=6]", "mlp.yaml[...] sets 'depth' twice (depth=5 and depth=6); give it once"),
    ("mlp.yaml[width=x]", "mlp.yaml[...] width=x: 'x' is not an integer; spec arguments are integers, such as 2048"),
    ("mlp.yaml[depth=5", "'mlp.yaml[depth=5' is not SPEC[NAME=VALUE,...]; write it like mlp.yaml[depth=5,width=2048]"),
    ("mlp.yaml]", "'mlp.yaml]' is not SPEC[NAME=VALUE,...]; write it like mlp.yaml[depth=5,width=2048]"),
])
def test_split_item_refuses(item, message):
    with pytest.raises(UsageError) as e:
        split_item(item)
    assert str(e.value) == message


def test_a_file_named_with_brackets_is_a_spec_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net[2].yaml").write_text(NO_ARGS)
    assert split_item("net[2].yaml") == ("net[2].yaml", {})


def test_a_template_is_read_once_and_expanded_for_each_value(tmp_path):
    path = tmp_path / "mlp.yaml"
    path.write_text(MLP)
    template = load_template(str(path))
    path.unlink()  # nothing is read again
    assert template.names == ("depth", "width")
    for depth, width in ((1, 4), (3, 16), (2, 9)):
        assert analyze(template.network({"depth": depth, "width": width})).totals.params == mlp_params(depth, width)
    assert analyze(template.network()).args == {"depth": 3, "width": 16}


@pytest.mark.parametrize("render, expected", [
    (lambda r: render_table(r, width=100), "args depth=2, width=16 (depth set; the others at their defaults)"),
    (render_markdown, "Args depth=2, width=16 (depth set; the others at their defaults)."),
])
def test_the_reports_name_the_values_used(render, expected):
    report = analyze(parse_spec(MLP, "mlp.yaml", sets={"depth": 2}))
    assert expected in render(report).splitlines()


@pytest.mark.parametrize("sets, line", [
    ({}, "args depth=3, width=16 (the defaults)"),
    ({"depth": 2, "width": 4}, "args depth=2, width=4 (all set)"),
])
def test_the_table_says_which_values_are_defaults(sets, line):
    assert line in render_table(analyze(parse_spec(MLP, "mlp.yaml", sets=sets))).splitlines()


def test_json_names_the_values_and_a_spec_without_args_has_none():
    doc = json.loads(render_json(analyze(parse_spec(MLP, "mlp.yaml", sets={"width": 5}))))
    assert doc["args"] == {"depth": 3, "width": 5} and doc["args_set"] == ["width"]
    assert "args" not in json.loads(render_json(analyze(parse_spec(NO_ARGS, "t.yaml"))))


# Simonyan & Zisserman 2014, Table 1: the 3x3 convolutions of each of the five stages
@pytest.mark.parametrize("copy, stages", [
    ("vgg11", (1, 1, 2, 2, 2)),
    ("vgg13", (2, 2, 2, 2, 2)),
    ("vgg16", (2, 2, 3, 3, 3)),
    ("vgg19", (2, 2, 4, 4, 4)),
])
def test_the_vgg_family_in_one_spec_is_the_shipped_copies(copy, stages):
    family = analyze(load_spec("vgg", sets={f"stage{i}": n for i, n in enumerate(stages, 1)}))
    written = analyze(load_spec(copy))

    def layers(report):
        return [(r.kind, r.shape.dims, r.counts, r.rf) for r in report.rows]

    assert layers(family) == layers(written)
    assert (family.totals, family.depth, family.output) == (written.totals, written.depth, written.output)


# He et al. 2015, Table 1 (blocks per stage); torchvision's groups and width_per_group for ResNeXt and Wide ResNet
@pytest.mark.parametrize("copy, sets", [
    ("resnet50", {}),
    ("resnet101", {"layer3": 23}),
    ("resnet152", {"layer2": 8, "layer3": 36}),
    ("resnext50_32x4d", {"groups": 32, "group_width": 4}),
    ("resnext101_32x8d", {"layer3": 23, "groups": 32, "group_width": 8}),
    ("wide_resnet50_2", {"group_width": 128}),
    ("wide_resnet101_2", {"layer3": 23, "group_width": 128}),
])
def test_the_bottleneck_resnets_in_one_spec_are_the_shipped_copies(copy, sets):
    family = analyze(load_spec("resnet_bottleneck", sets=sets))
    written = analyze(load_spec(copy))

    def layers(report):  # the names too: both name the stages layer1 to layer4, as torchvision does
        return [(r.name, r.kind, r.shape.dims, r.counts, r.rf) for r in report.rows]

    assert layers(family) == layers(written)
    assert (family.totals, family.depth, family.output) == (written.totals, written.depth, written.output)


def vgg_position(part_line: str, part: str) -> str:
    line, col = position((SPECS / "vgg.yaml").read_text(), part_line, part)
    return f"specs/vgg.yaml:{line}:{col}"


@pytest.mark.parametrize("argv, stdout_line", [
    (["shape", "vgg", "--set", "stage3=4", "--set", "stage4=4", "--set", "stage5=4"],
     "args stage1=2, stage2=2, stage3=4, stage4=4, stage5=4 (stage3, stage4, stage5 set; the others at their "
     "defaults)"),
    (["shape", "vgg"], "args stage1=2, stage2=2, stage3=3, stage4=3, stage5=3 (the defaults)"),
    (["shape", "vgg", "--set", "stage1=1", "--format", "markdown"],
     "Args stage1=1, stage2=2, stage3=3, stage4=3, stage5=3 (stage1 set; the others at their defaults)."),
    (["memory", "vgg", "--set", "stage5=1"],
     "args stage1=2, stage2=2, stage3=3, stage4=3, stage5=1 (stage5 set; the others at their defaults)"),
])
def test_cli_names_the_values(argv, stdout_line):
    r = cli(*argv)
    assert r.returncode == 0, r.stderr
    assert stdout_line in [" ".join(line.split()) for line in r.stdout.replace("\n  ", " ").splitlines()]


def test_cli_json_names_the_values():
    r = cli("shape", "vgg", "--set", "stage1=1", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["args"]["stage1"] == 1 and doc["args_set"] == ["stage1"]
    assert doc["totals"]["params"] == analyze(load_spec("vgg", sets={"stage1": 1})).totals.params


@pytest.mark.parametrize("argv, stderr", [
    (["shape", "vgg", "--set", "stage6=1"], "error: specs/vgg.yaml declares no argument 'stage6' (stage6=1 is set)\n"
     "  hint: did you mean 'stage1'? its arguments: stage1, stage2, stage3, stage4, stage5\n"),
    (["memory", "vgg", "--set", "stag3=1"], "error: specs/vgg.yaml declares no argument 'stag3' (stag3=1 is set)\n"
     "  hint: did you mean 'stage3'? its arguments: stage1, stage2, stage3, stage4, stage5\n"),
    (["shape", "vgg16", "--set", "depth=3"], "error: specs/vgg16.yaml declares no arguments, so depth=3 sets "
     "nothing\n  hint: declare them at the top of the spec: args: {depth: 5, width: 2048}, then use $depth, $width\n"),
    (["shape", "vgg", "--set", "stage1=two"],
     "error: --set stage1=two: 'two' is not an integer; spec arguments are integers, such as 2048\n"),
    (["shape", "vgg", "--set", "stage1"], "error: --set 'stage1' is not NAME=VALUE; write it like --set width=2048\n"),
    (["shape", "vgg", "--set", "stage1=1", "--set", "stage1=2"],
     "error: --set sets 'stage1' twice (stage1=1 and stage1=2); give it once\n"),
    (["check", "examples/homework/alexnet_notes.txt", "--set", "stage1=1"],
     "error: --set gives values to the spec --spec names; give --spec SPEC too\n"),
    (["shape", "vgg", "--set", "stage1=0"], f"{vgg_position('convs: $stage1', '$stage1')}: error: repeat must be a "
     "positive integer, got the integer 0\n  with stage1=0 (set on the command line)\n"),
])
def test_cli_refuses(argv, stderr):
    r = cli(*argv)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", stderr)


def test_check_takes_the_values_too(tmp_path):
    """VGG-19's parameters, 143,667,240 (torchvision's published count), checked against the family's spec."""
    (tmp_path / "doc.md").write_text("The network has 143,667,240 parameters.\n")
    for argv in (["--spec", "vgg", "--set", "stage3=4", "--set", "stage4=4", "--set", "stage5=4"],
                 ["--spec", "vgg[stage3=4,stage4=4,stage5=4]"]):
        r = cli("check", str(tmp_path / "doc.md"), *argv)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "args stage1=2, stage2=2, stage3=4, stage4=4, stage5=4 (stage3, stage4, stage5 set;" in \
            " ".join(r.stdout.split()), r.stdout
