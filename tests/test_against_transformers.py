"""`verify --against` with Hugging Face transformers models built from their config (issue 13, item 5), and how
the spec's attention layers line up with a model's projections."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
pytest.importorskip("fvcore", reason="needs the nnarith[torch] extra")

from nnarith.errors import UsageError  # noqa: E402
from nnarith.loader import parse_spec, shipped  # noqa: E402
from nnarith.torch.against import _align, _head, against  # noqa: E402

T, F = 128, 768


def bert(layers: int = 12):
    text = open(shipped()["bert_base"]).read()
    assert "bert_layer: {repeat: 12}" in text
    return parse_spec(text.replace("bert_layer: {repeat: 12}", f"bert_layer: {{repeat: {layers}}}"), "bert.yaml")


def checks(result) -> dict:
    return {c.what.partition(":")[0]: c for c in result.checks}


@pytest.mark.torch
def test_bert_base_against_hugging_faces_bert_model():
    pytest.importorskip("transformers", reason="transformers builds BertModel(BertConfig())")
    result = against(bert(), "transformers:BertModel")
    assert result.passed, [c for c in result.checks if c.status == "mismatch"]
    found = checks(result)
    assert found["params"].measured == 109_482_240
    # 12 x (4TF^2 + 2T^2F + 2TF*3072) + F^2: sdpa's CPU kernel counted by torch's own formula, as verify does
    assert found["MACs per image"].measured == 12 * (4 * T * F * F + 2 * T * T * F + 2 * T * F * 3072) + F * F
    hidden = found["attention matmuls FlopCounterMode cannot see"]
    assert f"{2 * 2 * 12 * 2 * T * T * F:,} FLOPs on the batch" in hidden.detail  # batch 2, 2 FLOPs per MAC
    assert found["model built from its config"].detail.endswith("attn_implementation 'sdpa'")
    assert found["final output shape"].what == "final output shape: spec vs the model's pooler_output"
    assert found["final output shape"].measured == (F,)
    # BertModel's position_ids and token_type_ids (1 x 512 each) are indices, not state
    assert found["non-persistent buffers, not compared"].measured == 2 * 512
    assert found["buffers"].measured == found["buffers"].expected == 0
    # 3 embedding tables and their LayerNorm, 12 x (attention, LayerNorm, 2 dense, LayerNorm), the pooler's dense;
    # each attention matched to BertSelfAttention's query, key, value and BertSelfOutput's dense
    layers = found["output shapes of the layers with parameters, in order"]
    assert layers.measured == layers.expected == 4 + 12 * 5 + 1
    assert "12 attention layers matched to the projections" in layers.detail


@pytest.mark.torch
def test_eleven_layers_are_not_bert_base():
    pytest.importorskip("transformers", reason="transformers builds BertModel(BertConfig())")
    found = checks(against(bert(11), "transformers:BertModel"))
    block = 4 * (F * F + F) + (F * 3072 + 3072) + (3072 * F + F) + 2 * 2 * F
    assert (found["params"].status, found["params"].expected) == ("mismatch", 109_482_240 - block)
    assert found["output shapes of the layers with parameters, in order"].status == "mismatch"


@pytest.mark.torch
def test_torchvision_factories_need_torchvision():
    try:
        import torchvision  # noqa: F401
    except Exception:  # its wheel fails to import with a torch it was not built for
        with pytest.raises(UsageError) as err:
            against(bert(1), "torchvision.models:resnet50")
        assert "cannot import 'torchvision.models'" in str(err.value)
        assert f"install the torchvision release built for this torch ({torch.__version__})" in str(err.value)
    else:
        pytest.skip("torchvision imports here: its factories are built as any other")


A, Q = "attention", None  # a spec's attention layer carries its q/k/v features; the model's layers None


@pytest.mark.parametrize("mine, theirs, differs, apart", [
    # BERT: BertSelfAttention's query, key, value apart, then BertSelfOutput's dense
    ([("ln", (T, F), Q), (A, (T, F), F)], [("ln", (T, F), Q)] + [("qkvo", (T, F), Q)] * 4, None, 1),
    # GPT-2: c_attn fused (3F features), c_proj
    ([(A, (T, F), F), ("fc", (T, 4 * F), Q)], [("c_attn", (T, 3 * F), Q), ("c_proj", (T, F), Q),
                                              ("c_fc", (T, 4 * F), Q)], None, 1),
    # torch's nn.MultiheadAttention: one module, as the spec's
    ([(A, (T, F), F)], [("attn", (T, F), F)], None, 0),
    # q, k, v of another width, or only two of them: no match
    ([(A, (T, F), F)], [("q", (T, F // 2), Q)] * 6 + [("o", (T, F), Q)], 0, 0),
    ([(A, (T, F), F)], [("qk", (T, 2 * F), Q), ("o", (T, F), Q)], 0, 0),
    # the model's list goes on past the spec's: a difference after its last layer
    ([("fc", (10,), Q)], [("fc", (10,), Q), ("fc", (10,), Q)], 1, 0),
])
def test_attention_matches_its_projections(mine, theirs, differs, apart):
    found, _, matched_apart = _align(mine, theirs)
    assert (found, matched_apart) == (differs, apart)


@pytest.mark.parametrize("out, shape, what", [
    ({"last_hidden_state": torch.zeros(1, T, F), "pooler_output": torch.zeros(1, F)}, (1, F), "pooler_output"),
    ({"logits": torch.zeros(1, T, 50257), "past_key_values": None}, (1, T, 50257), "logits"),
    ({"last_hidden_state": torch.zeros(1, T, F)}, (1, T, F), "last_hidden_state"),
    ((torch.zeros(2, 3), torch.zeros(1)), (2, 3), ""),
])
def test_the_head_of_a_model_output(out, shape, what):
    tensor, name = _head(out)
    assert (tuple(tensor.shape), name) == (shape, what)
