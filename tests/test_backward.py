"""Backward MACs per layer (analysis/backward.py): dX and dW as formulas of the forward figures, the first-layer
rule, frozen layers and containers, a shipped spec's totals, and PyTorch's FlopCounterMode around backward()."""

from __future__ import annotations

import json

import pytest

from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec
from tests.helpers import cli, report, spec_text

# (layer, input, a trainable layer before it so that its input needs a gradient, dX, dW) of its forward MACs
# and its sizes: the uniform rule for weighted products, attention's and the recurrent layers' own.
T, F, H = 4, 6, 5  # tokens, features, hidden size
KINDS = [
    ("conv: {out: 4, kernel: 3, pad: 1}", (3, 6, 6), "bn", lambda m: m, lambda m: m),
    ("conv: {out: 4, kernel: 3, groups: 2}", (4, 6, 6), "bn", lambda m: m, lambda m: m),
    ("deconv: {out: 2, kernel: 4, stride: 2, pad: 1}", (3, 4, 4), "bn", lambda m: m, lambda m: m),
    ("local: {out: 2, kernel: 3}", (3, 5, 5), "bn", lambda m: m, lambda m: m),
    ("fc: 5", (2, 3, 3), "bn", lambda m: m, lambda m: m),
    ("maxout: {out: 4, pieces: 3}", (2, 3, 3), "bn", lambda m: m, lambda m: m),
    ("patch_embed: {dim: 8, size: 2}", (3, 4, 4), "bn", lambda m: m, lambda m: m),
    # projections P = 4 T F^2 with weights; QKᵀ and AV (h T^2 d each, h d = F) two input gradients each
    ("attention: 2", {"tokens": T, "features": F}, "layernorm",
     lambda m: 4 * T * F * F + 4 * T * T * F, lambda m: 4 * T * F * F),
    # a recurrent layer's initial state (zeros) needs no gradient: one step-to-step product per layer and direction
    ("lstm: {hidden: 5}", {"tokens": T, "features": F}, "layernorm", lambda m: m - 4 * H * H, lambda m: m),
    ("gru: {hidden: 5, layers: 3}", {"tokens": T, "features": F}, "layernorm", lambda m: m - 3 * 3 * H * H,
     lambda m: m),
    ("relu", (3, 4, 4), "bn", lambda m: 0, lambda m: 0),
    ("bn", (3, 4, 4), "bn", lambda m: 0, lambda m: 0),
    ("maxpool: 2", (3, 4, 4), "bn", lambda m: 0, lambda m: 0),
]


@pytest.mark.parametrize("layer, input, before, dx, dw", KINDS)
def test_backward_of_each_kind(layer, input, before, dx, dw):
    row = report([before, layer], input).rows[-1]
    assert (row.backward.dx, row.backward.dw) == (dx(row.macs), dw(row.macs))
    assert row.backward.trainable == row.params


# The first layer: its input (the network's) needs no gradient, so no dX; inside attention the output
# projection's and the scores' gradients remain (T F^2 + 4 T^2 F), inside an LSTM the step-to-step ones.
FIRST = [
    ("conv: {out: 4, kernel: 3, pad: 1}", (3, 6, 6), lambda m: 0, lambda m: m),
    ("fc: 5", (2, 3, 3), lambda m: 0, lambda m: m),
    ("attention: 2", {"tokens": T, "features": F}, lambda m: T * F * F + 4 * T * T * F, lambda m: 4 * T * F * F),
    ("lstm: {hidden: 5}", {"tokens": T, "features": F}, lambda m: m - T * 4 * H * F - 4 * H * H, lambda m: m),
    ("lstm: {hidden: 5, layers: 2, bidirectional: true}", {"tokens": T, "features": F},
     lambda m: m - T * 2 * 4 * H * F - 2 * 2 * 4 * H * H, lambda m: m),
]


@pytest.mark.parametrize("layer, input, dx, dw", FIRST)
def test_the_first_layer_needs_no_input_gradient(layer, input, dx, dw):
    row = report([layer], input).rows[0]
    assert (row.backward.dx, row.backward.dw) == (dx(row.macs), dw(row.macs))


def test_nothing_before_the_first_trainable_layer_needs_an_input_gradient():
    rows = report(["maxpool: 2", "relu", "conv: {out: 2, kernel: 1}", "conv: {out: 2, kernel: 1}"], (3, 4, 4)).rows
    assert [r.backward.dx for r in rows] == [0, 0, 0, rows[3].macs]


FROZEN = """
name: t
input: [3, 8, 8]
layers:
  - conv: {out: 4, kernel: 3, pad: 1, frozen: true}
  - seq: {frozen: true, layers: [bn, {conv: {out: 4, kernel: 3, pad: 1}}]}
  - conv: {out: 4, kernel: 3, pad: 1}
  - add: [[{conv: {out: 4, kernel: 1}}], [{conv: {out: 4, kernel: 1, frozen: true}}]]
  - fc: 3
"""


def test_frozen_layers_and_containers():
    r = spec_text(FROZEN)
    b = {row.name: row.backward for row in r.rows}
    m = {row.name: row.macs for row in r.rows}
    # nothing before the third conv trains: no dX anywhere there, no dW in the frozen ones
    assert [(b[n].dx, b[n].dw) for n in ("conv1", "seq1.bn1", "seq1.conv1")] == [(0, 0)] * 3
    assert b["conv2"] == (0, m["conv2"], r.rows[3].params)
    assert (b["add1.branch1.conv1"].dx, b["add1.branch1.conv1"].dw) == (m["add1.branch1.conv1"],) * 2
    assert (b["add1.branch2.conv1"].dx, b["add1.branch2.conv1"].dw) == (m["add1.branch2.conv1"], 0)
    frozen = sum(row.params for row in r.rows if row.name in ("conv1", "seq1.bn1", "seq1.conv1", "add1.branch2.conv1"))
    assert r.backward.trainable == r.totals.params - frozen > 0


def test_frozen_must_be_true_or_false():
    result = cli("calc", "--input", "3x4x4", "conv: {out: 2, kernel: 1, frozen: 3}")
    assert result.returncode == 2 and "frozen must be true or false" in result.stderr


def test_resnet18_backward_is_twice_forward_less_the_first_convs_dx():
    r = analyze(load_spec("resnet18"))
    first = 64 * 112 * 112 * 3 * 7 * 7
    assert first == 118_013_952 and r.totals.macs == 1_814_073_344
    assert r.backward.macs == 2 * r.totals.macs - first
    assert r.backward.trainable == r.totals.params


def test_shape_training_reports():
    doc = json.loads(cli("shape", "resnet18", "--training", "--format", "json").stdout)
    forward = 1_814_073_344
    step = 3 * forward - 118_013_952
    assert doc["totals"]["step_macs"] == step
    assert doc["totals"]["step_over_forward"] == round(step / forward, 6)
    assert doc["layers"][0]["backward"] == {"dx_macs": 0, "dw_macs": 118_013_952, "macs": 118_013_952,
                                            "trainable_params": 64 * 3 * 7 * 7}
    text = " ".join(cli("shape", "resnet18", "--training").stdout.split())
    assert f"{step / forward:.2f} x forward; the rule of thumb says 3 x forward" in text
    assert "backward" not in json.loads(cli("shape", "resnet18", "--format", "json").stdout)["layers"][0]


def _spec(input: str, *layers: str) -> str:
    return f"name: t\ninput: {input}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)


# Specs on which PyTorch runs every backward product through an operator FlopCounterMode counts (its CPU LSTM
# is one fused kernel it does not see; its RNN and GRU are nnarith's step-by-step loops). `groups`: where a
# grouped conv is, FlopCounterMode's formula for the weight gradient leaves out the groups, counting it groups
# times (torch.utils.flop_counter.conv_backward_flop), so it finds dX + groups x dW.
TORCH = [
    (_spec("[3, 8, 8]", "conv: {out: 4, kernel: 3, pad: 1}", "bn", "relu", "maxpool: 2",
           "deconv: {out: 2, kernel: 2, stride: 2}", "conv: {out: 3, kernel: 3, stride: 2}", "fc: 5"), 1),
    (FROZEN, 1),
    (_spec("[3, 6, 6]", "local: {out: 2, kernel: 3}", "patch_embed: {dim: 8, size: 2}", "fc: 3"), 1),
    (_spec("{tokens: 5, features: 8}", "attention: 2", "fc: 3"), 1),
    (_spec("{tokens: 5, features: 8}", "layernorm", "attention: {heads: 2, causal: true}"), 1),
    (_spec("[8, 4, 4]", "conv: {out: 8, kernel: 1}", "window_attention: {heads: 2, window: 2}"), 1),
    (_spec("{tokens: 5, features: 6}", "gru: {hidden: 4, layers: 2, bidirectional: true}", "fc: 3"), 1),
    (_spec("{tokens: 5, features: 6}", "layernorm", "rnn: {hidden: 4, layers: 2}"), 1),
    (_spec("[4, 8, 8]", "bn", "conv: {out: 6, kernel: 3, stride: 2, groups: 2}"), 2),
]


@pytest.mark.parametrize("text, groups", TORCH)
def test_backward_macs_equal_pytorchs_flop_counter(text, groups):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from nnarith.loader import parse_spec
    from nnarith.torch.builder import build_with_report

    model, r = build_with_report(parse_spec(text, "t.yaml"))
    for row in r.rows:  # frozen: their parameters need no gradient
        if row.params and not row.backward.trainable:
            model.get_submodule(row.name).requires_grad_(False)
    batch = 2
    y = model(torch.randn(batch, *r.input.dims))  # the input needs no gradient
    with FlopCounterMode(display=False) as counter:
        y.sum().backward()
    assert counter.get_total_flops() == 2 * batch * (r.backward.dx + groups * r.backward.dw)
