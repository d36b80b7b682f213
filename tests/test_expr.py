"""The expression type: one object gives a figure and its working, and the two agree.

The table's values are Python arithmetic written beside each expression, its texts the
working nnarith shows. The registry-wide tests read every layer's working back with a
parser of their own (Python's, with exact division) and compare it with the row's numbers.
"""

from __future__ import annotations

import ast
import operator
import re
from fractions import Fraction
from math import ceil, floor

import pytest

from nnarith.analysis.expr import DoubleProduct, Num, Paren, Quot, Rounded, minus, mul, plus, times
from nnarith.analysis.walk import analyze
from nnarith.layers.base import REGISTRY, SPATIAL_NAMES
from nnarith.loader import load_spec, shipped
from tests.helpers import report
from tests.test_layers import tokens

E = 10**99


@pytest.mark.parametrize("expr, value, equation", [
    (lambda: mul(3, 3, 64), 3 * 3 * 64, "3*3*64 = 576"),
    (lambda: times(128, mul(3, 3, 64)), 128 * 3 * 3 * 64, "128 x 3*3*64 = 73,728"),
    (lambda: times(128, Paren(plus(mul(3, 3, 64), 1))), 128 * (3 * 3 * 64 + 1), "128 x (3*3*64 + 1) = 73,856"),
    (lambda: times(64, Paren(mul(3, 3, 3))), 64 * 27, "64 x (3*3*3) = 1,728"),  # no bias: the group still shown
    (lambda: times(10, Paren(784)), 7840, "10 x (784) = 7,840"),
    (lambda: times(mul(112, 112, 128), mul(3, 3, 64)), 112 * 112 * 128 * 3 * 3 * 64,
     "112*112*128 x 3*3*64 = 924,844,032"),
    (lambda: plus(224, mul(2, 1)), 226, "224 + 2*1 = 226"),
    (lambda: minus(plus(224, mul(2, 1)), 3), 223, "224 + 2*1 - 3 = 223"),
    (lambda: minus(20, mul(2, minus(3, 1, tight=True)), 1), 20 - 2 * (3 - 1) - 1, "20 - 2*(3-1) - 1 = 15"),
    (lambda: minus(10, plus(3, 4)), 10 - (3 + 4), "10 - (3 + 4) = 3"),  # a - (b + c) keeps its parentheses
    (lambda: plus(10, minus(3, 4)), 10 + 3 - 4, "10 + 3 - 4 = 9"),  # a + (b - c) needs none
    (lambda: minus(5, -3), 5 - -3, "5 - (-3) = 8"),  # a negative operand reads as one number
    (lambda: mul(-2, 3), -6, "(-2)*3 = -6"),
    (lambda: plus(64, 128, 32), 224, "64 + 128 + 32 = 224"),
    (lambda: plus(Quot(minus(112, 3), 2), 1), Fraction(112 - 3, 2) + 1, "(112 - 3)/2 + 1 = 55.5"),
    (lambda: Quot(mul(3, 4), 2), 6, "3*4/2 = 6"),  # divides: an int
    (lambda: Quot(7, mul(2, 3)), Fraction(7, 6), "7/(2*3) = 1.17"),  # a/(b*c)
    (lambda: Quot(plus(1, 2), 3), 1, "(1 + 2)/3 = 1"),
    (lambda: Quot(1, 3), Fraction(1, 3), "1/3 = 0.33"),
    (lambda: times(Num(28, "28 steps"), 2, Paren(mul(4, 64, plus(28, 64)))), 28 * 2 * 4 * 64 * (28 + 64),
     "28 steps x 2 x (4*64*(28 + 64)) = 1,318,912"),
    (lambda: DoubleProduct(10, 0.3), 3, "10*0.3 = 3"),  # PyTorch's double: 10 * 0.3 is 3.0
    (lambda: DoubleProduct(5, 1.5), Fraction(15, 2), "5*1.5 = 7.5"),
    (lambda: DoubleProduct(7 * E, 1.5), 21 * E // 2, f"{7 * E}*1.5 = {21 * E // 2:,}"),  # exact past 2^53
    (lambda: DoubleProduct(2**60 + 1, 0.5), Fraction(2**60 + 1, 2), f"{2**60 + 1}*0.5 = {2**59}.5"),
    (lambda: times(E, mul(E, 3)), 3 * E * E, f"{E} x {E}*3 = {3 * E * E:,}"),  # 10^199, exactly
])
def test_expression(expr, value, equation):
    e = expr()
    assert e.value == value and type(e.value) is type(value)
    assert e.equation() == equation
    assert str(e) == e.text == equation.rsplit(" = ", 1)[0]


def test_grouping_and_tail():
    e = plus(times(2, 64), 1)
    assert e.equation() == "2 x 64 + 1 = 129"
    assert plus(E, 1).equation(grouped=False) == f"{E} + 1 = {E + 1}"  # sizes print without separators
    assert e.equation(tail="(running mean, variance, counter)") == "2 x 64 + 1 = 129 (running mean, variance, counter)"


@pytest.mark.parametrize("expr, up, value, inexact, equation", [
    (plus(Quot(minus(7, 3), 3), 1), False, (7 - 3) // 3 + 1, True, "(7 - 3)/3 + 1 = 2.33 -> 2"),
    (plus(Quot(minus(112, 3), 2), 1), True, -(-(112 - 3) // 2) + 1, True, "(112 - 3)/2 + 1 = 55.5 -> 56 (ceil)"),
    (plus(Quot(minus(14, 2), 2), 1), True, 7, False, "(14 - 2)/2 + 1 = 7"),  # divides: nothing to round
    (plus(Quot(minus(2, 3), 3), 1), False, floor(Fraction(-1, 3)) + 1, True, "(2 - 3)/3 + 1 = 0.67 -> 0"),
    (plus(Quot(minus(2, 5), 2), 1), True, ceil(Fraction(-3, 2)) + 1, True, "(2 - 5)/2 + 1 = -0.5 -> 0 (ceil)"),
    (DoubleProduct(4, 0.1), False, 0, True, "4*0.1 = 0.4 -> 0"),
])
def test_rounded(expr, up, value, inexact, equation):
    r = Rounded(expr, up, "ceil" if up else "")
    assert (r.value, r.inexact, r.equation()) == (value, inexact, equation)


def test_later_steps_say_why():
    r = Rounded(plus(Quot(minus(plus(5, mul(2, 1)), 2), 2), 1), up=True, note="ceil")
    r2 = r.then(r.value - 1, "the last window would start in the padding")
    assert (r.value, r2.value, r2.inexact) == (4, 3, True)
    assert r2.equation() == "(5 + 2*1 - 2)/2 + 1 = 3.5 -> 4 (ceil) -> 3 (the last window would start in the padding)"


def test_a_rounded_size_is_no_operand():
    """Inside a larger expression the rounding would not show: building on one fails."""
    with pytest.raises(AttributeError):
        plus(Rounded(Quot(7, 2)), 1)


def test_a_node_is_its_value_and_text():
    e = times(64, Paren(plus(mul(3, 3, 3), 1)))
    assert (e.value, e.text) == (64 * 28, "64 x (3*3*3 + 1)")
    with pytest.raises(AttributeError):
        e.operands = ()  # slots: its operands are not kept


# -- every layer's working, read back ------------------------------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: Fraction}


def _eval(node: ast.expr) -> Fraction:
    if isinstance(node, ast.BinOp):
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    assert isinstance(node, ast.Constant), ast.dump(node)
    return Fraction(str(node.value))  # a scale of 0.3 as written, as PyTorch's double product gives


def read(text: str) -> Fraction:
    """Arithmetic as the working writes it: ' x ' and '*' multiply, '/' divides exactly."""
    return _eval(ast.parse(re.sub(r"^(\d+) steps x ", r"\1 x ", text).replace(" x ", "*"), mode="eval").body)


def _number(text: str) -> int:
    return int(text.split(" ", 1)[0].replace(",", ""))


def check_counts(row) -> int:
    """Each count's working ends with '= <the row's number>', and its arithmetic gives that number."""
    checked = 0
    for key in ("params", "weights", "buffers", "macs"):
        if key not in row.work:
            continue
        value = getattr(row, key)
        text = re.sub(r" \([a-z ,]+\)$", "", row.work[key])  # bn's note: (scale and shift)
        assert text.endswith(f" = {value:,}"), (row.name, key, row.work[key])
        assert read(text.rsplit(" = ", 1)[0]) == value, (row.name, key, text)
        checked += 1
    return checked


def check_sizes(row) -> int:
    """A size's working: its arithmetic, its exact value, the rounding PyTorch applies, the size."""
    text = row.work.get("output", "")
    if row.kind == "concat":
        lhs, rhs = text.removesuffix(" channels").split(" = ")
        assert read(lhs) == _number(rhs) == row.shape.dims[0], text
        return 1
    if row.kind not in ("conv", "deconv", "local", "maxpool", "avgpool", "upsample"):
        return 0
    parts = text.split("; ")
    names = SPATIAL_NAMES[len(row.shape.dims) - 1]
    if len(parts) == 1:
        parts = [f"{n}: {text}" for n in names]  # dimensions that agree are shown once
    for part, n, size in zip(parts, names, row.shape.dims[1:]):
        assert part.startswith(f"{n}: "), text
        part = part[len(n) + 2:]
        if " = " not in part:  # 'same' padding keeps 224; upsampling to a size: 7 -> 14
            assert _number(part.rsplit(" ", 1)[-1]) == size, text
            continue
        lhs, rhs = part.split(" = ")
        steps = rhs.split(" -> ")
        exact = read(lhs)
        assert abs(exact - Fraction(steps[0])) <= Fraction(1, 200), text  # shown to two decimals
        if len(steps) > 1:
            rounded = ceil(exact) if steps[1].endswith("(ceil)") else floor(exact)
            assert rounded == _number(steps[1]), text
        assert _number(steps[-1]) == size, text
    return len(parts)


@pytest.mark.parametrize("spec", sorted(shipped()))
def test_every_working_of_the_shipped_specs_gives_its_figure(spec):
    rep = analyze(load_spec(spec))
    checked = sum(check_counts(r) + check_sizes(r) for r in rep.rows + rep.aux_rows)
    assert checked > 0


# One layer of each kind, with the cases whose working differs (bias, groups, steps, pieces,
# several layers, ceil mode, sizes that do not divide, 10^99).
KINDS = {
    "conv": [("conv: {out: 8, kernel: [3, 5], stride: [2, 3], dilation: [1, 2], groups: 2, pad: [1, 0]}",
              (4, 31, 29)), ("conv: {out: 3, kernel: 3, bias: false, pad: same}", (3, 9, 9)),
             (f"conv: {{out: {E}, kernel: 3, pad: 1}}", (E, 8, 8))],
    "deconv": [("deconv: {out: 8, kernel: 3, stride: 2, pad: 1, output_padding: 1, groups: 2}", (4, 7, 7)),
               ("deconv: {out: 2, kernel: [3, 2], dilation: [2, 1], bias: false}", (4, 5, 6))],
    "local": [("local: {out: 4, kernel: [3, 2], stride: [2, 1], pad: 1, dilation: [1, 2]}", (8, 13, 12)),
              ("local: {out: 2, kernel: 3, bias: false}", (3, 9)), (f"local: {{out: {E}, kernel: 1}}", (E, 2, 2, 2))],
    "fc": [("fc: 10", (3, 28, 28)), ("fc: {out: 10, bias: false}", (28, 28)), ("fc: 7", (9,))],
    "maxout": [("maxout: {out: 5, pieces: 3}", (3, 8, 8)), ("maxout: {out: 4, bias: false}", (12,))],
    "flatten": [("flatten", (3, 4, 4))],
    "rnn": [("rnn: {hidden: 16, bias: false, layers: 2}", (28, 28))],
    "gru": [("gru: {hidden: 32, layers: 3, bidirectional: true}", (28, 28))],
    "lstm": [("lstm: 64", (28, 28)), (f"lstm: {{hidden: 4, layers: {E}, sequence: false}}", (28, 28))],
    "bn": [("bn", (8, 4, 4, 4)), ("bn: {affine: false}", (8, 4, 4))],
    "lrn": [("lrn: 5", (8, 4, 4))],
    "maxpool": [("maxpool: {kernel: 3, stride: 2, ceil: true}", (3, 112, 112)),
                ("maxpool: {kernel: 2, stride: 2, pad: 1, ceil: true}", (3, 5, 5)),
                ("maxpool: {kernel: 3, stride: 2, dilation: 2}", (3, 8, 9))],
    "avgpool": [("avgpool: {kernel: 3, stride: 2, pad: 1}", (3, 7, 8)), ("avgpool: 2", (2, 9, 9, 9))],
    "adaptive_avgpool": [("adaptive_avgpool: [5, 7]", (3, 10, 9))],
    "adaptive_maxpool": [("adaptive_maxpool: 3", (3, 10))],
    "gap": [("gap", (3, 5, 5))],
    "upsample": [("upsample: 0.3", (4, 10, 10)), ("upsample: {scale: [2, 1.5]}", (4, 5, 5)),
                 ("upsample: {size: [5, 7]}", (4, 3, 3)), ("upsample: 1.5", (3, E, 8))],
    "reshape": [("reshape: [4, -1]", (3, 4, 4))],
    "permute": [("permute: [2, 0, 1]", (3, 4, 5))],
    "channel_shuffle": [("channel_shuffle: 3", (6, 4, 4))],
    "crop": [("crop: [3, 2]", (3, 6, 7))],
    "slice": [("slice: {start: 2}", (6, 4, 4))],
    **{kind: [(kind, (3, 4, 4))] for kind in ("relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu",
                                              "softmax", "dropout", "identity")},
    "silu": [("silu", (3, 4, 4)), ("swish: {inplace: false}", (E, 2))],
    "hardswish": [("hardswish", (3, 4, 4)), ("hard_swish: {inplace: false}", (E, 2))],
    "hardsigmoid": [("hardsigmoid", (3, 4, 4)), ("hard_sigmoid: {inplace: true}", (E, 2))],
    "mish": [("mish", (3, 4, 4)), ("mish: {inplace: true}", (E, 2))],
    "layernorm": [("layernorm", (8, 4, 4)), ("layernorm: {bias: false}", (16,))],
    "groupnorm": [("groupnorm: 2", (8, 4, 4)), ("groupnorm: {groups: 4, affine: false}", (8, 5))],
    "rmsnorm": [("rmsnorm", (16,))],
    "layer_scale": [("layer_scale", (3, 4, 4))],
    "stochastic_depth": [("stochastic_depth: 0.1", (3, 4, 4))],
    "embedding": [("embedding: {vocab: 30522, dim: 768}", {"ids": 128})],
    "position_embedding": [("position_embedding: 512", {"tokens": 128, "features": 768})],
    "segment_embedding": [("segment_embedding", {"tokens": 128, "features": 768})],
    "sinusoidal_position": [("sinusoidal_position: {positions: 512, scale: true}", {"tokens": 128, "features": 512})],
    "class_token": [("class_token: 2", {"tokens": 196, "features": 768})],
    "select_token": [("select_token", {"tokens": 197, "features": 768})],
    "mean_tokens": [("mean_tokens", {"tokens": 197, "features": 768})],
    "patch_embed": [("patch_embed: {size: 16, dim: 768}", (3, 224, 224)), ("patch_embed: {size: [2, 4], dim: 3}",
                                                                          (E, 4, 8))],
    "to_tokens": [("to_tokens", (E, 4, 8))],
    "attention": [(tokens("attention: 2", 5, 8), (5, 8)),
                  (tokens("attention: {heads: 1, head_dim: 3, bias: false}", 5, 8), (5, 8)),
                  (tokens("attention: {heads: 2, causal: true, count: triangle}", 5, 8), (5, 8))],
    "window_attention": [("window_attention: {heads: 3, window: 7, shift: 3}", (96, 56, 56)),
                         ("window_attention: {heads: 2, window: 4, head_dim: 3, bias: false}", (8, 6, 5)),
                         (f"window_attention: {{heads: 2, window: {E}}}", (4, 5, 5))],
    "patch_merge": [("patch_merge", (3, 5, 4)), ("patch_merge", (E, 4, 6))],
}


def test_every_kind_is_in_the_table():
    assert set(KINDS) == {cls.kind for cls in REGISTRY.values()}


@pytest.mark.parametrize("layer, input", [case for cases in KINDS.values() for case in cases])
def test_every_kinds_working_gives_its_figure(layer, input):
    row = report(layer, input).rows[-1]
    check_counts(row)
    check_sizes(row)


def test_a_concat_adds_its_branches_channels():
    rep = report("concat: [[conv: {out: 4, kernel: 1}], [conv: {out: 8, kernel: 1}], [identity]]", (3, 6, 6))
    row = rep.rows[-1]
    assert row.work["output"] == "4 + 8 + 3 = 15 channels"
    assert check_sizes(row) == 1
