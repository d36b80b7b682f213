"""The PyTorch side, against real PyTorch: each layer rule, each shipped spec, the names.

Every row of the analytic layer tables (tests/test_layers.py) is built and run in PyTorch:
its output shape, parameters and buffers must be what the analysis says.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")

from nnarith.analysis import receptive  # noqa: E402
from nnarith.errors import SpecError  # noqa: E402
from nnarith.loader import shipped  # noqa: E402
from nnarith.torch import build  # noqa: E402
from nnarith.torch.builder import build_with_report  # noqa: E402
from nnarith.torch.token_modules import sample_input  # noqa: E402
from tests.helpers import ENV, report  # noqa: E402
from tests.test_layers import CONV, DECONV, DENSE, MERGE, NORM_AND_ELEMENTWISE, PATCHES, POOL, RECURRENT  # noqa: E402

TABLE = CONV + DECONV + POOL + DENSE + NORM_AND_ELEMENTWISE + RECURRENT + PATCHES


def run(layer: str, input: tuple[int, ...], batch: int = 2):
    r = report(layer, input)
    text = f"input: {list(input)}\nlayers: [{layer}]\n"
    from nnarith.loader import parse_spec

    model, _ = build_with_report(parse_spec(text, "t.yaml"))
    with torch.no_grad():
        y = model.eval()(torch.randn(batch, *input))
    return r.rows[-1], model, y


@pytest.mark.parametrize("layer, input, output, params, macs, ops", TABLE)
def test_every_layer_rule_matches_pytorch(layer, input, output, params, macs, ops):
    row, model, y = run(layer, input)
    assert tuple(y.shape) == (2, *row.shape.dims) == (2, *output)
    assert sum(p.numel() for p in model.parameters()) == row.params == params
    assert sum(b.numel() for b in model.buffers()) == row.buffers


@pytest.mark.parametrize("layer, input, output, ops, in_place", MERGE)
def test_every_merge_rule_matches_pytorch(layer, input, output, ops, in_place):
    row, model, y = run(layer, input)
    assert tuple(y.shape) == (2, *row.shape.dims) == (2, *output)


def test_layer_kinds_and_merges_give_their_modules_as_data_without_importing_torch():
    """Layer.torch and the merges' torch give constructor calls (Constructs): the loader, the analysis
    and these calls import no torch; only building one does."""
    script = f"""
import sys
from nnarith.analysis.walk import analyze
from nnarith.layers.merge import MERGES
from nnarith.loader import parse_spec
from nnarith.loader.nodes import leaves
from nnarith.torch.construct import Children, Construct
for layer, input in {[(row[0], row[1]) for row in TABLE]!r}:
    net = parse_spec(f"input: {{list(input)}}\\nlayers: [{{layer}}]\\n", "t.yaml")
    [leaf], [row] = leaves(net.body), analyze(net).rows
    assert isinstance(leaf.layer.torch(row.input, row.storage == "inplace"), Construct), layer
for merge in MERGES.values():
    assert isinstance(merge.torch(Children(()), None), Construct), merge.op
print(sorted(name for name in sys.modules if name.split(".")[0] == "torch"))
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=120)
    assert r.returncode == 0 and r.stdout == "[]\n", r.stderr


def test_rejections_are_pytorch_rejections():
    """What the analysis rejects, PyTorch rejects too (a sample)."""
    cases = [("conv: {out: 8, kernel: 5}", (3, 3, 3)), ("maxpool: {kernel: 3, pad: 2}", (3, 8, 8)),
             ("maxpool: 4", (3, 3, 3)), ("deconv: {out: 4, kernel: 3, stride: 2, output_padding: 2}", (2, 5, 5))]
    import torch.nn as nn

    torch_layers = [nn.Conv2d(3, 8, 5), nn.MaxPool2d(3, padding=2), nn.MaxPool2d(4),
                    nn.ConvTranspose2d(2, 4, 3, 2, output_padding=2)]
    for (layer, input), module in zip(cases, torch_layers):
        with pytest.raises(SpecError):
            report(layer, input)
        with pytest.raises(RuntimeError):
            module(torch.randn(1, *input))


@pytest.mark.parametrize("name", sorted(shipped()))
def test_every_shipped_spec_builds(name):
    model, r = build_with_report(name)
    x = sample_input(r.input.dims, r.input.layout, 2)  # token ids for a spec that reads them (gpt2)
    with torch.no_grad():
        y = model.eval()(x)
    assert tuple(y.shape) == (2, *r.output.dims)
    assert sum(p.numel() for p in model.parameters()) == r.totals.params + r.aux_totals.params
    assert sum(b.numel() for b in model.buffers()) == r.totals.buffers + r.aux_totals.buffers


def test_module_names_follow_the_spec():
    model = build("vgg16")
    assert isinstance(model.get_submodule("conv1_1"), torch.nn.Conv2d)
    assert model.get_submodule("fc8").out_features == 1000
    model = build("resnet50")
    conv = model.get_submodule("layer1.bottleneck1.add1.main.conv1")
    assert (conv.in_channels, conv.out_channels) == (64, 64)
    assert model.get_submodule("layer1.bottleneck1.add1.shortcut.downsample1.conv1").stride == (1, 1)
    # every row of the report names a module
    model, r = build_with_report("googlenet")
    for row in r.rows + r.aux_rows:
        model.get_submodule(row.name)


def test_aux_heads_run_in_training_only():
    model = build("googlenet")
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert isinstance(model.eval()(x), torch.Tensor)
        out = model.train()(x)
    assert isinstance(out, tuple) and [tuple(o.shape) for o in out] == [(2, 1000)] * 3


def test_public_api_builds_from_a_file_or_a_name(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [4]\nlayers: [fc: 3, relu, fc: 2]\n")
    model = build(str(spec))
    assert [n for n, _ in model.named_children()] == ["fc1", "relu1", "fc2"]
    assert build("lenet5").get_submodule("c1").out_channels == 6


@pytest.mark.parametrize("layers, input", [
    (["conv: {out: 2, kernel: 3}"] * 3, (1, 32, 32)),
    (["conv: {out: 2, kernel: 3, stride: 2}", "avgpool: {kernel: 3, stride: 2}", "conv: {out: 2, kernel: 5, pad: 2}"],
     (1, 64, 64)),
    (["conv: {out: 2, kernel: 3, dilation: 2}", "avgpool: 2", "conv: {out: 2, kernel: [3, 5]}"], (1, 48, 48)),
    (["conv: {out: 4, kernel: 7, stride: 2, pad: 3}", "avgpool: {kernel: 3, stride: 2, pad: 1}",
      "concat: [conv: {out: 2, kernel: 1}, conv: {out: 2, kernel: 5, pad: 2}]"], (1, 96, 96)),
    # a crop moves the field by its offset (odd margins: torchvision's rounding), after a stride too
    (["conv: {out: 2, kernel: 3}", "crop: [9, 10]", "conv: {out: 2, kernel: 3, stride: 2}"], (1, 16, 15)),
    (["conv: {out: 2, kernel: 3, stride: 2}", "crop: [4, 5]", "avgpool: 2"], (1, 19, 18)),
    # ShuffleNet v2's unit: a slice keeps its channels' field; the union with the convolved half is the wider
    (["conv: {out: 4, kernel: 3}", "concat: [slice: 2, [slice: {start: 2}, conv: {out: 2, kernel: 3, pad: 1}]]"],
     (1, 16, 16)),
])
def test_receptive_field_matches_the_gradient(layers, input):
    """An independent check: the input pixels that reach one output unit, found by autograd.

    With positive weights, no unit's contribution cancels, so the gradient of a central
    output unit is non-zero exactly on its receptive field. (Average pooling stands in for
    max pooling, whose gradient reaches only each window's maximum; both have one window.)
    """
    from nnarith.loader import parse_spec

    text = f"input: {list(input)}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)
    model, r = build_with_report(parse_spec(text, "t.yaml"))
    for p in model.parameters():
        p.data.fill_(1.0)
    x = torch.ones(1, *input, requires_grad=True)
    y = model(x)
    i, j = y.shape[2] // 2, y.shape[3] // 2
    y[0, :, i, j].sum().backward()  # every channel at that position: the union over branches
    rows, cols = x.grad[0, 0].nonzero(as_tuple=True)
    field = receptive.describe(r.rows[-1].rf)
    for dim, hits, unit in ((0, rows, i), (1, cols, j)):
        lo = unit * field["stride"][dim] - field["padding"][dim]
        hi = lo + field["size"][dim] - 1
        assert (hits.min().item(), hits.max().item()) == (max(lo, 0), min(hi, input[dim + 1] - 1))


def test_an_fc_on_tokens_keeps_each_tokens_field():
    """Autograd: token k of patch_embed, fc, gelu, fc depends on patch k's pixels alone, as its field says."""
    from nnarith.loader import parse_spec

    text = "input: [1, 12, 8]\nlayers: [patch_embed: {size: 4, dim: 3}, fc: 5, gelu, fc: 2]\n"
    model, r = build_with_report(parse_spec(text, "t.yaml"))
    assert receptive.describe(r.rows[-1].rf)["size"] == [4, 4]
    x = torch.rand(1, 1, 12, 8, requires_grad=True)
    k = 3  # patches run row by row: row 1, column 1 of a 3 x 2 grid
    model(x)[0, k].sum().backward()
    rows, cols = x.grad[0, 0].nonzero(as_tuple=True)
    assert (rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()) == (4, 7, 4, 7)
