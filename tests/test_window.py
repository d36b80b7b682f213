"""Swin's window attention and patch merging (layers/window.py, torch/window_modules.py) against the paper's
definition written out token by token, autograd's receptive fields, torchvision's names, and verify."""

from __future__ import annotations

import math

import pytest

from nnarith.analysis.walk import analyze
from nnarith.loader import parse_spec

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
pytestmark = pytest.mark.torch

from nnarith.torch.window_modules import PatchMerge, WindowAttention  # noqa: E402


def region(r: int, size: int, w: int, shift: int) -> int:
    """Swin's mask regions along one axis of the shifted map: the windows before the last, then the last
    window's part that was there before the shift, then the part the shift wrapped round from the other edge."""
    if not shift:
        return 0
    return 0 if r < size - w else 1 if r < size - shift else 2


def reference(module: WindowAttention, x: torch.Tensor) -> torch.Tensor:
    """The layer's function for one map [C, H, W], token by token: each token at (i, j) of the padded map moves
    by the shift to ((i - s) mod Hp, (j - s) mod Wp), attends to the tokens of its window in the same regions,
    with the bias table's entry for their offset, and takes the softmax-weighted sum of their values."""
    c, height, width = x.shape
    w, h, d = module.window, module.heads, module.head_dim
    hp, wp = math.ceil(height / w) * w, math.ceil(width / w) * w
    sh, sw = (0 if w >= hp else module.shift), (0 if w >= wp else module.shift)
    padded = torch.zeros(c, hp, wp, dtype=x.dtype)
    padded[:, :height, :width] = x
    tokens = [(i, j) for i in range(hp) for j in range(wp)]
    moved = {p: ((p[0] - sh) % hp, (p[1] - sw) % wp) for p in tokens}
    qkv = module.qkv(padded.flatten(1).T)  # [Hp*Wp, 3*h*d], tokens in row order
    q, k, v = qkv.view(-1, 3, h, d).unbind(1)
    out = torch.zeros(c, height, width, dtype=x.dtype)
    for n, p in enumerate(tokens):
        if p[0] >= height or p[1] >= width:
            continue
        a = moved[p]
        keys = [m for m, o in enumerate(tokens) if (moved[o][0] // w, moved[o][1] // w) == (a[0] // w, a[1] // w)]
        heads = []
        for head in range(h):
            scores = []
            for m in keys:
                b = moved[tokens[m]]
                dy, dx = a[0] % w - b[0] % w, a[1] % w - b[1] % w
                bias = module.relative_position_bias_table[(dy + w - 1) * (2 * w - 1) + dx + w - 1, head]
                same = (region(a[0], hp, w, sh), region(a[1], wp, w, sw)) == (region(b[0], hp, w, sh),
                                                                              region(b[1], wp, w, sw))
                scores.append(q[n, head] @ k[m, head] / math.sqrt(d) + bias + (0.0 if same else -100.0))
            weights = torch.stack(scores).softmax(0)
            heads.append(sum(wt * v[m, head] for wt, m in zip(weights, keys)))
        out[:, p[0], p[1]] = module.proj(torch.cat(heads))
    return out


@pytest.mark.parametrize("c, heads, window, shift, size", [
    (4, 2, 2, 0, (4, 4)),
    (4, 2, 2, 1, (4, 4)),  # shifted: four regions in the last windows
    (6, 3, 3, 1, (6, 9)),
    (4, 1, 3, 1, (5, 4)),  # padded to 6x6, shifted
    (4, 2, 3, 1, (3, 6)),  # the window covers H: no shift there, as torchvision sets it
    (4, 2, 4, 2, (4, 4)),  # one window covers the map: no shift, no mask
])
def test_the_module_is_the_definition_token_by_token(c, heads, window, shift, size):
    torch.manual_seed(0)
    module = WindowAttention(c, heads, c // heads, window, shift).double()
    torch.nn.init.normal_(module.relative_position_bias_table)  # biases large enough to matter
    x = torch.randn(c, *size, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(module(x[None])[0], reference(module, x), atol=1e-10)


def test_the_parameters_and_buffer_are_torchvisions():
    """ShiftedWindowAttention's names and shapes; the index row of a pair of tokens, (dy + w-1)*(2w-1) + dx + w-1."""
    w = 7
    module = WindowAttention(96, 3, 32, w, 3)
    shapes = {name: tuple(t.shape) for name, t in module.state_dict().items()}
    assert shapes == {"qkv.weight": (288, 96), "qkv.bias": (288,), "proj.weight": (96, 96), "proj.bias": (96,),
                      "relative_position_bias_table": (13 * 13, 3), "relative_position_index": (49 * 49,)}
    index = module.relative_position_index.view(49, 49)
    for a, b in [(0, 0), (0, 48), (48, 0), (8, 17), (30, 6)]:
        dy, dx = a // w - b // w, a % w - b % w
        assert index[a, b] == (dy + w - 1) * (2 * w - 1) + dx + w - 1
    assert module.relative_position_index.dtype == torch.int64


def field(module, channels: int, size: tuple[int, int], at: tuple[int, int]) -> set[tuple[int, int]]:
    """The input positions whose gradient reaches the output position `at` (beyond a masked score's e^-100)."""
    x = torch.randn(1, channels, *size, dtype=torch.float64, requires_grad=True)
    module(x)[0, :, at[0], at[1]].sum().backward()
    return {tuple(p) for p in (x.grad[0].abs().amax(0) > 1e-20).nonzero().tolist()}


def square(rows: range, cols: range) -> set[tuple[int, int]]:
    return {(i, j) for i in rows for j in cols}


@pytest.mark.parametrize("shift, at, seen", [
    (0, (4, 1), square(range(3, 6), range(0, 3))),  # its window
    (0, (2, 2), square(range(0, 3), range(0, 3))),  # the same window, though it sits at the window's corner
    (1, (1, 1), square(range(1, 4), range(1, 4))),  # a shifted window
    (1, (0, 0), {(0, 0)}),  # wrapped round to the last window's corner region: the mask leaves it itself
    (1, (0, 3), square(range(0, 1), range(1, 4))),  # the last windows' row region, one token high
])
def test_each_token_sees_its_window_which_is_no_one_field(shift, at, seen):
    """Why the field is n/a: every token sees its window's tokens, which lie differently from each token."""
    torch.manual_seed(0)
    module = WindowAttention(4, 2, 2, 3, shift).double()
    assert field(module, 4, (6, 6), at) == seen
    net = parse_spec(f"input: [4, 6, 6]\nlayers: [window_attention: {{heads: 2, window: 3, shift: {shift}}}]\n",
                     "t.yaml")
    assert analyze(net).rows[0].rf == "undefined"


def test_patch_merge_is_torchvisions_order_and_a_2x2_field():
    """Channel k*C + c at (i, j) is x[c, 2i + k % 2, 2j + k // 2] (x0, x1, x2, x3 = (0,0), (1,0), (0,1), (1,1)), an
    odd size padded with zeros; each output sees its 2x2 neighbourhood, the field nnarith gives."""
    c, size = 3, (5, 4)
    x = torch.randn(1, c, *size)
    y = PatchMerge()(x)[0]
    assert y.shape == (4 * c, 3, 2)
    for k in range(4):
        for ch in range(c):
            for i in range(3):
                for j in range(2):
                    r, s = 2 * i + k % 2, 2 * j + k // 2
                    assert y[k * c + ch, i, j] == (x[0, ch, r, s] if r < size[0] else 0)
    assert field(PatchMerge(), 2, (4, 4), (1, 0)) == square(range(2, 4), range(0, 2))
    row = analyze(parse_spec("input: [2, 4, 4]\nlayers: [patch_merge]\n", "t.yaml")).rows[0]
    assert (row.shape.dims, row.rf) == ((8, 2, 2), ((0, 1, 2), (0, 1, 2)))


def test_a_two_stage_swin_verifies():
    """Two stages, the second on a 4x3 map padded to whole 2x2 windows: shapes, counts and memory as PyTorch's."""
    from nnarith.torch.verify import verify

    block = ("      - add: [[layernorm, window_attention: {{heads: {h}, window: 2, shift: {s}}}], identity]\n"
             "      - add: [[layernorm, conv: {{out: {o}, kernel: 1}}, gelu, conv: {{out: {c}, kernel: 1}}],"
             " identity]\n")
    text = ("input: [3, 16, 12]\nlayers:\n  - conv: {out: 8, kernel: 2, stride: 2}\n  - layernorm\n"
            "  - seq:\n      layers:\n" + block.format(h=2, s=0, o=32, c=8) + block.format(h=2, s=1, o=32, c=8)
            + "  - patch_merge\n  - layernorm\n  - conv: {out: 16, kernel: 1, bias: false}\n"
            "  - seq:\n      layers:\n" + block.format(h=4, s=1, o=64, c=16)
            + "  - layernorm\n  - gap\n  - fc: 5\n")
    result = verify(parse_spec(text, "t.yaml"))
    assert result.passed, [c for c in result.checks if c.status == "mismatch"]
