"""Differential testing against PyTorch: random layer stacks, valid and invalid.

For each stack written in the spec syntax, the same layers are built here with torch.nn
directly (not with nnarith's builder) and run. Where PyTorch runs the stack, nnarith must
give the same output shape after every layer, the same parameters and the same MACs (from
FlopCounterMode). Where PyTorch refuses it, nnarith must refuse it too, at the same layer,
with exit code 2 and a located message. An output with a size-0 dimension counts as refused:
PyTorch's grouped transposed convolution returns one where the ungrouped one raises "Output
size is too small", and nnarith refuses both.

CI runs the default profile (1,000 examples); `pytest tests/test_differential.py
--hypothesis-profile long` runs 50,000.
"""

from __future__ import annotations

import contextlib
import io
from functools import partial

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from nnarith.analysis.walk import analyze  # noqa: E402
from nnarith.cli import main  # noqa: E402
from nnarith.errors import SpecError, SpecErrors  # noqa: E402
from nnarith.loader import parse_spec  # noqa: E402

MAX_SIZE = {1: 40, 2: 18, 3: 8}
# The smooth and hard activations: (kind, its arguments) -> the torch.nn module a PyTorch user writes.
ACTIVATIONS = {("silu", ()): nn.SiLU, ("hardswish", ()): nn.Hardswish, ("hardsigmoid", ()): nn.Hardsigmoid,
               ("mish", ()): nn.Mish, ("gelu", ()): nn.GELU,
               ("gelu", (("approximate", "tanh"),)): partial(nn.GELU, approximate="tanh")}


def spatial(rank: int, lo: int, hi: int):
    """An int, or one int per dimension."""
    one = st.integers(lo, hi)
    return st.one_of(one, st.lists(one, min_size=rank, max_size=rank)) if rank > 1 else one


def layers(rank: int):
    conv = st.fixed_dictionaries({
        "out": st.integers(1, 6), "kernel": spatial(rank, 1, 5), "stride": spatial(rank, 1, 3),
        "pad": st.one_of(spatial(rank, 0, 3), st.just("same")), "dilation": spatial(rank, 1, 3),
        "groups": st.sampled_from([1, 1, 2, 3]), "bias": st.booleans()})
    deconv = st.fixed_dictionaries({
        "out": st.integers(1, 6), "kernel": spatial(rank, 1, 4), "stride": spatial(rank, 1, 3),
        "pad": spatial(rank, 0, 2), "output_padding": spatial(rank, 0, 2), "dilation": spatial(rank, 1, 2),
        "groups": st.sampled_from([1, 1, 2]), "bias": st.booleans()})
    maxpool = st.fixed_dictionaries({"kernel": spatial(rank, 1, 4)}, optional={
        "stride": spatial(rank, 1, 3), "pad": spatial(rank, 0, 2), "dilation": spatial(rank, 1, 2),
        "ceil": st.booleans()})
    avgpool = st.fixed_dictionaries({"kernel": spatial(rank, 1, 4)}, optional={
        "stride": spatial(rank, 1, 3), "pad": spatial(rank, 0, 2), "ceil": st.booleans()})
    adaptive = st.fixed_dictionaries({"out": spatial(rank, 1, 6)})
    crop = st.fixed_dictionaries({"size": spatial(rank, 1, 8)})
    shuffle = st.fixed_dictionaries({"groups": st.integers(1, 4)})
    channels = st.fixed_dictionaries({}, optional={"start": st.integers(0, 6), "stop": st.integers(1, 7)})
    return st.one_of(conv.map(lambda a: ("conv", a)), deconv.map(lambda a: ("deconv", a)),
                     maxpool.map(lambda a: ("maxpool", a)), avgpool.map(lambda a: ("avgpool", a)),
                     adaptive.map(lambda a: ("adaptive_avgpool", a)),
                     crop.map(lambda a: ("crop", a)), shuffle.map(lambda a: ("channel_shuffle", a)),
                     channels.map(lambda a: ("slice", a)),
                     st.sampled_from([("bn", {}), ("relu", {}), *((k, dict(a)) for k, a in ACTIVATIONS)]))


@st.composite
def stacks(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    input = (draw(st.integers(1, 6)), *[draw(st.integers(1, MAX_SIZE[rank])) for _ in range(rank)])
    return input, draw(st.lists(layers(rank), min_size=1, max_size=4))


def yaml_layer(kind: str, args: dict) -> str:
    if not args:
        return kind
    items = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in args.items())
    return f"{kind}: {{{items}}}"


def torch_layer(kind: str, a: dict, channels: int, rank: int) -> nn.Module:
    """The oracle: the layer as a PyTorch user writes it, from the same arguments."""
    def t(v):
        return tuple(v) if isinstance(v, list) else v

    if kind == "conv":
        cls = getattr(nn, f"Conv{rank}d")
        return cls(channels, a["out"], t(a["kernel"]), t(a["stride"]), t(a["pad"]), t(a["dilation"]), a["groups"],
                   a["bias"])
    if kind == "deconv":
        cls = getattr(nn, f"ConvTranspose{rank}d")
        return cls(channels, a["out"], t(a["kernel"]), t(a["stride"]), t(a["pad"]), t(a["output_padding"]),
                   a["groups"], a["bias"], t(a["dilation"]))
    if kind == "maxpool":
        return getattr(nn, f"MaxPool{rank}d")(t(a["kernel"]), t(a.get("stride")), t(a.get("pad", 0)),
                                              t(a.get("dilation", 1)), ceil_mode=a.get("ceil", False))
    if kind == "avgpool":
        return getattr(nn, f"AvgPool{rank}d")(t(a["kernel"]), t(a.get("stride")), t(a.get("pad", 0)),
                                              ceil_mode=a.get("ceil", False))
    if kind == "adaptive_avgpool":
        return getattr(nn, f"AdaptiveAvgPool{rank}d")(t(a["out"]))
    if kind == "bn":
        return getattr(nn, f"BatchNorm{rank}d")(channels)
    if kind == "channel_shuffle":
        return nn.ChannelShuffle(a["groups"])
    if kind == "crop":
        return CentreCrop(a["size"], rank)
    if kind == "slice":
        return ChannelRange(a.get("start", 0), a.get("stop"))
    if (kind, tuple(a.items())) in ACTIVATIONS:
        return ACTIVATIONS[kind, tuple(a.items())]()
    return nn.ReLU()


class CentreCrop(nn.Module):
    """A centre crop as U-Net's copy and crop is written, placed as torchvision's center_crop places it
    (int(round(margin / 2))), which refuses no size: a crop larger than its input is refused here."""

    def __init__(self, size, rank: int) -> None:
        super().__init__()
        self.size = size if isinstance(size, list) else [size] * rank

    def forward(self, x):
        index = [slice(None), slice(None)]
        for n, size in zip(x.shape[2:], self.size):
            if size > n:
                raise ValueError(f"crop {size} of {n}")
            first = int(round((n - size) / 2.0))
            index.append(slice(first, first + size))
        return x[tuple(index)]


class ChannelRange(nn.Module):
    """x[:, start:stop], as ShuffleNet v2 takes the halves of x.chunk(2, dim=1). Python's slicing clamps a stop
    past the channels; that is refused here (an empty range is refused as every empty map is)."""

    def __init__(self, start: int, stop: int | None) -> None:
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x):
        if self.stop is not None and self.stop > x.shape[1]:
            raise ValueError(f"stop {self.stop} of {x.shape[1]} channels")
        return x[:, self.start:self.stop]


def run_torch(input: tuple[int, ...], stack: list) -> tuple[list, int | None]:
    """Per layer (shape, params, MACs) while PyTorch runs the stack, and the layer it refuses, if any."""
    x = torch.zeros(1, *input)
    done = []
    for i, (kind, args) in enumerate(stack):
        try:
            module = torch_layer(kind, args, x.shape[1], len(input) - 1).eval()
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                x = module(x)
        except (RuntimeError, ValueError):
            return done, i
        if 0 in x.shape:  # an empty map: refused (see the module's docstring)
            return done, i
        done.append((tuple(x.shape[1:]), sum(p.numel() for p in module.parameters()),
                     counter.get_total_flops() // 2))
    return done, None


@given(stacks())
def test_nnarith_agrees_with_pytorch(case):
    input, stack = case
    texts = [yaml_layer(kind, args) for kind, args in stack]
    spec = f"input: {list(input)}\nlayers:\n" + "".join(f"  - {t}\n" for t in texts)
    expected, refused_at = run_torch(input, stack)
    try:
        rows = analyze(parse_spec(spec, "fuzz.yaml")).rows
    except (SpecError, SpecErrors) as e:
        errors = e.errors if isinstance(e, SpecErrors) else [e]
        assert refused_at is not None, f"nnarith refused what PyTorch runs:\n{spec}{errors[0].render()}"
        lines = {err.loc.line for err in errors}
        assert lines == {3 + refused_at}, f"PyTorch refused layer {refused_at + 1}, nnarith said:\n" + \
            "\n".join(err.render() for err in errors) + f"\n{spec}"
        event(f"refused by both ({stack[refused_at][0]})")
        # and through the command line: exit 2, the argument named, no traceback
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["calc", "--input", "x".join(map(str, input)), *texts])
        assert code == 2 and f"argument {refused_at + 1}:1:" in err.getvalue(), err.getvalue()
        return
    assert refused_at is None, f"PyTorch refused layer {refused_at + 1}, which nnarith accepted:\n{spec}"
    got = [(r.shape.dims, r.params, r.macs) for r in rows]
    assert got == expected, f"\n{spec}"
    event(f"accepted by both ({len(stack)} layers)")
