"""Shape operations (nnarith/layers/shape_ops.py): what they do to the values, as PyTorch and
torchvision write them, and what the spec may say of them.

The shapes, counts, tensors and exports are rows of the shared tables (test_layers.py,
test_memory_model.py, test_export.py, test_expr.py); the receptive fields are in test_receptive.py.
"""

from __future__ import annotations

import pytest

from nnarith.errors import SpecError
from nnarith.loader import parse_spec
from tests.helpers import last, report


def torch_run(layers: list[str], x):
    """The model nnarith builds for `layers`, run on x (its batch first)."""
    import torch

    from nnarith.torch.builder import build

    text = f"input: {list(x.shape[1:])}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)
    with torch.no_grad():
        return build(parse_spec(text, "t.yaml")).eval()(x)


@pytest.mark.torch
@pytest.mark.parametrize("layer, input, shape", [
    ("reshape: [4, -1, 2]", (24,), (4, 3, 2)),
    ("reshape: [6, 4]", (3, 2, 4), (6, 4)),
    ("reshape: [-1]", (3, 2, 4), (24,)),
])
def test_reshape_is_torchs_reshape(layer, input, shape):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    x = torch.randn(2, *input)
    assert torch.equal(torch_run([layer], x), x.reshape(2, *shape))


@pytest.mark.torch
@pytest.mark.parametrize("dims, input", [([1, 2, 0], (3, 4, 5)), ([0, 2, 1], (3, 4, 5)), ([1, 0], (3, 6)),
                                         ([2, 0, 3, 1], (2, 3, 4, 5))])
def test_permute_is_torchs_permute_after_the_batch(dims, input):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    x = torch.randn(2, *input)
    y = torch_run([f"permute: {dims}"], x)
    assert torch.equal(y, x.permute(0, *(d + 1 for d in dims)))
    assert y.data_ptr() == x.data_ptr()  # a view


@pytest.mark.torch
@pytest.mark.parametrize("groups, input", [(2, (4, 3, 3)), (3, (6, 5)), (4, (8, 2, 2, 2)), (1, (3, 2, 2))])
def test_channel_shuffle_is_shufflenets(groups, input):
    """torchvision's ShuffleNet v2 shuffles as view, transpose, contiguous, view."""
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    x = torch.randn(2, *input)
    c, rest = input[0], input[1:]
    expected = x.view(2, groups, c // groups, *rest).transpose(1, 2).contiguous().view(2, c, *rest)
    y = torch_run([f"channel_shuffle: {groups}"], x)
    assert torch.equal(y, expected) and y.data_ptr() != x.data_ptr()  # a new tensor


@pytest.mark.torch
@pytest.mark.parametrize("n, size, first", [(6, 4, 1), (5, 4, 0), (7, 4, 2), (9, 4, 2), (11, 4, 4), (4, 4, 0),
                                            (572, 388, 92)])
def test_crop_keeps_the_centre_where_torchvision_does(n, size, first):
    """torchvision.transforms.functional.center_crop starts at int(round((n - size) / 2.0)): halves round
    to even (the expected first indices are worked by hand); U-Net's 572 -> 388 margins are 92."""
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    assert first == int(round((n - size) / 2.0))
    x = torch.arange(n, dtype=torch.float32).reshape(1, 1, n)
    y = torch_run([f"crop: {size}"], x)
    assert y[0, 0].tolist() == list(range(first, first + size))
    x2 = torch.randn(2, 3, n, n + 1)
    y2 = torch_run([f"crop: [{size}, {size}]"], x2)
    second = int(round((n + 1 - size) / 2.0))
    assert torch.equal(y2, x2[:, :, first:first + size, second:second + size])
    assert y2.data_ptr() == x2[:, :, first:, second:].data_ptr()  # a view of the input


@pytest.mark.torch
def test_a_permute_of_spatial_dimensions_permutes_the_field_as_the_gradient_shows():
    """As test_torch_build's gradient check: with positive weights the gradient of a central unit is
    non-zero exactly on its field, here read with the field's dimensions swapped back."""
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.analysis import receptive
    from nnarith.torch.builder import build_with_report

    text = ("input: [1, 20, 21]\nlayers:\n  - conv: {out: 2, kernel: [3, 5], stride: [1, 2]}\n"
            "  - permute: [0, 2, 1]\n  - conv: {out: 2, kernel: [3, 1], stride: [2, 1], pad: [1, 0]}\n")
    model, r = build_with_report(parse_spec(text, "t.yaml"))
    for p in model.parameters():
        p.data.fill_(1.0)
    x = torch.ones(1, 1, 20, 21, requires_grad=True)
    y = model(x)
    i, j = y.shape[2] // 2, y.shape[3] // 2  # i counts along the input's W, j along its H
    y[0, :, i, j].sum().backward()
    rows, cols = x.grad[0, 0].nonzero(as_tuple=True)
    field = receptive.describe(r.rows[-1].rf)
    for dim, hits, unit, extent in ((0, cols, i, 21), (1, rows, j, 20)):
        lo = unit * field["stride"][dim] - field["padding"][dim]
        hi = lo + field["size"][dim] - 1
        assert (hits.min().item(), hits.max().item()) == (max(lo, 0), min(hi, extent - 1))


def test_the_dcgan_generator_unflattens_its_fc():
    rows = report(["fc: 16384", "reshape: [1024, 4, 4]", "deconv: {out: 512, kernel: 4, stride: 2, pad: 1}"],
                  (100,)).rows
    assert [r.shape.dims for r in rows] == [(16384,), (1024, 4, 4), (512, 8, 8)]
    assert rows[1].shape.layout == "map" and rows[1].held == 0


def test_layouts_of_a_reshape():
    assert last("reshape: [4, 4]", (16,)).shape.layout == "map"  # [C, L], as a list in input: is
    assert last("reshape: {shape: [4, 4], layout: tokens}", (16,)).shape.layout == "tokens"
    flat = last("reshape: [-1]", (2, 3, 3))
    assert (flat.shape.layout, flat.shape.flattened_by) == ("flat", "reshape1")
    assert last("reshape: [6, 3]", (2, 3, 3)).shape.layout == "map"


@pytest.mark.parametrize("layer, input, message, hint", [
    ("permute: [0, 2, 3, 1]", (3, 4, 5), "permute dims [0, 2, 3, 1] do not reorder the 3 dimensions of the input "
     "3x4x5 (the batch not counted)", "leave out the batch: dims count from the first dimension after it, here "
     "[1, 2, 0]"),
    ("permute: [2, 0]", (3, 4), "permute dims [2, 0] do not reorder the 2 dimensions of the input 3x4 (the batch not "
     "counted)", "give each of 0 to 1 once"),
    ("reshape: [4, 0]", (16,), "reshape shape[1] must be a positive integer or -1, got the integer 0", None),
    ("reshape: [-1, 4, -1]", (16,), "reshape shape gives -1 twice; one size at most can be inferred", None),
    ("reshape: [4, 2.0]", (8,), "reshape shape[1] must be a positive integer, got the decimal 2.0",
     "write 2 without the decimal point"),
    ("reshape: 16", (16,), "reshape shape must be a list of integers, such as [1024, 4, 4], got the integer 16", None),
    ("reshape: [9, 2]", (3, 4), "reshape to 9x2 holds 18 elements, but the input 3x4 holds 12",
     "the sizes must multiply to 12; write one of them as -1 to have it inferred"),
    ("crop: 9", (2, 8), "crop to 9 is larger than the input 2x8", "a crop keeps part of the map: give a size of at "
     "most 8"),
    ("channel_shuffle: 3", (4, 2, 2), "groups=3 does not divide the 4 input channels", None),
])
def test_mistakes_are_located_and_say_how_to_fix_them(layer, input, message, hint):
    with pytest.raises(SpecError) as err:
        last(layer, input)
    assert err.value.message == message
    assert err.value.loc is not None and err.value.loc.line == 3
    if hint:
        assert err.value.hint == hint


def test_the_working_says_where_a_crop_starts_and_how_the_fields_move():
    rows = report(["conv: {out: 2, kernel: 3}", "crop: [3, 4]", "permute: [0, 2, 1]", "reshape: [2, 1, 4, 3]"],
                  (1, 8, 9)).rows
    assert rows[1].work["output"] == "H: 6 -> 3, starting at 2; W: 7 -> 4, starting at 2"  # round(1.5) = 2
    assert rows[1].work["rf"] == "r = 3, starting 2*1 = 2 pixels later"
    assert rows[2].work["rf"] == "the field's dimensions, as (W, H)"
    assert rows[3].work["rf"] == "the field's dimensions, as (new: 1, H, W)"
    assert [r.storage for r in rows[1:]] == ["view"] * 3
