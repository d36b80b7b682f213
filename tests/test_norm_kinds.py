"""Layer, group and RMS norm, layer scale and stochastic depth where the shared tables cannot reach: on tokens
(an input that names its axes), against torch.nn and the papers' formulas, and through the receptive field.

The tables of tests/test_layers.py hold their map and flat rows; counts are as layers/norm.py states them:
per element 5 ops (3 for RMS norm) plus the scale and the shift, per normalised group 4 (3 for RMS norm).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnarith.analysis import receptive
from nnarith.errors import SpecError
from tests.helpers import report, spec_text

T, F = 197, 768  # ViT-B/16's tokens


def tokens(layers: list[str], t: int = T, f: int = F):
    body = "".join(f"  - {layer}\n" for layer in layers)
    return spec_text(f"input: {{tokens: {t}, features: {f}}}\nlayers:\n{body}")


def tokens_text(layer: str, t: int, f: int) -> str:
    return f"input: {{tokens: {t}, features: {f}}}\nlayers: [{layer}]\n"


# (layer, params, ops) on T tokens of F features: each token is one normalised group of F
TOKENS = [
    ("layernorm", 2 * F, (5 + 2) * T * F + 4 * T),
    ("layernorm: {bias: false}", F, (5 + 1) * T * F + 4 * T),
    ("layernorm: {affine: false, eps: 0.000001}", 0, 5 * T * F + 4 * T),
    ("rmsnorm", F, (3 + 1) * T * F + 3 * T),
    ("rmsnorm: {affine: false}", 0, 3 * T * F + 3 * T),
    ("layer_scale", F, T * F),
    ("stochastic_depth: 0.1", 0, 0),
]


@pytest.mark.parametrize("layer, params, ops", TOKENS)
def test_on_tokens_each_token_is_normalised_over_its_features(layer, params, ops):
    row = tokens([layer]).rows[-1]
    assert row.shape.dims == (T, F) and row.shape.layout == "tokens"
    assert (row.params, row.macs, row.other_ops, row.buffers) == (params, 0, ops, 0)
    assert row.rf == receptive.WHOLE  # tokens have no spatial field to keep


@pytest.mark.parametrize("layer, fvcore", [
    ("layernorm", 5 * T * F), ("layernorm: {bias: false}", 5 * T * F), ("layernorm: {affine: false}", 4 * T * F),
    ("rmsnorm", 0), ("layer_scale", 0), ("stochastic_depth: 0.1", 0),
])
def test_fvcore_convention(layer, fvcore):
    """fvcore 0.1.5's norm handle: 5 per element with a weight, 4 without; no handle for rms_norm or mul."""
    assert tokens([layer]).rows[-1].fvcore == fvcore


def test_group_norm_refuses_tokens_and_groups_that_do_not_divide():
    with pytest.raises(SpecError, match="groupnorm needs channels first"):
        tokens(["groupnorm: 4"])
    with pytest.raises(SpecError) as err:
        report(["conv: {out: 30, kernel: 1}", "groupnorm: {groups: 8}"], (3, 4, 4))
    assert err.value.message == "groups=8 does not divide the 30 channels"
    assert str(err.value.loc) == "t.yaml:4:25"  # at the groups field
    assert err.value.hint == "groups must divide 30: 1, 2, 3, 5, 6, 10, 15, 30"


def test_stochastic_depth_is_a_view_at_inference():
    rows = tokens(["layernorm", "stochastic_depth: 0.2"]).rows
    assert rows[-1].in_place and rows[-1].held == 0


# Receptive fields: a norm per position keeps the conv's field; group norm's statistics span the map.
def test_receptive_fields():
    rows = report(["conv: {out: 4, kernel: 3}", "layernorm", "layer_scale", "drop_path: 0.1"], (3, 16, 16)).rows
    assert [receptive.describe(r.rf)["size"] for r in rows] == [[3, 3]] * 4
    row = report(["conv: {out: 4, kernel: 3}", "groupnorm: 2"], (3, 16, 16)).rows[-1]
    assert row.rf == receptive.WHOLE


torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
from torch import nn  # noqa: E402

from nnarith.analysis.walk import analyze  # noqa: E402
from nnarith.loader import parse_spec  # noqa: E402
from nnarith.torch.builder import build_with_report  # noqa: E402
from nnarith.torch.verify import verify  # noqa: E402
from tests.test_memory_model import declared, kept_by_pytorch  # noqa: E402


def built(text: str):
    model, _ = build_with_report(parse_spec(text, "t.yaml"))
    return model


@pytest.mark.torch
@pytest.mark.parametrize("layer", [layer for layer, _, _ in TOKENS] + ["drop_path: {p: 0.3, mode: batch}"])
def test_on_tokens_pytorch_agrees(layer):
    """Shapes, params, fvcore and FlopCounterMode (verify), and the tensors kept for backward."""
    text = tokens_text(layer, 5, 6)
    result = verify(parse_spec(text, "t.yaml"))
    assert result.passed, [(c.what, c.expected, c.measured) for c in result.checks if c.status == "mismatch"]
    net = parse_spec(text, "t.yaml")
    rep = analyze(net)
    assert declared(net, rep) == kept_by_pytorch(net, rep, torch)


def state(model: nn.Module) -> None:
    """Parameters away from their initial ones, so that a scale or shift left out would show."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))


def leaf(model: nn.Module) -> nn.Module:
    return next(m for m in model.modules() if not list(m.children()))


@pytest.mark.torch
@pytest.mark.parametrize("input, layer", [
    ((6, 5, 7), "layernorm"), ((6, 9), "layernorm: {bias: false, eps: 0.01}"), ((4, 3, 3, 3), "layernorm"),
])
def test_layer_norm_of_a_map_is_convnexts_channels_first_layer_norm(input, layer):
    """ConvNeXt's LayerNorm(data_format='channels_first'), written out as in its repository."""
    model = built(f"input: {list(input)}\nlayers: [{layer}]\n").eval()
    state(model)
    ln = leaf(model)
    x = torch.randn(2, *input)
    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    shape = (-1, *(1,) * (len(input) - 1))
    want = (x - u) / torch.sqrt(s + ln.eps) * ln.weight.view(shape)
    if ln.bias is not None:
        want = want + ln.bias.view(shape)
    with torch.no_grad():
        torch.testing.assert_close(model(x), want)


@pytest.mark.torch
@pytest.mark.parametrize("input, layer, reference", [
    ((5, 6), "layernorm", lambda: nn.LayerNorm(6)),
    ((5, 6), "layernorm: {affine: false}", lambda: nn.LayerNorm(6, elementwise_affine=False)),
    ((5, 6), "rmsnorm: {eps: 0.001}", lambda: nn.RMSNorm(6, eps=0.001)),
])
def test_on_tokens_the_model_is_torch_nns(input, layer, reference):
    model = built(tokens_text(layer, *input)).eval()
    state(model)
    theirs = reference().eval()
    theirs.load_state_dict(leaf(model).state_dict())
    x = torch.randn(2, *input)
    with torch.no_grad():
        torch.testing.assert_close(model(x), theirs(x))


@pytest.mark.torch
def test_rms_norm_is_its_formula():
    """Zhang and Sennrich (2019): x / sqrt(mean(x^2) + eps) * g."""
    model = built(tokens_text("rmsnorm: {eps: 0.001}", 5, 6)).eval()
    state(model)
    x = torch.randn(2, 5, 6)
    want = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 0.001) * leaf(model).weight
    with torch.no_grad():
        torch.testing.assert_close(model(x), want)


@pytest.mark.torch
def test_group_norm_is_its_formula():
    """Wu and He (2018): each group of C/G channels normalised over its channels and positions."""
    model = built("input: [6, 4, 5]\nlayers: [groupnorm: 3]\n").eval()
    state(model)
    gn = leaf(model)
    x = torch.randn(2, 6, 4, 5)
    g = x.view(2, 3, -1)
    mean, var = g.mean(-1, keepdim=True), g.var(-1, unbiased=False, keepdim=True)
    want = ((g - mean) / torch.sqrt(var + gn.eps)).view_as(x) * gn.weight.view(-1, 1, 1) + gn.bias.view(-1, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(model(x), want)


@pytest.mark.torch
@pytest.mark.parametrize("text, shape", [
    ("input: [4, 3, 3]\nlayers: [layer_scale: 0.5]\n", (4, 1, 1)),  # ConvNeXt's gamma: one per channel
    (tokens_text("layer_scale: 0.5", 5, 6), (6,)),  # ViT's LayerScale: one per feature
])
def test_layer_scale_scales_each_channel_or_feature(text, shape):
    model = built(text).eval()
    gamma = leaf(model).gamma
    assert tuple(gamma.shape) == shape and bool((gamma == 0.5).all())
    state(model)
    x = torch.randn(2, *analyze(parse_spec(text, "t.yaml")).input.dims)
    with torch.no_grad():
        torch.testing.assert_close(model(x), x * gamma)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_is_identity_at_inference_and_drops_whole_samples_in_training(mode):
    """torchvision.ops.stochastic_depth's rule: each sample (row) or the batch is zeroed, the rest divided by 1-p."""
    model = built(f"input: [3, 4, 4]\nlayers: [stochastic_depth: {{p: 0.5, mode: {mode}}}]\n")
    x = torch.randn(64, 3, 4, 4)
    assert model.eval()(x) is x
    torch.manual_seed(0)
    y = model.train()(x)
    kept = [bool(torch.equal(y[i], x[i] / 0.5)) for i in range(64)]
    dropped = [bool((y[i] == 0).all()) for i in range(64)]
    assert all(k != d for k, d in zip(kept, dropped))
    assert len(set(kept)) == (2 if mode == "row" else 1)


@pytest.mark.torch
@pytest.mark.parametrize("layers, whole", [
    (["conv: {out: 2, kernel: 3}", "layernorm", "conv: {out: 2, kernel: 3}"], False),
    (["conv: {out: 2, kernel: 3}", "layer_scale: 1.0", "conv: {out: 2, kernel: 3}"], False),
    (["conv: {out: 2, kernel: 3}", "groupnorm: 1", "conv: {out: 2, kernel: 3}"], True),
])
def test_receptive_field_matches_the_gradient(layers, whole):
    """The input pixels that reach one central output unit, found by autograd, are the field the analysis gives:
    a window (5x5 after two 3x3 convs) through a norm per position, every pixel through group norm."""
    text = "input: [1, 11, 11]\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)
    model = built(text).eval()
    row = analyze(parse_spec(text, "t.yaml")).rows[-1]
    torch.manual_seed(0)
    x = torch.randn(1, 1, 11, 11, requires_grad=True)
    model(x)[0, :, 3, 3].sum().backward()
    reached = int((x.grad[0, 0] != 0).sum())
    assert (row.rf == receptive.WHOLE) is whole
    assert reached == (11 * 11 if whole else 5 * 5)


@pytest.mark.torch
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 6), st.sampled_from([(4,), (3, 5), (2, 3, 3)]))
def test_group_norm_refuses_what_pytorch_refuses(channels, groups, spatial):
    """Differential: nnarith refuses exactly the groups that nn.GroupNorm refuses, and otherwise gives its
    output shape and parameters."""
    try:
        theirs = nn.GroupNorm(groups, channels)
    except ValueError:
        theirs = None
    text = f"input: {[channels, *spatial]}\nlayers: [groupnorm: {groups}]\n"
    try:
        row = analyze(parse_spec(text, "t.yaml")).rows[-1]
    except SpecError:
        assert theirs is None
        return
    assert theirs is not None
    y = theirs(torch.randn(2, channels, *spatial))
    assert tuple(y.shape[1:]) == row.shape.dims
    assert sum(p.numel() for p in theirs.parameters()) == row.params
