"""Named layouts: an input names its axes (channels and spatial dims, tokens and features, features),
and each layer acts on the axes it means: fc projects every token, conv refuses tokens."""

from __future__ import annotations

import pytest

from nnarith.errors import SpecError
from nnarith.layers.base import FLAT, MAP, TOKENS
from nnarith.loader import parse_spec
from tests.helpers import spec_text

T, F = 197, 768  # ViT-B/16's tokens (196 patches and the class token) and width


@pytest.mark.parametrize("written, dims, layout", [
    ("[3, 224, 224]", (3, 224, 224), MAP),
    ("[28, 32]", (28, 32), MAP),  # a list is channels first: a 1-D map of 28 channels
    ("[784]", (784,), FLAT),
    (f"{{tokens: {T}, features: {F}}}", (T, F), TOKENS),
    ("{features: 784}", (784,), FLAT),
    ("{channels: 3, size: [224, 224]}", (3, 224, 224), MAP),
    ("{channels: 4, size: 100}", (4, 100), MAP),
    ("{size: [8, 16, 16], channels: 2}", (2, 8, 16, 16), MAP),
])
def test_the_input_declares_its_layout(written, dims, layout):
    net = parse_spec(f"input: {written}\nlayers: [identity]\n", "t.yaml")
    assert (net.input, net.layout) == (dims, layout)


@pytest.mark.parametrize("written, message", [
    ("{tokens: 4}", "input names its axes as {tokens}, which is none of the layouts"),
    ("{tokens: 4, features: 2, channels: 3}", "which is none of the layouts"),
    ("{tokens: 0, features: 2}", "input sizes must be positive integers, got 0"),
    ("{channels: 3, size: [1, 2, 3, 4]}", "size lists 4 values; a map has 1 to 3 spatial dimensions"),
    ("{channels: 3, size: [8, true]}", "input sizes must be positive integers, got True"),
])
def test_a_wrong_named_input_says_what_is_wrong(written, message):
    with pytest.raises(SpecError) as err:
        parse_spec(f"input: {written}\nlayers: [identity]\n", "t.yaml")
    assert message in str(err.value)


def test_fc_on_tokens_is_one_projection_per_token():
    r = spec_text(f"input: {{tokens: {T}, features: {F}}}\nlayers: [fc: {3 * F}, gelu, fc: {F}]\n")
    qkv, gelu, proj = r.rows
    assert qkv.shape.dims == (T, 3 * F) and qkv.shape.layout == TOKENS
    assert qkv.params == F * 3 * F + 3 * F  # one weight matrix, shared by every token
    assert qkv.macs == T * F * 3 * F
    assert gelu.shape.dims == (T, 3 * F)
    assert proj.macs == T * 3 * F * F and r.output.dims == (T, F)


def test_the_same_sizes_as_a_list_are_a_map_that_fc_flattens():
    r = spec_text(f"input: [{T}, {F}]\nlayers: [fc: 10]\n")
    assert r.rows[0].shape.dims == (10,) and r.rows[0].params == T * F * 10 + 10


@pytest.mark.parametrize("layer", ["conv: {out: 4, kernel: 3}", "maxpool: 2", "gap", "upsample: 2", "lrn: 5"])
def test_layers_that_read_channels_refuse_tokens(layer):
    with pytest.raises(SpecError) as err:
        spec_text(f"input: {{tokens: 16, features: 8}}\nlayers: [{layer}]\n")
    assert "needs a spatial map [C, ...], but the input is 16 tokens of 8 features" in str(err.value)
    assert "input: [F, T]" in err.value.hint


def test_a_recurrent_layer_outputs_tokens():
    r = spec_text("input: {tokens: 5, features: 3}\nlayers: [lstm: 8, fc: 2, softmax]\n")
    assert [row.shape.layout for row in r.rows] == [TOKENS, TOKENS, TOKENS]
    assert r.rows[1].macs == 5 * 8 * 2


def test_merges_broadcast_tokens_too():
    r = spec_text("input: {tokens: 6, features: 4}\nlayers:\n  - mul: [identity, [fc: 1, sigmoid]]\n")
    assert r.rows[-1].shape.dims == (6, 4) and r.rows[-1].other_ops == 6 * 4


def test_input_override_keeps_a_declared_layout_of_its_rank():
    text = "input: {tokens: 4, features: 8}\nlayers: [fc: 2]\n"
    assert parse_spec(text, "t.yaml", (10, 8)).layout == TOKENS
    assert parse_spec(text, "t.yaml", (3, 8, 8)).layout == MAP


@pytest.mark.torch
def test_a_tokens_spec_verifies_against_pytorch():
    pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.torch.verify import verify

    net = parse_spec("input: {tokens: 6, features: 4}\nlayers: [fc: 8, gelu, mul: [identity, [fc: 1, sigmoid]], "
                     "lstm: 3, fc: 2, softmax]\n", "t.yaml")
    result = verify(net)
    failed = [(c.what, c.expected, c.measured) for c in result.checks if c.status == "mismatch"]
    # fc2 reads the LSTM's batch-first output, a transposed view of the sequence the LSTM keeps, and keeps a
    # contiguous copy of it (2 x 6 x 3 fp32 = 144 bytes), as the memory model says
    assert result.passed and not failed, failed
    assert len([c for c in result.checks if c.what.startswith("output shape")]) == 9 + 1  # rows, network


@pytest.mark.torch
def test_an_attention_after_an_lstm_keeps_a_contiguous_copy_as_verify_measures():
    pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.torch.verify import verify

    net = parse_spec("input: {tokens: 6, features: 4}\nlayers: [fc: 8, lstm: 3, attention: {heads: 1}]\n", "t.yaml")
    result = verify(net)
    failed = [(c.what, c.expected, c.measured) for c in result.checks if c.status == "mismatch"]
    assert result.passed and not failed, failed
