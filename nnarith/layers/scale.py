"""Scaling a residual branch: layer scale (learned) and stochastic depth (random, in training only)."""

from __future__ import annotations

from nnarith.layers.base import INPUT, MAP, NEW, VIEW, Example, Layer, Out, Shape, Tensor, Tensors, Words, register
from nnarith.layers.fields import Choice, Float


@register
class LayerScale(Layer):
    kind = "layer_scale"
    shorthand = "init"
    help = ("a learned scale per channel of a map or per feature of tokens, as ConvNeXt's gamma and ViT's "
            "LayerScale: one multiply per element")
    keeps_shape = True
    words = (Words(r"layer.?scale", 213),)
    example = Example("layer_scale", (4, 3, 3), "LayerScale")
    fields = {"init": Float(1e-6, "the scale's initial value (ConvNeXt's 1e-6; CaiT and timm's ViTs often 1e-5)")}

    def infer(self, x: Shape) -> Out:
        out = Out(x)
        out.weights = self.channels(x)
        out.other_ops = x.numel  # one multiply per element; fvcore counts no aten::mul
        return out

    @staticmethod
    def channels(x: Shape) -> int:
        return x.dims[0] if x.layout == MAP else x.dims[-1]

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel),))  # the gradient of the scale reads the input

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("LayerScale", self.channels(x), init=self.init, spatial=x.rank)


@register
class StochasticDepth(Layer):
    kind = "stochastic_depth"
    aliases = ("drop_path",)
    shorthand = "p"
    help = ("stochastic depth (drop path): in training it drops a residual branch with probability p per sample "
            "(mode row) or for the whole batch (mode batch); identity at inference, a view that allocates nothing")
    keeps_shape = True
    words = (Words(r"stochastic.?depth|drop.?path", 215),)
    example = Example("stochastic_depth: 0.1", (3, 4, 4), "StochasticDepth")
    fields = {"p": Float(doc="probability of dropping the branch", hi=1.0),
              "mode": Choice("row", "batch", default="row", doc="row: per sample; batch: one draw for the batch")}

    def infer(self, x: Shape) -> Out:
        return Out(x, storage=VIEW)

    def tensors(self, x: Shape, out: Out) -> Tensors:
        if self.p == 0:  # PyTorch returns the input itself
            return Tensors()
        # In training the output is the input times a kept noise tensor: one element per sample, or one in all.
        noise = Tensor("noise", 1, per_image=self.mode == "row")
        return Tensors(saved=(noise,), training_storage=NEW)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("StochasticDepth", self.p, mode=self.mode)
