"""Token ids, embeddings, class tokens, readouts and patch embedding (layers/tokens.py, layers/patches.py) where
the shared tables cannot reach: against torch.nn and the published shapes of BERT, GPT-2 and torchvision's ViT,
through the receptive field, and two small networks verified end to end.

The tables of tests/test_layers.py hold each kind's shape and counts as formulas.
"""

from __future__ import annotations

import pytest

from nnarith.analysis import receptive
from nnarith.errors import SpecError
from nnarith.layers import REGISTRY
from nnarith.loader import parse_spec
from tests.helpers import cli, report, spec_text

VIT_LIKE = """name: vit_like
input: [3, 32, 32]
layers:
  - patch_embed: {size: 8, dim: 64}
  - class_token
  - position_embedding
  - layernorm
  - fc: 64
  - select_token
  - fc: 10
"""

TEXT = """name: text_like
input: {ids: 16}
layers:
  - embedding: {vocab: 100, dim: 32}
  - position_embedding: {positions: 64}
  - layernorm
  - mean_tokens
  - fc: 2
"""


def test_the_vit_like_network_counts_as_its_layers_do():
    rows = {r.kind: r for r in spec_text(VIT_LIKE).rows}
    patches = (32 // 8) ** 2
    assert rows["patch_embed"].shape.dims == (patches, 64)
    assert rows["class_token"].shape.dims == (patches + 1, 64)
    assert rows["position_embedding"].params == (patches + 1) * 64
    assert rows["select_token"].shape.dims == (64,) and rows["select_token"].held == 0  # x[:, 0] is a view
    assert spec_text(VIT_LIKE).output.dims == (10,)


@pytest.mark.torch
@pytest.mark.parametrize("text", [VIT_LIKE, TEXT])
def test_small_token_networks_pass_verify(text, tmp_path):
    pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    (tmp_path / "t.yaml").write_text(text)
    r = cli("verify", str(tmp_path / "t.yaml"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASSED" in r.stdout


# BERT-base: nn.Embedding(30522, 768) words, (512, 768) positions, (2, 768) token types, read at 128 tokens;
# GPT-2: (50257, 768) and (1024, 768).
@pytest.mark.torch
@pytest.mark.parametrize("vocab, positions, segments, t", [(30522, 512, 2, 128), (50257, 1024, 0, 64)])
def test_embeddings_have_the_params_and_output_of_torch_nn_embedding(vocab, positions, segments, t):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from torch import nn

    layers = [f"embedding: {{vocab: {vocab}, dim: 768}}", f"position_embedding: {positions}"]
    layers += [f"segment_embedding: {segments}"] if segments else []
    rows = report(layers, {"ids": t}).rows
    ids = torch.zeros(2, t, dtype=torch.long)
    words, where = nn.Embedding(vocab, 768), nn.Embedding(positions, 768)
    assert rows[0].params == sum(p.numel() for p in words.parameters())
    assert (2, *rows[0].shape.dims) == tuple(words(ids).shape)
    assert rows[1].params == sum(p.numel() for p in where.parameters())  # every row counts, however few are read
    assert (2, *rows[1].shape.dims) == tuple((words(ids) + where(torch.arange(t))).shape)
    if segments:
        assert rows[2].params == nn.Embedding(segments, 768).weight.numel()
    assert [r.macs for r in rows] == [0] * len(rows)  # lookups and adds: no multiply-accumulates


@pytest.mark.torch
@pytest.mark.parametrize("dim, scale", [(512, True), (7, False)])
def test_the_sinusoid_is_the_papers(dim, scale):
    # Vaswani et al. 2017, 3.5: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d))
    import math

    import torch

    from nnarith.torch.token_modules import SinusoidalPosition

    module = SinusoidalPosition(10, dim, scale=scale)
    assert sum(p.numel() for p in module.parameters()) == 0 and module.table.numel() == 10 * dim
    for pos, feature in [(0, 0), (0, 1), (3, 0), (3, 1), (9, dim - 1), (5, dim // 2 * 2 - 2)]:
        angle = pos / 10000 ** (feature // 2 * 2 / dim)
        assert module.table[pos, feature].item() == pytest.approx((math.sin, math.cos)[feature % 2](angle), abs=1e-6)
    x = torch.ones(1, 4, dim)
    assert torch.equal(module(x), x * (math.sqrt(dim) if scale else 1) + module.table[:4])


def test_vit_b16s_tokens_have_torchvisions_shapes():
    """torchvision's vit_b_16: conv_proj Conv2d(3, 768, 16, stride 16), class_token (1, 1, 768), pos_embedding
    (1, 197, 768): 14 x 14 patches and the class token."""
    rows = report(["patch_embed: {size: 16, dim: 768}", "class_token", "position_embedding"], (3, 224, 224)).rows
    assert [r.shape.dims for r in rows] == [(196, 768), (197, 768), (197, 768)]
    assert [r.params for r in rows] == [768 * 3 * 16 * 16 + 768, 1 * 1 * 768, 1 * 197 * 768]


@pytest.mark.torch
@pytest.mark.parametrize("size, dim, input", [(16, 768, (3, 224, 224)), (4, 6, (2, 8, 12)), ([2, 4], 5, (3, 6, 8))])
def test_patch_embed_is_a_conv_of_kernel_and_stride_the_patch(size, dim, input):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    size_text = size if isinstance(size, int) else list(size)
    row = report(f"patch_embed: {{size: {size_text}, dim: {dim}}}", input).rows[-1]
    conv = nn.Conv2d(input[0], dim, kernel_size=size, stride=size)
    x = torch.randn(1, *input)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = conv(x)
    assert row.params == sum(p.numel() for p in conv.parameters())
    assert 2 * row.macs == counter.get_total_flops()
    assert row.shape.dims == tuple(y.flatten(2).transpose(1, 2).shape[1:])


def test_each_patch_token_sees_its_patch_until_the_tokens_are_averaged():
    rows = spec_text(VIT_LIKE.replace("  - select_token\n  - fc: 10\n", "  - mean_tokens\n")).rows
    field = {r.kind: r.rf for r in rows}
    for kind in ("patch_embed", "class_token", "position_embedding", "layernorm"):
        assert receptive.describe(field[kind]) == {"size": [8, 8], "stride": [8, 8], "padding": [0, 0]}, kind
    assert field["mean_tokens"] == receptive.WHOLE  # the union of every patch: the whole image


def test_select_token_keeps_the_tokens_field():
    rows = report(["patch_embed: {size: 4, dim: 8}", "select_token: 3"], (3, 8, 8)).rows
    assert rows[-1].rf == rows[0].rf and receptive.size(rows[-1].rf) == [4, 4]


def test_to_tokens_keeps_each_positions_field():
    rows = report(["conv: {out: 4, kernel: 3}", "to_tokens", "layernorm"], (3, 8, 8)).rows
    assert rows[1].rf == rows[0].rf == rows[2].rf and receptive.size(rows[1].rf) == [3, 3]
    assert rows[1].held == 0  # a view


def test_tokens_of_ids_have_no_spatial_field():
    """A token sees its own id; a sequence has no spatial field: 'whole', as for an input of {tokens, features}."""
    assert all(r.rf == receptive.WHOLE for r in spec_text(TEXT).rows)


OTHERS = sorted(k for k, cls in REGISTRY.items() if k == cls.kind and not cls.reads_ids)


@pytest.mark.parametrize("kind", OTHERS)
def test_every_kind_but_embedding_refuses_token_ids(kind):
    layer = REGISTRY[kind].example.layer
    with pytest.raises(SpecError, match=rf"^{kind} cannot read token ids \[6\]") as err:
        spec_text(f"input: {{ids: 6}}\nlayers:\n  - {layer}\n")
    assert "embedding: {vocab: V, dim: D}" in err.value.hint
    assert err.value.loc.line == 3


def test_an_ids_input_is_one_size():
    net = parse_spec("input: {ids: 128}\nlayers: [embedding: {vocab: 8, dim: 2}]\n", "t.yaml")
    assert (net.input, net.layout) == ((128,), "ids")
    with pytest.raises(SpecError, match="input sizes must be positive integers"):
        parse_spec("input: {ids: [4, 4]}\nlayers: [embedding: {vocab: 8, dim: 2}]\n", "t.yaml")


def test_a_resized_input_keeps_the_ids_layout():
    """--input gives new sizes; one size for {ids: T} stays ids, as a list of the declared rank keeps its layout."""
    net = parse_spec(TEXT, "t.yaml", (32,))
    assert (net.input, net.layout) == ((32,), "ids")
    assert spec_text(TEXT.replace("{ids: 16}", "{ids: 32}")).rows[0].shape.dims == (32, 32)


def test_a_training_forward_keeps_the_ids_as_int64():
    from nnarith.analysis import memory
    from nnarith.analysis.walk import analyze

    net = parse_spec(TEXT, "t.yaml")
    kept = memory.model(net, analyze(net), training=True).buffers[0]
    assert (kept.dtype, kept.numel, kept.saved_by) == ("int64", 16, ["embedding1"])  # the lookup's backward reads them


@pytest.mark.torch
def test_an_embedding_takes_a_name_as_every_kind_does():
    """GPT-2's table is wte: the module of that name is an nn.Embedding, for the spec to name it later."""
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.torch.builder import build

    net = parse_spec("input: {ids: 8}\nlayers:\n  - embedding: {vocab: 50, dim: 6, name: wte}\n"
                     "  - position_embedding: {positions: 16, name: wpe}\n", "t.yaml")
    model = build(net)
    assert isinstance(model.get_submodule("wte"), torch.nn.Embedding)
    assert model.get_submodule("wpe").weight.shape == (16, 6)
