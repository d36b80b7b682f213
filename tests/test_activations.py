"""The smooth and hard activations (SiLU, hard-swish, hard-sigmoid, GELU in both forms, mish).

The model nnarith builds from a spec computes the function each kind's help states, against the
formula written here with Python's math, element by element; documents' labels name the kinds;
and a MobileNetV3-style block of them verifies against PyTorch and fvcore. Their shapes, counts,
storage and saved tensors are rows of the tables in test_layers.py and test_memory_model.py.
"""

from __future__ import annotations

import math

import pytest

from nnarith.check.vocabulary import kinds_of
from nnarith.loader import parse_spec


def relu6(x: float) -> float:
    return min(max(x, 0.0), 6.0)


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# (layer, its formula), from the papers: Ramachandran et al. 2017 (swish), Howard et al. 2019
# (MobileNetV3), Hendrycks and Gimpel 2016 (GELU and its tanh form), Misra 2019 (mish).
FORMULAS = [
    ("silu", lambda x: x * sigmoid(x)),
    ("swish: {inplace: false}", lambda x: x * sigmoid(x)),
    ("hardswish", lambda x: x * relu6(x + 3) / 6),
    ("hard_swish: {inplace: false}", lambda x: x * relu6(x + 3) / 6),
    ("hardsigmoid", lambda x: relu6(x + 3) / 6),
    ("hard_sigmoid: {inplace: true}", lambda x: relu6(x + 3) / 6),
    ("mish", lambda x: x * math.tanh(math.log1p(math.exp(x)))),
    ("mish: {inplace: true}", lambda x: x * math.tanh(math.log1p(math.exp(x)))),
    ("gelu", lambda x: x / 2 * (1 + math.erf(x / math.sqrt(2)))),
    ("gelu: {approximate: tanh}",
     lambda x: x / 2 * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))),
]
# Both sides of the hard kinks at -3 and 3, zero, and the tails.
POINTS = [-8.0, -4.0, -3.5, -3.0, -2.5, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 2.5, 3.0, 3.5, 4.0, 8.0]


@pytest.mark.torch
@pytest.mark.parametrize("layer, formula", FORMULAS, ids=[f[0] for f in FORMULAS])
def test_the_built_model_computes_the_formula(layer, formula):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.torch.builder import build

    model = build(parse_spec(f"input: [{len(POINTS)}]\nlayers: [{layer}]\n", "t.yaml")).double().eval()
    with torch.no_grad():
        y = model(torch.tensor([POINTS], dtype=torch.float64))
    assert y[0].tolist() == pytest.approx([formula(x) for x in POINTS], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("label, kind", [
    ("SiLU", "silu"), ("Swish", "silu"), ("swish-1", "silu"), ("h-swish", "hardswish"), ("Hard Swish", "hardswish"),
    ("HardSwish", "hardswish"), ("h-sigmoid", "hardsigmoid"), ("hard sigmoid", "hardsigmoid"),
    ("Hardsigmoid", "hardsigmoid"), ("sigmoid", "sigmoid"), ("Mish", "mish"), ("mish, x tanh(softplus(x))", "mish"),
    ("GELU", "gelu"), ("GELU (tanh)", "gelu"), ("tanh", "tanh"),
])
def test_labels_name_the_kinds(label, kind):
    assert kinds_of(label) == {kind}


# MobileNetV3's bottleneck (hard-swish in place after batch norm, a squeeze-excite gate ending in
# hard-sigmoid) and EfficientNet's (SiLU), with mish and both GELUs after them.
BLOCK = """input: [8, 9, 9]
layers:
  - conv: {out: 16, kernel: 1, bias: false}
  - bn
  - hardswish
  - conv: {out: 16, kernel: 3, pad: 1, groups: 16, bias: false}
  - bn
  - silu
  - mul: [identity, [gap, conv: {out: 4, kernel: 1}, relu, conv: {out: 16, kernel: 1}, hardsigmoid]]
  - mish
  - gelu
  - gelu: {approximate: tanh}
  - conv: {out: 8, kernel: 1}
"""


@pytest.mark.torch
def test_a_block_of_them_verifies_against_pytorch_and_fvcore():
    pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.torch.verify import verify

    result = verify(parse_spec(BLOCK, "block.yaml"))
    assert result.passed, [c for c in result.checks if c.status == "mismatch"]
    [fvcore] = [c for c in result.checks if c.what == "fvcore FlopCountAnalysis"]
    # fvcore's convention (layers/base.py): the convs' MACs, 2 per element for each batch norm, 1 per
    # element into the global pool; none for the activations or the gate's product
    convs = 9 * 9 * (16 * 8 + 16 * 3 * 3 + 8 * 16) + 16 * 4 + 4 * 16
    assert fvcore.expected == fvcore.measured == convs + 2 * (2 * 16 * 9 * 9) + 16 * 9 * 9
