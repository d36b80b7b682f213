"""Fully connected layers and flatten.

An fc after a spatial map flattens it first (in PyTorch: nn.Flatten then nn.Linear).
On tokens [T, F] (a recurrent layer's sequence, or an input given as {tokens, features})
it applies to every token, as nn.Linear does on [N, T, F]: T x in x out MACs, in x out + out
params. A plain rank-2 input [C, L] is a 1-D map, so an fc flattens it; as that may be meant
per token, the report notes it (a note, not a flag: nothing is wrong, and --strict keeps it).
"""

from __future__ import annotations

from nnarith.analysis.expr import Paren, plus, times
from nnarith.analysis.receptive import WHOLE
from nnarith.layers.base import (
    FLAT,
    INPUT,
    MAP,
    OUTPUT,
    TOKENS,
    VIEW,
    Example,
    Layer,
    Out,
    Shape,
    Tensor,
    Tensors,
    Words,
    register,
)
from nnarith.layers.fields import Bool, Int, Ref


def _features(x: Shape) -> tuple[int, int]:
    """(steps, features): fc maps features at each of `steps` positions."""
    if x.layout == TOKENS:
        return x.dims[0], x.dims[1]
    return 1, x.numel


def _output(x: Shape, n: int, name: str) -> Shape:
    if x.layout == TOKENS:
        return Shape((x.dims[0], n), TOKENS)
    return Shape((n,), FLAT, flattened_by=name if x.layout == MAP else x.flattened_by)


class _Dense(Layer):
    shorthand = "out"
    weighted = True

    def dense(self, x: Shape, pieces: int = 1, tie: str | None = None) -> Out:
        """The counts of `pieces` affine maps per output; with `tie`, the weight is that layer's tensor,
        counted there (its MACs are this layer's all the same)."""
        steps, f = _features(x)
        # Per token, an fc mixes one token's features: each token keeps its own field (its patch, say).
        out = Out(_output(x, self.out, self.name), effect=None if x.layout == TOKENS else WHOLE,
                  weight=(pieces * self.out, f))
        units = (pieces, self.out) if pieces > 1 else (self.out,)  # one affine map per piece and output
        macs = times(*((steps,) if steps > 1 else ()), f, *units)
        out.macs = out.fvcore = macs.value
        out.biases = self.out * pieces if self.bias else 0
        out.other_ops = steps * out.biases  # bias adds
        if tie:  # the working's form, '<arithmetic> = <figure> (<what it is>)', as every other
            shared = f"the weight is shared with {tie}, counted there"
            out.work["weights"] = f"0 = 0 ({shared})"
            out.work["params"] = (f"{out.biases} = {out.biases:,} (the bias alone, {shared})" if self.bias
                                  else f"0 = 0 ({shared})")
            out.notes.append(f"weight shared with {tie}, counted there")
        else:
            weights = times(*units, f)
            out.weights = weights.value
            out.work["params"] = times(*units, Paren(plus(f, 1) if self.bias else f)).equation()
            out.work["weights"] = weights.equation()
        out.work["macs"] = macs.equation()
        if x.layout == MAP:
            out.work["output"] = f"flatten {x} = {x.numel:,}, then {x.numel:,} -> {self.out}"
        else:
            out.work["output"] = f"{f:,} -> {self.out} features" + (f" at each of {steps} steps" if steps > 1 else "")
        return out


@register
class Linear(_Dense):
    kind = "fc"
    contiguous_input = True
    aliases = ("linear",)
    help = "fully connected layer; flattens a spatial map first, applies to each token of tokens [T, F]"
    fields = {"out": Int(doc="output features"), "bias": Bool(True, "add a learned bias"),
              "tie": Ref(None, "an earlier layer (embedding or fc) whose weight this one reuses, as GPT-2's "
                     "lm_head reuses wte: tie: wte; the weight counts there, once")}
    words = (Words(r"\bfc|fully.?connected|dense|linear|classifier", 100),)
    example = Example("fc: 5", (2, 3, 3), "FC")

    def infer(self, x: Shape) -> Out:
        out = self.dense(x, tie=self.tie)
        if x.layout == MAP and x.rank == 1 and x.dims[1] > 1:  # [C, 1] (after gap) is C features either way
            out.notes.append(f"flattens its 1-D map {x} [C, L] into {x.numel:,} features (nn.Flatten, then nn.Linear); "
                             f"an fc on each of the {x.dims[1]} positions reads tokens [T, F], as an input "
                             "declared {tokens: T, features: F}")
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel),))  # flattening a map is a view: the input's memory

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        _, f = _features(x)
        return construct("FlattenLinear", f, self.out, bias=self.bias, flatten=x.layout == MAP)


@register
class Maxout(_Dense):
    kind = "maxout"
    help = "maxout unit (Goodfellow et al. 2013): the max of k affine pieces per output"
    fields = {
        "out": Int(doc="output features"),
        "pieces": Int(2, "affine pieces per output (k); multiplies the parameters"),
        "bias": Bool(True, "add a learned bias to each piece"),
    }
    words = (Words(r"maxout", 90),)  # before fc: 'maxout fc'
    example = Example("maxout: {out: 4, pieces: 3}", (6,), "maxout")

    def infer(self, x: Shape) -> Out:
        if x.layout == TOKENS:
            raise self.error("maxout takes a map or flat features, not tokens")
        out = self.dense(x, self.pieces)
        out.other_ops += (self.pieces - 1) * self.out  # comparisons for the max
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # The linear map keeps its input; the max over the pieces keeps the pieces and its result.
        pieces = Tensor("pieces", self.out * self.pieces)
        return Tensors(saved=(Tensor(INPUT, x.numel), pieces, Tensor(OUTPUT, out.shape.numel)))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("Maxout", x.numel, self.out, pieces=self.pieces, bias=self.bias)


@register
class Flatten(Layer):
    kind = "flatten"
    help = "flatten to [features]; a view, allocates nothing"
    functional = True
    words = (Words(r"flatten", 220),)
    example = Example("flatten", (2, 3, 3), "flatten")

    def infer(self, x: Shape) -> Out:
        name = self.name
        out = Out(Shape((x.numel,), "flat", flattened_by=name), effect=WHOLE, storage=VIEW)
        out.work["output"] = f"{x} -> {x.numel:,}"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Flatten")
