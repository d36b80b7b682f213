"""Multi-head self-attention (layers/attention.py) against torch.nn.MultiheadAttention, and the counters' blind spots.

Expected figures are the definitions: 4 x F x h*d weights, 3*h*d + F biases; MACs T x F x 4*h*d for the
projections and 2 x h x T x T x d for q kᵀ and the weighted sum of v. Found in torch 2.13 on the CPU, and held
here so that a new torch that changes them shows: FlopCounterMode counts nn.MultiheadAttention's eval fast path
as 0 and its scaled_dot_product_attention kernel as 0; fvcore counts its projections and skips that kernel.
"""

from __future__ import annotations

import logging

import pytest

from nnarith.analysis import receptive
from nnarith.errors import SpecError
from tests.helpers import spec_text

T, F, H = 17, 64, 4
D = F // H
BLOCK = (f"input: {{tokens: {T}, features: {F}}}\nlayers:\n"
         f"  - add: [identity, [layernorm, attention: {{heads: {H}}}]]\n"
         f"  - add: [identity, [layernorm, fc: {4 * F}, gelu, fc: {F}]]\n")
PROJECTIONS = T * F * 3 * F + T * F * F  # q, k, v and output projections, in MACs
ATTENTION = 2 * H * T * T * D  # q kᵀ and the weighted sum of v


def attention(layer: str, t: int = T, f: int = F):
    return spec_text(f"input: {{tokens: {t}, features: {f}}}\nlayers: [{layer}]\n").rows[-1]


def mha(heads: int = H, bias: bool = True, causal: bool = False):
    """nn.MultiheadAttention as self-attention on [N, T, F], the way models call it, in eval mode; and an input."""
    import torch
    from torch import nn

    class SelfMHA(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(F, heads, bias=bias, batch_first=True)

        def forward(self, x):
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if causal else None
            return self.attn(x, x, x, need_weights=False, attn_mask=mask, is_causal=causal)[0]

    return SelfMHA().eval(), torch.randn(2, T, F)


def factory():
    """A transformer encoder block on torch's own modules, for `verify --against`."""
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.attn = nn.LayerNorm(F), nn.MultiheadAttention(F, H, batch_first=True)
            self.ln2, self.mlp = nn.LayerNorm(F), nn.Sequential(nn.Linear(F, 4 * F), nn.GELU(), nn.Linear(4 * F, F))

        def forward(self, x):
            y = self.ln1(x)
            x = x + self.attn(y, y, y, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    return Block()


@pytest.mark.torch
@pytest.mark.parametrize("layer, heads, bias, causal", [
    (f"attention: {H}", H, True, False),
    ("mhsa: {heads: 8, bias: false}", 8, False, False),
    ("self_attention: {heads: 2, causal: true}", 2, True, True),
])
def test_against_nn_multihead_attention(layer, heads, bias, causal):
    torch = pytest.importorskip("torch")
    from nnarith.torch.verify import flop_counter, unfused

    row = attention(layer)
    model, x = mha(heads, bias, causal)
    assert row.params == sum(p.numel() for p in model.parameters())
    assert tuple(model(x).shape[1:]) == row.shape.dims
    with unfused(), flop_counter() as counter:
        model(x)
    assert torch.backends.mha.get_fastpath_enabled()  # restored after the pass
    assert counter.get_total_flops() == 2 * 2 * row.macs == 2 * 2 * (PROJECTIONS + 2 * heads * T * T * (F // heads))
    # nnarith's module holds nn.MultiheadAttention's parameters by its names, and computes the same function
    from nnarith.torch.construct import construct

    ours = construct("SelfAttention", F, heads, F // heads, bias=bias, causal=causal).build().eval()
    ours.load_state_dict(model.attn.state_dict())
    with torch.no_grad():
        assert torch.allclose(ours(x), model(x), atol=1e-5)


@pytest.mark.torch
def test_the_counters_blind_spots_on_nn_multihead_attention():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    model, x = mha()
    with torch.no_grad(), FlopCounterMode(display=False) as fast:  # eval, no autograd: the fused fast path
        model(x)
    assert fast.get_total_flops() == 0
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as plain:
            model(x)
    finally:
        torch.backends.mha.set_fastpath_enabled(True)
    assert plain.get_total_flops() == 2 * 2 * PROJECTIONS  # the attention kernel's matmuls are not counted

    from fvcore.nn import FlopCountAnalysis

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    analysis = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).tracer_warnings("none")
    assert analysis.total() == 2 * PROJECTIONS  # one per multiply-add of the projections, and no more
    assert "aten::scaled_dot_product_attention" in analysis.unsupported_ops()


@pytest.mark.torch
def test_a_transformer_encoder_block_verifies():
    pytest.importorskip("torch")
    from nnarith.loader import parse_spec
    from nnarith.torch.verify import verify

    result = verify(parse_spec(BLOCK, "block.yaml"))
    assert result.passed, [c for c in result.checks if c.status == "mismatch"]
    flops = next(c for c in result.checks if c.what == "FLOPs (torch FlopCounterMode)")
    assert flops.expected == 2 * (PROJECTIONS + ATTENTION + 2 * T * F * 4 * F)
    assert not any(c.what.startswith("attention matmuls") for c in result.checks)  # nnarith's module hides none
    assert result.fvcore.missed == []  # fvcore counts its matmuls


@pytest.mark.torch
def test_verify_against_torchs_own_block_counts_what_the_kernel_hides():
    pytest.importorskip("torch")
    from nnarith.loader import parse_spec
    from nnarith.torch.against import against

    result = against(parse_spec(BLOCK, "block.yaml"), "tests.test_attention:factory")
    assert result.passed, [c for c in result.checks if c.status == "mismatch"]
    figures = {c.what.partition(":")[0]: c for c in result.checks}
    assert figures["MACs per image"].measured == PROJECTIONS + ATTENTION + 2 * T * F * 4 * F
    note = figures["attention matmuls FlopCounterMode cannot see"]
    assert note.status == "note" and f"{2 * 2 * ATTENTION:,} FLOPs on the batch" in note.detail
    # both call out_proj as a function; each attention module is one layer with parameters: ln1, attn, ln2, 2 fc
    assert figures["output shapes of the layers with parameters, in order"].measured == 5


def test_every_token_sees_the_whole_input():
    rows = spec_text(BLOCK).rows
    assert all(r.rf == receptive.WHOLE for r in rows)
    # its own effect, whatever field it meets: every output token reads every input token
    from nnarith.layers import REGISTRY
    from nnarith.layers.base import TOKENS, Shape

    layer = REGISTRY["attention"]({**{f: v.default for f, v in REGISTRY["attention"].fields.items()}, "heads": 2},
                                  {}, None)
    assert layer.infer(Shape((4, 8), TOKENS)).effect == receptive.WHOLE
    assert "receptive field is the whole input" in layer.help


@pytest.mark.parametrize("layer, input, message", [
    ("attention: 5", "{tokens: 4, features: 64}", "heads=5 does not divide the 64 features"),
    ("attention: 2", "[4, 8]", "attention works on tokens [T, F], but the input is a map [4x8]"),
    ("attention: 2", "{features: 8}", "attention works on tokens [T, F], but the input is flat [8]"),
    ("attention: {heads: 2, count: triangle}", "{tokens: 4, features: 8}", "count: triangle counts the lower"),
    ("attention: {heads: 5, head_dim: 4}", "{tokens: 4, features: 64}", None),
])
def test_refusals(layer, input, message):
    text = f"input: {input}\nlayers: [{layer}]\n"
    if message is None:
        spec_text(text)
        return
    with pytest.raises(SpecError) as err:
        spec_text(text)
    assert message in str(err.value)


@pytest.mark.torch
def test_a_triangle_count_fails_verify_on_the_flops_alone_and_says_why():
    pytest.importorskip("torch")
    from nnarith.loader import parse_spec
    from nnarith.torch.verify import verify

    text = "input: {tokens: 6, features: 8}\nlayers: [attention: {heads: 2, causal: true, count: triangle}]\n"
    triangle = 2 * 2 * (6 * 7 // 2) * 4
    dense = 2 * 2 * 6 * 6 * 4
    result = verify(parse_spec(text, "t.yaml"))
    wrong = {c.what: (c.expected, c.measured) for c in result.checks if c.status == "mismatch"}
    projections = 6 * 8 * 4 * 8
    assert wrong == {"FLOPs attention1": (2 * (projections + triangle), 2 * (projections + dense)),
                     "FLOPs (torch FlopCounterMode)": (2 * (projections + triangle), 2 * (projections + dense))}
    assert f"counts {dense - triangle:,} MACs fewer" in spec_text(text).rows[-1].notes[0]
