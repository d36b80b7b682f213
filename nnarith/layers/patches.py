"""Images as tokens: patch embedding (ViT's conv_proj), a map [C, *spatial] -> tokens [patches, dim], and to_tokens,
each position of a map a token of its C channels.

A conv whose kernel and stride are the patch, its output flattened to one token per patch, as
torchvision's VisionTransformer does (conv_proj, then reshape and permute): its params, MACs and
bias adds are the conv's. The patch must divide every spatial size (torchvision asserts it; a conv
would drop the last pixels). Each token's receptive field is its patch.

to_tokens is the same reading without the projection, x.flatten(2).transpose(1, 2): a view, whose tokens keep
the fields of their positions.
"""

from __future__ import annotations

from math import prod

from nnarith.analysis.expr import Paren, mul, plus, times
from nnarith.analysis.receptive import Window
from nnarith.layers.base import INPUT, TOKENS, VIEW, Example, Layer, Out, Shape, Tensor, Tensors, Words, register
from nnarith.layers.fields import Bool, Int, Spatial


def _fits(n: int, p: int) -> str:
    """The sizes near n that patch p divides, and the patches that divide n."""
    below, above = n // p * p, (n // p + 1) * p
    sizes = f"{below} or {above}" if below else f"{above}"
    divisors = [d for d in range(1, min(n, 10_000) + 1) if n % d == 0][:12]
    return f"a size of {sizes} takes patch {p}; the patches that divide {n} are {', '.join(map(str, divisors))}"


@register
class PatchEmbed(Layer):
    kind = "patch_embed"
    aliases = ("patch_embedding",)
    help = ("patch embedding (ViT's conv_proj): a conv with kernel = stride = size, its output flattened to tokens: "
            "[C, H, W] -> [(H/size)*(W/size), dim]; params and MACs as the conv's")
    weighted = True
    words = (Words(r"patch.?(embed|proj|partition)|patchify|conv_proj|linear projection of flattened patches",
                   14),)  # before conv and fc
    example = Example("patch_embed: {size: 4, dim: 6}", (3, 8, 8), "patch embedding")
    fields = {
        "size": Spatial(doc="patch size, or one per dimension"),
        "dim": Int(doc="features of each token"),
        "bias": Bool(True, "add a learned bias"),
    }

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        p = self.per_dim("size", x)
        for n, pp in zip(x.dims[1:], p):
            if n % pp:
                raise self.error(f"patch {pp} does not divide the input's size {n} (input {x})", "size",
                                 hint=_fits(n, pp))
        grid = [n // pp for n, pp in zip(x.dims[1:], p)]
        out = Out(Shape((prod(grid), self.dim), TOKENS), effect=Window(p, p, (0,) * x.rank))
        kernel = mul(*p, x.dims[0])
        weights = times(self.dim, kernel)
        params = times(self.dim, Paren(plus(kernel, 1) if self.bias else kernel))
        macs = times(mul(*grid, self.dim), kernel)
        out.weights, out.biases = weights.value, self.dim if self.bias else 0
        out.macs = out.fvcore = macs.value
        out.other_ops = out.shape.numel if self.bias else 0  # one bias add per output element
        out.work["params"] = params.equation()
        out.work["weights"] = weights.equation()
        out.work["macs"] = macs.equation()
        out.work["output"] = (" x ".join(f"{n}/{pp}" for n, pp in zip(x.dims[1:], p))
                              + f" = {prod(grid)} patches of {self.dim} features")
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel),))  # the conv's weight gradient reads the input

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("PatchEmbed", x.dims[0], self.dim, self.size, spatial=x.rank, bias=self.bias)


@register
class ToTokens(Layer):
    kind = "to_tokens"
    help = ("each position of a map a token of its channels: [C, H, W] -> tokens [H*W, C], as "
            "x.flatten(2).transpose(1, 2); a view, allocates nothing")
    functional = True
    words = (Words(r"to.?tokens|tokeni[sz]e", 319),)
    example = Example("to_tokens", (4, 3, 3), "to tokens")

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        out = Out(Shape((prod(x.dims[1:]), x.dims[0]), TOKENS), storage=VIEW)
        out.work["output"] = f"{' x '.join(map(str, x.dims[1:]))} = {prod(x.dims[1:])} tokens of {x.dims[0]} features"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("ToTokens")
