"""The tensor-level memory model (nnarith/analysis/memory.py) against PyTorch.

Every layer kind's tensor declaration (Layer.tensors) and every merge's is run in PyTorch in
training mode: the tensors autograd keeps for backward, caught by saved_tensors_hooks and told
apart by their storage (so that a saved input which is the previous layer's output is one buffer),
must be the buffers the model says are saved, in number, size and dtype. Parameters and the
modules' own buffers (batch norm's running statistics) are not activations and are left out.
"""

from __future__ import annotations

from collections import Counter

import pytest

from nnarith.analysis import memory
from nnarith.analysis.walk import analyze
from nnarith.layers import REGISTRY
from nnarith.layers.base import ACT, INPUT, OUTPUT, Layer, Out, Tensors
from nnarith.layers.merge import MERGES
from nnarith.loader import load_spec, parse_spec, shipped
from tests.helpers import input_text
from tests.test_layers import (
    CONV,
    DECONV,
    DENSE,
    LOCAL,
    NORM_AND_ELEMENTWISE,
    PATCHES,
    POOL,
    RECURRENT,
    TOKEN_KINDS,
)

BATCH = 2
# The layer tables' cases, and the storage choices and layouts they leave out.
TABLES = CONV + DECONV + LOCAL + POOL + DENSE + NORM_AND_ELEMENTWISE + RECURRENT + PATCHES + TOKEN_KINDS
LAYERS = [(layer, input) for layer, input, *_ in TABLES] + [
    ("relu: {inplace: false}", (3, 4, 4)),
    ("relu6: {inplace: false}", (3, 4)),
    ("leaky_relu: {slope: 0.1, inplace: false}", (6,)),
    ("elu: {inplace: false}", (2, 5)),
    ("gelu: {approximate: tanh}", (2, 5)),
    # in place, autograd keeps a copy of the input; not in place, the input itself
    ("silu: {inplace: false}", (2, 5)),
    ("hardswish: {inplace: false}", (3, 4, 4)),
    ("hardsigmoid: {inplace: true}", (6,)),
    ("mish: {inplace: true}", (2, 5)),
    ("softmax", (3, 4)),  # over a map's channels
    ("lrn: 3", (4, 6)),
    ("lrn: 2", (4, 3, 3, 3)),
    ("adaptive_avgpool: [1, 2]", (3, 4, 4)),
    ("adaptive_avgpool: 1", (3, 4, 4, 4)),
    ("adaptive_maxpool: 2", (3, 8)),
    ("maxpool: {kernel: 2, ceil: true}", (2, 5)),
    ("fc: 5", (4, 7)),  # per step of a sequence
    ("conv: {out: 3, kernel: [4, 3], pad: same, dilation: [1, 2]}", (2, 6, 7)),  # padded on one side only
    ("rnn: {hidden: 4, nonlinearity: relu, layers: 2, bidirectional: true}", (3, 5)),
    ("rnn: {hidden: 4, sequence: false}", (6, 5)),
    ("gru: {hidden: 4, layers: 2, bidirectional: true}", (3, 5)),
    ("gru: {hidden: 4, layers: 3, sequence: false}", (4, 5)),
    ("lstm: {hidden: 4, bidirectional: true}", (3, 5)),
    ("lstm: {hidden: 4, layers: 3}", (3, 5)),
    ("lstm: {hidden: 4, layers: 2, bidirectional: true, sequence: false}", (3, 5)),
    ("stochastic_depth: 0", (3, 4)),  # p = 0: PyTorch returns the input in training too
    ("dropout: 0", (3, 4)),  # likewise
    ("stochastic_depth: 1.0", (3, 4)),  # every sample dropped: the noise is kept all the same
    ("drop_path: {p: 0.5, mode: batch}", (3, 4, 4)),  # one draw for the batch
    ("groupnorm: {groups: 2, affine: false}", (4, 5)),
    ("rmsnorm: {affine: false}", (6,)),
    ("patch_embed: {size: 2, dim: 3, bias: false}", (2, 4, 4, 4)),
    ("position_embedding: {positions: 9}", {"tokens": 5, "features": 3}),
    ("sinusoidal_position: {positions: 9, scale: true}", {"tokens": 5, "features": 3}),
    # on tokens, given as the input's named axes (the layer tables make them with a reshape first)
    ("attention: 2", {"tokens": 5, "features": 8}),
    ("mhsa: {heads: 3, head_dim: 2, bias: false}", {"tokens": 4, "features": 5}),
    ("attention: {heads: 2, causal: true}", {"tokens": 5, "features": 8}),
    ("attention: {heads: 2, causal: true, count: triangle}", {"tokens": 5, "features": 8}),
    # window attention: shifted, padded, one window covering the map, one head (q, k, v views of their projection)
    ("window_attention: {heads: 2, window: 2, shift: 1}", (4, 4, 4)),
    ("window_attention: {heads: 2, window: 2}", (4, 4, 6)),
    ("window_attention: {heads: 1, window: 3, shift: 1}", (4, 5, 4)),
    ("window_attention: {heads: 2, window: 4, shift: 2, bias: false}", (4, 4, 4)),
    ("window_attention: {heads: 2, window: 3, head_dim: 3}", (4, 3, 6)),
    ("patch_merge", (3, 4, 4)),
    ("patch_merge", (3, 5, 4)),  # padded first
]

MERGE_SPECS = [
    # add writes into the conv branch's output; concat allocates; add of two plain inputs allocates
    "input: [4, 6, 6]\nlayers:\n  - add:\n      branches:\n        main: [conv: {out: 4, kernel: 3, pad: 1}, relu]\n"
    "        shortcut: [identity]\n  - relu\n",
    "input: [4, 6, 6]\nlayers:\n  - concat:\n      branches:\n        a: [conv: {out: 2, kernel: 1}, relu]\n"
    "        b: [maxpool: {kernel: 3, stride: 1, pad: 1}]\n  - conv: {out: 3, kernel: 1}\n",
    "input: [3, 5]\nlayers:\n  - add:\n      branches:\n        a: [identity]\n        b: [dropout]\n  - sigmoid\n",
    # mul keeps both factors: the map (here the input itself) and the gate
    "input: [4, 5, 5]\nlayers:\n  - mul: [identity, [gap, conv: {out: 4, kernel: 1}, sigmoid]]\n",
    "input: [4, 5, 5]\nlayers:\n  - mul: [[conv: {out: 4, kernel: 1}], [gap, sigmoid]]\n  - relu\n",
    # MobileNetV3's block: hard-swish in place after a conv; the gate's hard-sigmoid allocates
    "input: [4, 5, 5]\nlayers:\n  - conv: {out: 8, kernel: 1}\n  - hardswish\n"
    "  - mul: [identity, [gap, conv: {out: 2, kernel: 1}, relu, conv: {out: 8, kernel: 1}, hardsigmoid]]\n",
    # ShuffleNet v2's basic unit: two channel slices (views of the input), one transformed, concatenated
    "input: [4, 5, 5]\nlayers:\n  - concat: [slice: 2, [slice: {start: 2}, conv: {out: 2, kernel: 1}, bn, relu]]\n"
    "  - channel_shuffle: 2\n",
]

# Shipped specs on inputs small enough for a quick training forward pass.
SPECS = [("lenet5", None), ("mlp_mnist", None), ("fcn_timeseries", None), ("conv_autoencoder", None),
         ("resnet18", (3, 64, 64)), ("googlenet", (3, 96, 96)),
         ("mobilenet_v2", (3, 64, 64)), ("squeezenet1_0", (3, 96, 96)), ("densenet121", (3, 64, 64)),
         ("alexnet", (3, 128, 128)), ("vgg16_bn", (3, 64, 64)),
         ("shufflenet_v2_x1_0", (3, 64, 64)),  # channel slices: views of the unit's input
         ("swin_t", (3, 112, 112))]  # stage 3 one 7x7 window on channels-last norms, stage 4 padded to one


def spec(layer: str, input: tuple[int, ...] | dict[str, int]) -> str:
    return f"input: {input_text(input)}\nlayers: [{layer}]\n"


def declared(net, report) -> Counter:
    """The saved buffers the model gives, as (is the input, elements for the batch, dtype)."""
    kept = Counter()
    for b in memory.model(net, report, training=True).saved:
        dtype = "fp32" if b.dtype == ACT else b.dtype
        kept[b.id == 0, b.numel * (BATCH if b.per_image else 1), dtype] += b.count
    return kept


def kept_by_pytorch(net, report, torch, grad: bool = False) -> Counter:
    """The storages autograd keeps in a training forward pass, as (is the input, elements, dtype); `grad`:
    the input takes a gradient."""
    from nnarith.torch.builder import build_with_report
    from nnarith.torch.saved import measure, training_input

    model, _ = build_with_report(net, report=report)
    torch.manual_seed(0)
    saved = measure(model, report, training_input(report, BATCH, grad=grad))
    return Counter((s.input, s.nbytes // s.element_size, s.dtype) for s in saved.storages)


def test_every_registered_kind_declares_its_tensors():
    """Each kind states its own declaration, and every kind is among the cases compared with PyTorch."""
    for kind, cls in REGISTRY.items():
        assert cls.tensors is not Layer.tensors, f"'{kind}' declares no tensors"
    declaring = set()
    for layer, input in LAYERS:
        net = parse_spec(spec(layer, input), "t.yaml")
        [row] = analyze(net).rows
        assert isinstance(memory.declaration(row, {row.name: net.body.children[0].layer}), Tensors)
        declaring.add(REGISTRY[row.kind].kind)
    assert declaring == {cls.kind for cls in REGISTRY.values()}
    for op, cls in MERGES.items():
        assert isinstance(cls.tensors(Out(analyze(parse_spec(spec("relu", (2,)), "t.yaml")).output)), Tensors), op


@pytest.mark.parametrize("name", sorted(shipped()))
def test_activation_memory_is_the_reports(name):
    """The input and every allocated output, from the model, are today's figure of the report."""
    net = load_spec(name)
    report = analyze(net)
    model = memory.model(net, report)
    assert model.activations == report.totals.activations
    assert model.aux_activations == report.aux_totals.activations
    assert not model.saved  # at inference nothing is kept for backward


def test_roles_name_the_tensors_between_layers():
    """A saved INPUT or OUTPUT is the walk's buffer, not a new one: in-place ReLU keeps the buffer it wrote."""
    net = parse_spec(spec("relu", (3, 4)), "t.yaml")
    report = analyze(net, input_grad=True)
    [kept] = memory.model(net, report, training=True).saved
    assert (kept.id, kept.role, kept.saved_by) == (0, INPUT, [report.rows[0].name])
    layer = net.body.children[0].layer
    assert layer.tensors(report.input, Out(report.output)).saved[0].role == OUTPUT


@pytest.mark.torch
@pytest.mark.parametrize("layer, input", LAYERS)
def test_every_kind_keeps_what_pytorch_keeps(layer, input):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    net = parse_spec(spec(layer, input), "t.yaml")
    report = analyze(net, input_grad=True)  # as inside a network: else a layer without weights is not recorded
    assert declared(net, report) == kept_by_pytorch(net, report, torch, grad=True)


@pytest.mark.torch
@pytest.mark.parametrize("text", MERGE_SPECS)
def test_merges_keep_what_pytorch_keeps(text):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    net = parse_spec(text, "t.yaml")
    report = analyze(net, input_grad=True)
    assert declared(net, report) == kept_by_pytorch(net, report, torch, grad=True)


@pytest.mark.torch
@pytest.mark.parametrize("name, input", SPECS)
def test_shipped_specs_keep_what_pytorch_keeps(name, input):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    net = load_spec(name, input)
    report = analyze(net)
    assert declared(net, report) == kept_by_pytorch(net, report, torch)


FROZEN_BACKBONE = """input: [3, 8, 8]
layers:
  - seq: {name: backbone, frozen: true, layers: [{conv: {out: 4, kernel: 3, pad: 1}}, bn, relu]}
  - flatten
  - fc: 10
"""


@pytest.mark.torch
def test_a_frozen_backbone_keeps_nothing_and_takes_no_gradients_or_state():
    """Fine-tuning a head: the frozen conv, bn and ReLU see an input that needs no gradient and have no trainable
    weights, so autograd records none of them; the fc keeps its input (4 x 8 x 8 per image, through the view).
    Gradients and Adam's moments are the fc's alone (10 x 256 + 10), as PyTorch's after a real step."""
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.analysis import liveness
    from nnarith.torch.builder import build_with_report

    net = parse_spec(FROZEN_BACKBONE, "t.yaml")
    report = analyze(net, batch=BATCH)
    fc = 10 * 256 + 10
    assert declared(net, report) == kept_by_pytorch(net, report, torch) == Counter({(False, BATCH * 256, "fp32"): 1})
    t = liveness.training(net, report, "adam")
    assert (t.gradients_bytes, t.optimizer_bytes) == (fc * 4, 2 * fc * 4)
    model, _ = build_with_report(net, report=report)
    assert [name for name, p in model.named_parameters() if p.requires_grad] == ["fc1.weight", "fc1.bias"]
    model.train()
    model(torch.randn(BATCH, 3, 8, 8)).sum().backward()
    assert sum(p.grad.numel() * 4 for p in model.parameters() if p.grad is not None) == t.gradients_bytes


@pytest.mark.torch
@pytest.mark.parametrize("layer, kept", [
    # its scale's gradient needs only the normalised input (5 x 6 per image); the input's would need the
    # input and the inverse root mean square too
    ("rmsnorm", Counter({(False, BATCH * 30, "fp32"): 1})),
    ("layernorm", None),  # native_layer_norm keeps its input, mean and rstd either way: as declared
    ("fc: 3", Counter({(True, BATCH * 30, "fp32"): 1})),  # its weights' gradient needs the input
])
def test_on_an_input_that_needs_no_gradient_a_layer_keeps_what_its_weights_need(layer, kept):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    net = parse_spec(spec(layer, {"tokens": 5, "features": 6}), "t.yaml")
    report = analyze(net)
    assert declared(net, report) == kept_by_pytorch(net, report, torch)
    if kept is not None:
        assert declared(net, report) == kept


@pytest.mark.torch
@pytest.mark.parametrize("lstm", ["lstm: 3", "lstm: {hidden: 3, layers: 2}", "lstm: {hidden: 3, bidirectional: true}"])
@pytest.mark.parametrize("after", ["fc: 2", "layernorm", "relu", "dropout: 0.0, fc: 2"])
def test_what_reads_an_lstms_transposed_output_keeps_what_pytorch_keeps(lstm, after):
    """A one-direction LSTM's batch-first output is a transposed view of the sequence it keeps: an fc reading
    it keeps a contiguous copy instead (its product needs one); a layer norm and an elementwise layer read it as
    it is. Two directions are joined into a tensor of their own. (An attention keeps the copy too, which verify's
    per-layer bytes confirm on tests/test_layouts.py's kind of spec; storage by storage, its q, k and v on a
    3-feature input are one tensor in PyTorch, which the model, three tensors of the same bytes, does not say.)"""
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    net = parse_spec(f"input: {{tokens: 6, features: 4}}\nlayers: [fc: 8, {lstm}, {after}]\n", "t.yaml")
    report = analyze(net)
    assert declared(net, report) == kept_by_pytorch(net, report, torch)
