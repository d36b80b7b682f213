"""Elementwise layers: activations, dropout and identity.

ops: one per output element for each activation, three for softmax (exponent, sum,
divide). ReLU-like activations work in place by default, as torchvision builds them,
and so allocate no memory; sigmoid, tanh, GELU and softmax write a new tensor.
"""

from __future__ import annotations

from nnarith.layers.base import INPLACE, NEW, VIEW, Layer, Out, Shape, register
from nnarith.layers.fields import Bool, Choice, Float

_INPLACE = Bool(True, "overwrite the input instead of allocating (as torchvision does)")


class _Activation(Layer):
    ops_per_element = 1
    torch_name = ""  # the torch.nn class; its arguments are this kind's fields, in order

    def infer(self, x: Shape) -> Out:
        inplace = self.args.get("inplace", False)
        return Out(x, other_ops=self.ops_per_element * x.numel, storage=INPLACE if inplace else NEW)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        names = {"slope": "negative_slope"}  # PyTorch's name, where it differs from the field's
        args = {names.get(f, f): self.args[f] for f in self.fields}
        if "inplace" in self.fields:  # the walk may have ruled it out: see analysis/walk.py
            args["inplace"] = inplace
        return construct(f"nn.{self.torch_name}", **args)


@register
class ReLU(_Activation):
    kind, torch_name, help = "relu", "ReLU", "max(0, x)"
    fields = {"inplace": _INPLACE}


@register
class ReLU6(_Activation):
    kind, torch_name, help = "relu6", "ReLU6", "min(max(0, x), 6), as in MobileNetV2"
    fields = {"inplace": _INPLACE}


@register
class LeakyReLU(_Activation):
    kind, torch_name, help = "leaky_relu", "LeakyReLU", "x for x > 0, slope*x otherwise"
    shorthand = "slope"
    fields = {"slope": Float(0.01, "negative slope"), "inplace": _INPLACE}


@register
class ELU(_Activation):
    kind, torch_name, help = "elu", "ELU", "x for x > 0, alpha*(exp(x) - 1) otherwise"
    shorthand = "alpha"
    fields = {"alpha": Float(1.0, "scale of the negative part"), "inplace": _INPLACE}


@register
class Sigmoid(_Activation):
    kind, torch_name, help = "sigmoid", "Sigmoid", "1 / (1 + exp(-x))"


@register
class Tanh(_Activation):
    kind, torch_name, help = "tanh", "Tanh", "hyperbolic tangent"


@register
class GELU(_Activation):
    kind, torch_name, help = "gelu", "GELU", "Gaussian error linear unit"
    fields = {"approximate": Choice("none", "tanh", default="none", doc="PyTorch's approximation")}


@register
class Softmax(_Activation):
    kind, help = "softmax", "softmax over the channels or features (dim 1 in PyTorch; the last dim of a sequence)"
    ops_per_element = 3

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Softmax", dim=-1 if x.layout == "seq" else 1)


@register
class Dropout(Layer):
    kind = "dropout"
    shorthand = "p"
    help = "dropout; at inference it returns its input and allocates nothing"
    fields = {"p": Float(0.5, "probability of zeroing an element", hi=1.0)}

    def infer(self, x: Shape) -> Out:
        return Out(x, storage=VIEW)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Dropout", p=self.p)


@register
class Identity(Layer):
    kind = "identity"
    help = "passes its input through unchanged"

    def infer(self, x: Shape) -> Out:
        return Out(x, storage=VIEW)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Identity")
