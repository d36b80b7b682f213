"""Arithmetic in block arguments and layer fields (nnarith/loader/arith.py): values against Python's own
arithmetic, make_divisible against torchvision's _make_divisible, every error located, and a spec end to end."""

from __future__ import annotations

import pytest

from nnarith.errors import Loc, SpecError, SpecErrors
from nnarith.loader.arith import MAX_LENGTH, MAX_NESTING, evaluate, is_expression
from nnarith.text import MAX_DIGITS
from tests.helpers import spec_text

LOC = Loc("t.yaml", 3, 14)


def tv_make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision.models._utils._make_divisible, as published (floating point)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def run(text: str, **params) -> int:
    def lookup(ref: str, loc: Loc):
        if ref[1:] not in params:
            raise SpecError(f"'{ref}' is not an argument of this block", loc)
        return params[ref[1:]]

    return evaluate(text, LOC, lookup)


a, b, c, d = 7, -2, 96, 768
VALUES = [
    ("4*$d", dict(d=d), 4 * d),
    ("$d // $h", dict(d=d, h=12), d // 12),
    ("$a // $b", dict(a=a, b=b), a // b),  # rounds towards minus infinity, as Python does
    ("$a % $b", dict(a=a, b=b), a % b),
    ("-$a % 5", dict(a=a), -a % 5),
    ("-$a // 2", dict(a=a), -a // 2),  # unary minus binds tighter than //, as in Python
    ("2 + 3 * 4 - 1", {}, 2 + 3 * 4 - 1),
    ("(2 + 3) * (4 - 1)", {}, (2 + 3) * (4 - 1)),
    ("10 - 4 - 3", {}, 10 - 4 - 3),  # left to right
    ("100 // 7 // 2", {}, 100 // 7 // 2),
    ("- - 3", {}, 3),
    ("+$c", dict(c=c), c),
    ("$c * 0.25", dict(c=c), c // 4),  # exact: 0.25 is 1/4
    ("$c * 0.1 * 10", dict(c=c), c),  # exact: no floating-point drift
    ("$c * $r", dict(c=c, r=0.75), c * 3 // 4),  # a decimal argument, read as written
    ("min($c, 64, 100)", dict(c=c), min(c, 64, 100)),
    ("max(1, $c // 1000)", dict(c=c), max(1, c // 1000)),
    ("make_divisible($c * 0.25, 8)", dict(c=c), tv_make_divisible(c * 0.25, 8)),
    ("make_divisible(16 // 4, 8)", {}, tv_make_divisible(16 // 4, 8)),  # below the divisor: the divisor
    ("make_divisible(90 * 1.4, 4)", {}, tv_make_divisible(90 * 1.4, 4)),  # 124: floating point, as torchvision
    ("make_divisible(3, 8, 2)", {}, tv_make_divisible(3, 8, 2)),
    ("make_divisible($c, 8) * 2 + min(3, 4) % 2", dict(c=c), tv_make_divisible(c, 8) * 2 + 3 % 2),
    ("  $d  //  2  ", dict(d=d), d // 2),
    ("9" * MAX_DIGITS, {}, int("9" * MAX_DIGITS)),
]


@pytest.mark.parametrize("text, params, value", VALUES)
def test_value(text, params, value):
    assert run(text, **params) == value


@pytest.mark.parametrize("ratio", ["0.25", "0.5", "0.75", "1.1", "1.2", "1.4", "1.8", "0.35"])
@pytest.mark.parametrize("divisor", [4, 8])
def test_make_divisible_gives_torchvisions_channels(ratio, divisor):
    for channels in range(1, 1025):
        assert run(f"make_divisible($c * {ratio}, {divisor})", c=channels) == \
            tv_make_divisible(channels * float(ratio), divisor), channels


NEST = "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1)
ERRORS = [
    ("$d // ($d - 768)", dict(d=d), "'//' divides by zero at column 4", None),
    ("$d % 0", dict(d=d), "'%' divides by zero at column 4", None),
    ("$d * " + "9" * 60 + " * " + "9" * 60, dict(d=d), f"more than {MAX_DIGITS} digits", "no network"),
    ("1" * (MAX_DIGITS + 1), {}, f"more than {MAX_DIGITS} digits", None),
    ("1 + " * (MAX_LENGTH // 4) + "1", {}, f"the limit is {MAX_LENGTH}", None),
    (NEST, {}, f"nest more than {MAX_NESTING} deep", None),
    ("$width * 2", dict(d=d), "'$width' is not an argument", None),
    ("4 * dim", {}, "unknown name 'dim' at column 5", "$dim"),
    ("round($d * 0.5)", dict(d=d), "'round' is not a helper at column 1", "make_divisible"),
    ("make_divisble($d, 8)", dict(d=d), "'make_divisble' is not a helper", "did you mean 'make_divisible'?"),
    ("$d(2)", dict(d=d), "'$d' is called at column 1", "only the helpers"),
    ("$x.__class__ + 1", dict(x=1), "'.' here at column 3", "no attributes"),
    ("__import__('os')", {}, "''' is not part of an expression at column 12", None),
    ("4 * * 2", {}, "unexpected '*' at column 5", None),
    ("($d + 1", dict(d=d), "'(' is not closed at column 1", "')' at column 8"),
    ("$d $d", dict(d=d), "unexpected '$d' at column 4", None),
    ("$d / 2", dict(d=d), "'/' is not an operator at column 4", "divide with //"),
    ("$d ** 2", dict(d=d), "'**' (a power) is not an operator", None),
    ("$d * 0.3", dict(d=d), "is 1152/5 (230.4), not an integer", "make_divisible"),
    ("1. + 2", {}, "'.' here at column 2", "digits on both sides"),
    ("min($d)", dict(d=d), "min takes at least 2 arguments, got 1", None),
    ("make_divisible($d)", dict(d=d), "make_divisible takes 2 or 3 arguments, got 1", None),
    ("make_divisible($d, 0)", dict(d=d), "divisor and minimum must be positive integers", None),
    ("make_divisible + 1", {}, "'make_divisible' is a helper, not a value", None),
    ("$s * 2", dict(s="same"), "'$s' is the text 'same', not a number", None),
    ("$s * 2", dict(s=True), "'$s' is True, not a number", None),
    ("$s * 2", dict(s=[1, 2]), "'$s' is a list or layers, not a number", None),
    ("2 *", {}, "the expression ends early", None),
    ("1 + (", {}, "the expression ends early", None),
]


@pytest.mark.parametrize("text, params, message, hint", ERRORS)
def test_error(text, params, message, hint):
    with pytest.raises(SpecError) as e:
        run(text, **params)
    assert message in e.value.message
    assert e.value.loc == LOC  # where the value was written
    if hint:
        assert hint in e.value.hint


@pytest.mark.parametrize("value, arithmetic", [
    ("4*$d", True), ("$d // 2", True), ("make_divisible(24, 8)", True), ("2 * 64", True), ("4$d", True),
    ("$d", False),  # a bare reference is substituted
    ("$d.__class__", False),  # a bad reference (scope.resolve says so)
    ("same", False), ("nearest", False), (64, False), (0.5, False), (None, False), ("", False),
])
def test_what_is_arithmetic(value, arithmetic):
    assert is_expression(value) is arithmetic


TRANSFORMER_MLP = """
input: {channels: 96, size: [8, 8]}
blocks:
  mlp:
    args: {dim: ~, ratio: 4, hidden: $ratio * $dim}   # a default uses the arguments before it
    layers:
      - conv: {out: $hidden, kernel: 1}
      - relu
      - conv: {out: $dim, kernel: 1, groups: $dim // 32}
  squeeze:
    args: [c, repeats]
    layers:
      - conv: {out: "make_divisible($c * 0.25, 8)", kernel: [1, $c // 48 + 1], pad: [0, $c // 96]}
      - mlp: {dim: 4*$c // 4, ratio: $repeats - 1}
      - relu: {repeat: $repeats - 1}
layers:
  - mlp: {dim: 96}
  - squeeze: {c: 2 * 48, repeats: 3}
  - fc: 2 * 5
"""


def test_a_spec_with_arithmetic_end_to_end():
    rows = {r.name: r for r in spec_text(TRANSFORMER_MLP).rows}
    dim, hidden, c = 96, 4 * 96, 96
    assert rows["mlp1.conv1"].shape.dims == (hidden, 8, 8)
    assert rows["mlp1.conv1"].params == hidden * (dim + 1)
    assert rows["mlp1.conv2"].params == dim * (hidden // (dim // 32) + 1)  # groups 3
    squeezed = tv_make_divisible(c * 0.25, 8)
    assert rows["squeeze1.conv1"].shape.dims == (squeezed, 8, 8)  # kernel [1, 3], pad [0, 1]
    assert rows["squeeze1.conv1"].params == squeezed * (c * 1 * 3 + 1)
    assert rows["squeeze1.mlp1.conv1"].shape.dims == ((3 - 1) * c, 8, 8)
    assert [n for n in rows if n.startswith("squeeze1.relu")] == ["squeeze1.relu1", "squeeze1.relu2"]
    assert rows["fc1"].shape.dims == (10,)


@pytest.mark.parametrize("text, where, message", [
    # the error is where the expression was written: in the call, not in the block's body
    ("input: [8, 4, 4]\nblocks:\n  b:\n    args: [w]\n    layers: [conv: {out: $w, kernel: 1}]\n"
     "layers:\n  - b: {w: 64 // (2 - 2)}\n", (7, 12), "'//' divides by zero at column 4"),
    ("input: [8, 4, 4]\nlayers:\n  - conv: {out: 8, kernel: 1, repeat: '0 * 3'}\n", (3, 39), "repeat must be"),
    ("input: [8, 4, 4]\nblocks:\n  b:\n    args: {w: 8, x: $y + 1, y: 2}\n    layers: [conv: {out: $x, kernel: 1}]\n"
     "layers: [b]\n", (4, 21), "'$y' is not an argument of this block"),  # a default sees only those before it
    ("input: [8, 4, 4]\nblocks:\n  b:\n    args: [w]\n    layers: [conv: {out: $w.__class__, kernel: 1}]\n"
     "layers:\n  - b: {w: 8}\n", (5, 26), "'$w.__class__' is not a valid argument reference"),  # no attributes
    ("input: [8, 4, 4]\nblocks:\n  b:\n    args: [w]\n    layers: [conv: {out: $w, kernel: 1}]\n"
     "layers:\n  - b: {w: 'print($w)'}\n", (7, 12), "'print' is not a helper"),
])
def test_errors_are_located_in_a_spec(text, where, message):
    with pytest.raises((SpecError, SpecErrors)) as e:
        spec_text(text)
    errors = e.value.errors if isinstance(e.value, SpecErrors) else [e.value]
    assert any(message in x.message and (x.loc.line, x.loc.col) == where for x in errors), \
        [(x.loc, x.message) for x in errors]


def test_plain_text_keeps_its_meaning():
    rows = spec_text("input: [2, 9]\nlayers: [conv: {out: 3, kernel: 3, pad: same}, upsample: {scale: 2, "
                     "mode: nearest}]\n").rows
    assert [r.shape.dims for r in rows] == [(3, 9), (3, 18)]


def test_a_figure_passed_to_expect_stays_text():
    """Arithmetic without $arguments waits for the field it fills: a document's figure passed to expect: is text."""
    from nnarith.loader import parse_spec

    net = parse_spec("input: [8, 4, 4]\nblocks:\n  b:\n    args: [p]\n    layers:\n"
                     "      - conv: {out: 8, kernel: 3, pad: 1, expect: {params: $p}}\n"
                     "layers:\n  - b: {p: '(3*3*8 + 1)*8 = 584'}\n", "t.yaml")
    assert net.body.children[0].children[0].expect["params"] == "(3*3*8 + 1)*8 = 584"


def test_arithmetic_on_numbers_alone_is_computed_in_the_field_it_fills():
    rows = spec_text("input: [8, 4, 4]\nblocks:\n  b:\n    args: [w]\n    layers: [conv: {out: $w, kernel: 1}]\n"
                     "layers:\n  - b: {w: 2 * (3 + 1)}\n").rows
    assert rows[-1].shape.dims == (2 * (3 + 1), 4, 4)


def test_pytorch_builds_the_spec_with_arithmetic():
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.loader import parse_spec
    from nnarith.torch.builder import build_with_report

    model, report = build_with_report(parse_spec(TRANSFORMER_MLP, "t.yaml"))
    with torch.no_grad():
        y = model.eval()(torch.randn(2, 96, 8, 8))
    assert tuple(y.shape) == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == report.totals.params
