"""The spec format: layers, shorthands, blocks with arguments, repeat, branches, aux heads, names."""

from __future__ import annotations

import pytest

from nnarith.errors import SpecError, SpecErrors
from nnarith.loader import parse_spec
from tests.helpers import spec_text


def names(text: str) -> list[str]:
    return [r.name for r in spec_text(text).rows]


def test_the_documented_simple_syntax():
    rows = spec_text("""
name: VGG-ish
source: free text
input: [3, 224, 224]
layers:
  - conv: {out: 64, kernel: 3, pad: 1}      # stride 1, dilation 1, groups 1, bias true by default
  - relu
  - maxpool: {kernel: 2, stride: 2}
  - maxpool: 2                              # scalar shorthand: the kernel
  - flatten
  - fc: 4096                                # scalar shorthand: out features
  - dropout: 0.5
""").rows
    assert [r.kind for r in rows] == ["conv", "relu", "maxpool", "maxpool", "flatten", "fc", "dropout"]
    assert [r.shape.dims for r in rows][2:4] == [(64, 112, 112), (64, 56, 56)]
    assert rows[0].params == 64 * (3 * 3 * 3 + 1)


def test_automatic_names_are_readable_and_unique():
    assert names("""
input: [3, 8, 8]
layers: [conv: {out: 4, kernel: 3, pad: 1}, relu, conv: {out: 4, kernel: 3, pad: 1, name: conv1}, relu, linear: 2]
""") == ["conv2", "relu1", "conv1", "relu2", "fc1"]


def test_repeat_copies_layers_with_numbered_names():
    assert names("""
input: [3, 8, 8]
layers:
  - conv: {out: 4, kernel: 3, pad: 1, repeat: 2}
  - conv: {out: 4, kernel: 3, pad: 1, name: deep, repeat: 3}
""") == ["conv1", "conv2", "deep_1", "deep_2", "deep_3"]


BLOCKS = """
input: [8, 16, 16]
blocks:
  unit:
    args: {out: ~, stride: 1, shortcut: identity}
    layers:
      - add:
          branches:
            main: [conv: {out: $out, kernel: 3, stride: $stride, pad: 1, bias: false}, bn]
            shortcut: $shortcut
      - relu
  project:
    args: {out: ~, stride: 1}
    layers: [conv: {out: $out, kernel: 1, stride: $stride, bias: false}, bn]
layers:
  - unit: {out: 8, repeat: 2}
  - unit: {name: down, out: 16, stride: 2, shortcut: {project: {out: 16, stride: 2}}}
"""


def test_blocks_with_arguments_and_a_block_passed_as_an_argument():
    rows = spec_text(BLOCKS).rows
    assert [r.name for r in rows] == [
        "unit1.add1.main.conv1", "unit1.add1.main.bn1", "unit1.add1.shortcut.identity1", "unit1.add1",
        "unit1.relu1",
        "unit2.add1.main.conv1", "unit2.add1.main.bn1", "unit2.add1.shortcut.identity1", "unit2.add1",
        "unit2.relu1",
        "down.add1.main.conv1", "down.add1.main.bn1", "down.add1.shortcut.project1.conv1",
        "down.add1.shortcut.project1.bn1", "down.add1", "down.relu1",
    ]
    assert rows[-1].shape.dims == (16, 8, 8)
    assert rows[12].params == 16 * 8 * 1 * 1
    assert rows[0].kinds == ("unit", "add", "branch")


def test_arguments_resolve_where_the_block_was_called():
    # outer passes its own $w down to inner: lexical scope, several levels deep
    rows = spec_text("""
input: [2, 8, 8]
blocks:
  inner:
    args: {k: ~}
    layers: [conv: {out: 3, kernel: $k}]
  outer:
    args: {w: ~}
    layers: [inner: {k: $w}, conv: {out: 1, kernel: [1, $w]}]
layers: [outer: {w: 3}]
""").rows
    assert [r.shape.dims for r in rows] == [(3, 6, 6), (1, 6, 4)]


def test_block_written_as_a_bare_list_and_called_by_name():
    rows = spec_text("""
input: [2, 8, 8]
blocks:
  stem: [conv: {out: 4, kernel: 3}, relu]
layers: [stem, stem]
""").rows
    assert [r.name for r in rows] == ["stem1.conv1", "stem1.relu1", "stem2.conv1", "stem2.relu1"]


def test_concat_sums_channels_and_branch_lists():
    rows = spec_text("""
input: [192, 28, 28]
layers:
  - concat:
      - conv: {out: 64, kernel: 1}
      - [conv: {out: 96, kernel: 1}, relu, conv: {out: 128, kernel: 3, pad: 1}]
      - [maxpool: {kernel: 3, stride: 1, pad: 1}, conv: {out: 32, kernel: 1}]
""").rows
    assert rows[-1].name == "concat1" and rows[-1].shape.dims == (64 + 128 + 32, 28, 28)
    assert [r.name for r in rows][:2] == ["concat1.branch1.conv1", "concat1.branch2.conv1"]


def test_seq_groups_layers_under_a_name():
    assert names("""
input: [1, 8, 8]
layers:
  - seq: {name: features, layers: [conv: {out: 2, kernel: 3}, relu]}
  - seq: [gap]
""") == ["features.conv1", "features.relu1", "seq1.gap1"]


def test_aux_heads_are_training_only():
    report = spec_text("""
input: [4, 8, 8]
layers:
  - conv: {out: 4, kernel: 3, pad: 1}
  - aux: {name: head, layers: [gap, fc: 10]}
  - gap
  - fc: 2
""")
    assert [r.name for r in report.rows] == ["conv1", "gap1", "fc1"]
    assert [r.name for r in report.aux_rows] == ["head.gap1", "head.fc1"]
    assert report.totals.params == 4 * (9 * 4 + 1) + 2 * 5
    assert report.aux_totals.params == 10 * 5
    assert report.output.dims == (2,)


def test_yaml_anchors_and_merge_keys():
    rows = spec_text("""
input: [3, 8, 8]
layers:
  - conv: &c3 {out: 4, kernel: 3, pad: 1}
  - conv: {<<: *c3, out: 5, pad: 0}
""").rows
    assert [r.shape.dims for r in rows] == [(4, 8, 8), (5, 6, 6)]


def test_anchored_layer_lists_splice_in_place():
    rows = spec_text("""
input: [3, 8, 8]
blocks:
  pair: &pair [conv: {out: 3, kernel: 1}, relu]
layers: [*pair, *pair]
""").rows
    assert [r.kind for r in rows] == ["conv", "relu", "conv", "relu"]


@pytest.mark.parametrize("text, message", [
    ("input: [3, 8, 8]\nlayers: [conv: {out: 4, kernal: 3}]\n", "unknown field 'kernal' in conv"),
    ("input: [3, 8, 8]\nlayers: [covn: {out: 4}]\n", "unknown layer kind 'covn'"),
    ("input: [3, 8, 8]\nlayers: [conv: {kernel: 3}]\n", "conv needs 'out' (output channels)"),
    ("input: [3, 8, 8]\nlayers: [relu: 3]\n", "relu takes no value"),
    ("input: [3, 8, 8]\nlayers:\n  - conv:\n    out: 4\n", "a layer is one 'kind: args' pair"),
    ("input: [3, 8, 8]\nlayers: [conv: {out: 4, kernel: 3, bias: 1}]\n", "conv bias must be true or false"),
    ("input: [3, 8, 8]\nlayers: [conv: {out: 4.0, kernel: 3}]\n", "conv out must be a positive integer"),
    ("input: [3, 8, 8]\nlayers: [conv: {out: 0, kernel: 3}]\n",
     "conv out must be a positive integer, got the integer 0"),
    ("input: [3, 8, 8]\nlayers: [add: [identity]]\n", "add needs at least two branches, got 1"),
    ("input: [3, 8, 8]\nblocks: {b: {args: {k: ~}, layers: [conv: {out: 1, kernel: $k}]}}\nlayers: [b]\n",
     "block 'b' needs the argument 'k'"),
    ("input: [3, 8, 8]\nblocks: {b: {args: {k: 1}, layers: [conv: {out: 1, kernel: $j}]}}\nlayers: [b]\n",
     "'$j' is not an argument of this block"),
    ("input: [3, 8, 8]\nblocks: {b: {args: {k: 1}, layers: [b]}}\nlayers: [b]\n", "block 'b' uses itself (b -> b)"),
    ("input: [3, 8, 8]\nblocks: {b: {args: {k: 1}, layers: [relu]}}\nlayers: [b: {kk: 2}]\n",
     "block 'b' has no argument 'kk'"),
    ("input: [3, 8, 8]\nblocks: {conv: [relu]}\nlayers: [relu]\n", "block name 'conv' is already a layer kind"),
    ("input: [3, 8, 8]\nlayers: [relu: {name: x}, relu: {name: x}]\n", "the name 'x' is used twice in this list"),
    ("input: [3, 8, 8]\nlayers: [relu: {name: 2x}]\n", "name must be letters, digits and _"),
    ("input: [3, 8, 8]\nlayers: [relu: {repeat: 1000000000}]\n", "more than the limit of 20,000 layers"),
    ("input: 3x8x8\nlayers: [relu]\n", "input must be a list of 1 to 4 sizes"),
    ("layers: [relu]\n", "the spec needs 'input:'"),
    ("input: [3, 8, 8]\nlayer: [relu]\n", "unknown top-level key 'layer'"),
    ("- relu\n", "a spec must be a mapping with 'input:' and 'layers:'"),
])
def test_spec_errors(text, message):
    with pytest.raises((SpecError, SpecErrors)) as err:
        spec_text(text)
    errors = err.value.errors if isinstance(err.value, SpecErrors) else [err.value]
    assert any(message in e.message for e in errors), [e.message for e in errors]
    assert all(e.loc is not None and e.loc.line >= 1 for e in errors)


def test_errors_suggest_the_closest_name():
    with pytest.raises(SpecError) as err:
        parse_spec("input: [3, 8, 8]\nlayers: [conv: {out: 4, kernal: 3}]\n", "net.yaml")
    assert err.value.hint == "did you mean 'kernel'?"
    assert str(err.value.loc) == "net.yaml:2:25"  # the k of kernal


def test_independent_errors_are_all_reported():
    with pytest.raises(SpecErrors) as err:
        parse_spec("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n  - relu: 3\n  - poool: 2\n", "n.yaml")
    assert [(e.loc.line, e.message.split(" '")[0]) for e in err.value.errors] == [
        (3, "unknown field"), (4, "relu takes no value; write"), (5, "unknown layer kind")]


@pytest.mark.parametrize(("written", "value"), [
    ("1e-6", 1e-6),  # YAML 1.1 reads this as text; YAML 1.2, and every PyTorch signature, as a float
    ("5E-3", 5e-3),
    ("+1e-5", 1e-5),
    ("1.0e-6", 1e-6),  # YAML 1.1's own float form
    ("0.000001", 1e-6),
])
def test_exponent_floats_read_as_numbers(written, value):
    from nnarith.loader.yaml_loader import load

    assert load(f"eps: {written}\n", "x.yaml")["eps"] == value
    assert load(f"eps: '{written}'\n", "x.yaml")["eps"] == written  # quoted, it stays text
    network = parse_spec(f"input: {{tokens: 4, features: 8}}\nlayers:\n  - layernorm: {{eps: {written}}}\n", "x.yaml")
    assert network.body.children[0].layer.eps == value
