"""The locally connected layer (layers/local.py, torch/local_modules.py) against PyTorch.

- every row of the layer table (tests/test_layers.py's LOCAL) built and run: its shape, params, buffers,
  and FlopCounterMode's and fvcore's counts of its matrix product against nnarith's MACs;
- a convolution with unshared weights: with the same filter at every position it is the conv (nn.ConvNd,
  same arguments), in 1-D, 2-D and 3-D, and a change of one position's filter changes that position alone;
- a small network with a local layer verifies (`nnarith verify`: shapes, params, fvcore, FLOPs, memory).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")

from nnarith.loader import parse_spec  # noqa: E402
from nnarith.torch.builder import build_with_report  # noqa: E402
from nnarith.torch.local_modules import LocallyConnected  # noqa: E402
from tests.helpers import last  # noqa: E402
from tests.test_layers import LOCAL  # noqa: E402

BATCH = 2


def built(layer: str, input: tuple[int, ...]):
    model, _ = build_with_report(parse_spec(f"input: {list(input)}\nlayers: [{layer}]\n", "t.yaml"))
    return model.eval()


@pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")  # fvcore's tracing
@pytest.mark.parametrize("layer, input, output, params, macs, ops", LOCAL)
def test_every_row_matches_pytorch(layer, input, output, params, macs, ops):
    from fvcore.nn import FlopCountAnalysis
    from torch.utils.flop_counter import FlopCounterMode

    model, x = built(layer, input), torch.randn(BATCH, *input)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(x)
    assert tuple(y.shape) == (BATCH, *output)
    assert sum(p.numel() for p in model.parameters()) == params
    assert sum(b.numel() for b in model.buffers()) == 0
    assert counter.get_total_flops() == BATCH * 2 * macs  # FLOPs = 2 x MACs, as nnarith's
    fvcore = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).tracer_warnings("none")
    assert fvcore.by_operator() == {"bmm": BATCH * macs}  # one flop per multiply-accumulate
    assert last(layer, input).fvcore == macs


# (rank's conv class, in channels, out, input size, kernel, stride, padding, dilation)
AS_CONV = [
    (torch.nn.Conv1d, 3, 4, (11,), (3,), (1,), (0,), (1,)),
    (torch.nn.Conv1d, 2, 5, (12,), (3,), (2,), (2,), (2,)),
    (torch.nn.Conv2d, 3, 4, (8, 9), (3, 3), (1, 1), (0, 0), (1, 1)),
    (torch.nn.Conv2d, 2, 3, (9, 10), (3, 2), (2, 1), (1, 0), (1, 2)),
    (torch.nn.Conv3d, 2, 3, (5, 6, 7), (3, 2, 2), (1, 2, 1), (1, 0, 1), (1, 1, 2)),
    (torch.nn.Conv3d, 1, 2, (4, 4, 4), (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1)),
]


def shared(conv: torch.nn.Module, local: LocallyConnected) -> None:
    """Give every position of `local` the conv's filters and biases."""
    out, positions = conv.out_channels, local.weight.shape[0]
    with torch.no_grad():
        local.weight.copy_(conv.weight.reshape(out, -1).t().expand(positions, -1, -1))
        local.bias.copy_(conv.bias.view(out, *(1,) * len(local.output_size)).expand_as(local.bias))


@pytest.mark.parametrize("cls, c_in, out, size, kernel, stride, padding, dilation", AS_CONV)
def test_with_one_filter_at_every_position_it_is_the_convolution(cls, c_in, out, size, kernel, stride, padding,
                                                                  dilation):
    torch.manual_seed(0)
    conv = cls(c_in, out, kernel, stride=stride, padding=padding, dilation=dilation).double()
    local = LocallyConnected(c_in, out, size, kernel, stride, padding, dilation).double()
    shared(conv, local)
    x = torch.randn(BATCH, c_in, *size, dtype=torch.float64)
    want = conv(x)
    assert local(x).shape == want.shape and local.output_size == tuple(want.shape[2:])
    torch.testing.assert_close(local(x), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls, c_in, out, size, kernel, stride, padding, dilation", AS_CONV)
def test_each_position_has_filters_of_its_own(cls, c_in, out, size, kernel, stride, padding, dilation):
    """Changing the last position's filters changes the outputs at that position alone: no weight is shared."""
    torch.manual_seed(0)
    local = LocallyConnected(c_in, out, size, kernel, stride, padding, dilation).double()
    x = torch.randn(BATCH, c_in, *size, dtype=torch.float64)
    before = local(x).detach()
    with torch.no_grad():
        local.weight[-1] += 1.0
    changed = (local(x) != before).flatten(2).any(dim=(0, 1))  # per position
    assert changed.tolist() == [False] * (changed.numel() - 1) + [True]


def test_the_backward_pass_runs_and_reaches_every_weight():
    local = LocallyConnected(2, 3, (5, 6), 3, stride=1, padding=1, dilation=1)
    local(torch.randn(BATCH, 2, 5, 6, requires_grad=True)).sum().backward()
    assert local.weight.grad.shape == local.weight.shape and local.bias.grad.shape == (3, 5, 6)
    assert (local.weight.grad != 0).any(dim=(1, 2)).all()  # every position's filters got a gradient


SPEC = """name: conv then locally connected
input: [1, 28, 28]
layers:
  - conv: {out: 8, kernel: 3}
  - relu
  - local: {out: 4, kernel: 3}
  - flatten
  - fc: 10
"""


def test_a_network_with_a_local_layer_verifies():
    from nnarith.torch.verify import verify

    result = verify(parse_spec(SPEC, "t.yaml"))
    assert result.passed, [c for c in result.checks if c.status == "mismatch"]
    by_what = {c.what: c for c in result.checks}
    # 26 - 3 + 1 = 24 positions a side; 24*24 x 4 x (3*3*8 + 1) params; MACs 24*24*4 x 3*3*8
    assert by_what["params local1"].measured == 24 * 24 * 4 * (3 * 3 * 8 + 1)
    assert by_what["FLOPs local1"].measured == 2 * 24 * 24 * 4 * 3 * 3 * 8
    assert by_what["fvcore local1"].measured == 24 * 24 * 4 * 3 * 3 * 8


@pytest.mark.parametrize("args, input, positions", [
    ("out: 4, kernel: 3", (8, 26, 26), 24 * 24),
    # H (9 + 2 - 5)/2 + 1 = 4, W (7 + 2 - 1)/2 + 1 = 5
    ("out: 3, kernel: [3, 1], stride: 2, pad: 1, dilation: [2, 1]", (2, 9, 7), 4 * 5),
    ("out: 2, kernel: 3, stride: 2, bias: false", (3, 9), 4),
    ("out: 2, kernel: 2, pad: [0, 1, 1]", (1, 3, 3, 3), 2 * 4 * 4),
])
def test_params_are_the_convs_times_the_positions_and_macs_and_receptive_field_the_convs(args, input, positions):
    """The help's claim: the same windows as a conv (its shape and receptive field), P times its params, its MACs."""
    conv, local = last(f"conv: {{{args}}}", input), last(f"local: {{{args}}}", input)
    assert local.shape == conv.shape and local.rf == conv.rf
    assert local.macs == conv.macs and local.fvcore == conv.fvcore
    assert (local.weights, local.biases, local.params) == (positions * conv.weights, positions * conv.biases,
                                                           positions * conv.params)
