"""Elementwise layers: activations, dropout and identity.

ops: one per output element for each activation, whatever its formula (sigmoid's exponent
and division, SiLU's x * sigmoid(x), GELU's erf or tanh form, mish's tanh of a softplus: one
activation, one op); three for softmax (exponent, sum, divide). fvcore counts none of them.
The activations that torchvision builds in place work in place by default and so allocate no
memory: the ReLUs and ELU, and SiLU and hard-swish (EfficientNet's and MobileNetV3's conv
blocks, inplace=True). Hard-sigmoid (MobileNetV3's squeeze-excite gate, built with PyTorch's
default) and mish take PyTorch's default, not in place; sigmoid, tanh, GELU and softmax have
no in-place form and write a new tensor.
"""

from __future__ import annotations

from nnarith.layers.base import (
    INPLACE,
    INPUT,
    NEW,
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
from nnarith.layers.fields import Bool, Choice, Float

_INPLACE = Bool(True, "overwrite the input instead of allocating (as torchvision does)")
_NOT_INPLACE = Bool(False, "overwrite the input instead of allocating (PyTorch's default)")
_RELU = Words(r"relu", 150)  # 'ReLU' alone may be any of the ReLUs


class _Activation(Layer):
    ops_per_element = 1
    keeps_shape, family = True, "activation"
    torch_name = ""  # the torch.nn class; its keyword arguments are this kind's fields, by PyTorch's names
    saves: str  # INPUT or OUTPUT: what its backward reads; each kind states it
    copies = False  # in place, PyTorch keeps a copy of its input for backward, a tensor of its own

    def tensors(self, x: Shape, out: Out) -> Tensors:
        if self.copies and out.storage == INPLACE:  # autograd clones the input before the kernel overwrites it
            return Tensors(saved=(Tensor("input copy", x.numel),))
        # In place, its input and output are one buffer: the saved output is the memory it wrote into.
        return Tensors(saved=(Tensor(self.saves, x.numel),))

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
    words = (_RELU,)
    example = Example("relu", (3, 4, 4), "ReLU")
    saves = OUTPUT


@register
class ReLU6(_Activation):
    kind, torch_name, help = "relu6", "ReLU6", "min(max(0, x), 6), as in MobileNetV2"
    fields = {"inplace": _INPLACE}
    words = (Words(r"relu6", 130), _RELU)
    example = Example("relu6", (3, 4, 4), "ReLU6")
    saves, copies = INPUT, True  # PyTorch's hardtanh_


@register
class LeakyReLU(_Activation):
    kind, torch_name, help = "leaky_relu", "LeakyReLU", "x for x > 0, slope*x otherwise"
    shorthand = "slope"
    fields = {"slope": Float(0.01, "negative slope"), "inplace": _INPLACE}
    words = (Words(r"leaky", 140), _RELU)
    example = Example("leaky_relu: 0.1", (3, 4, 4), "Leaky ReLU")
    saves = INPUT  # in place, PyTorch keeps the result: the same buffer


@register
class ELU(_Activation):
    kind, torch_name, help = "elu", "ELU", "x for x > 0, alpha*(exp(x) - 1) otherwise"
    shorthand = "alpha"
    fields = {"alpha": Float(1.0, "scale of the negative part"), "inplace": _INPLACE}
    words = (Words(r"\belu\b", 160),)
    example = Example("elu", (3, 4, 4), "ELU")
    saves = INPUT  # in place, PyTorch keeps the result: the same buffer


@register
class Sigmoid(_Activation):
    kind, torch_name, help = "sigmoid", "Sigmoid", "1 / (1 + exp(-x))"
    words = (Words(r"sigmoid", 170),)
    example = Example("sigmoid", (3, 4, 4), "Sigmoid")
    saves = OUTPUT


@register
class Tanh(_Activation):
    kind, torch_name, help = "tanh", "Tanh", "hyperbolic tangent"
    words = (Words(r"tanh", 180),)
    example = Example("tanh", (3, 4, 4), "tanh")
    saves = OUTPUT


@register
class GELU(_Activation):
    kind, torch_name, help = "gelu", "GELU", "Gaussian error linear unit, x * Phi(x), as torch.nn.GELU"
    fields = {"approximate": Choice("none", "tanh", default="none",
                                    doc="'none': exact, by erf (BERT's); 'tanh': the tanh approximation (GPT-2's)")}
    words = (Words(r"gelu", 175),)  # before tanh's: "GELU (tanh)"
    example = Example("gelu", (3, 4, 4), "GELU")
    saves = INPUT


@register
class SiLU(_Activation):
    kind, torch_name, help = "silu", "SiLU", "x * sigmoid(x), also called swish"
    aliases = ("swish",)
    fields = {"inplace": _INPLACE}
    words = (Words(r"silu|swish", 167),)
    example = Example("silu", (3, 4, 4), "SiLU")
    saves, copies = INPUT, True


@register
class Hardswish(_Activation):
    kind, torch_name, help = "hardswish", "Hardswish", "x * relu6(x + 3) / 6, as in MobileNetV3"
    aliases = ("hard_swish",)
    fields = {"inplace": _INPLACE}
    words = (Words(r"hard.?swish|\bh-?swish", 165),)  # before swish's
    example = Example("hardswish", (3, 4, 4), "hard-swish")
    saves, copies = INPUT, True


@register
class Hardsigmoid(_Activation):
    kind, torch_name, help = "hardsigmoid", "Hardsigmoid", "relu6(x + 3) / 6, as in MobileNetV3's gate"
    aliases = ("hard_sigmoid",)
    fields = {"inplace": _NOT_INPLACE}
    words = (Words(r"hard.?sigmoid|\bh-?sigmoid", 163),)  # before sigmoid's
    example = Example("hardsigmoid", (3, 4, 4), "hard sigmoid")
    saves, copies = INPUT, True


@register
class Mish(_Activation):
    kind, torch_name, help = "mish", "Mish", "x * tanh(softplus(x))"
    fields = {"inplace": _NOT_INPLACE}
    words = (Words(r"\bmish\b", 177),)  # before tanh's: "mish, x tanh(softplus(x))"
    example = Example("mish", (3, 4, 4), "Mish")
    saves, copies = INPUT, True


@register
class Softmax(_Activation):
    kind, help = "softmax", "softmax over the channels or features (dim 1 in PyTorch; the last dim of a sequence)"
    ops_per_element = 3
    family = None  # the classifier's last step, not an activation a document writes for another
    words = (Words(r"soft-?max", 200),)
    example = Example("softmax", (10,), "softmax")
    saves = OUTPUT

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Softmax", dim=-1 if x.layout == TOKENS else 1)


@register
class Dropout(Layer):
    kind = "dropout"
    shorthand = "p"
    help = "dropout; at inference it returns its input and allocates nothing"
    fields = {"p": Float(0.5, "probability of zeroing an element", hi=1.0)}
    keeps_shape = True
    words = (Words(r"dropout", 210),)
    example = Example("dropout: 0.3", (3, 4, 4), "Dropout")

    def infer(self, x: Shape) -> Out:
        return Out(x, storage=VIEW)

    def tensors(self, x: Shape, out: Out) -> Tensors:
        if self.p == 0:  # PyTorch returns the input itself, in training too (ViT's dropouts)
            return Tensors()
        # In training it writes a new output and keeps the mask; PyTorch's CPU kernel keeps the mask in the
        # input's dtype (its fused CUDA kernel keeps a bool mask).
        return Tensors(saved=(Tensor("mask", x.numel),), training_storage=NEW)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Dropout", p=self.p)


@register
class Identity(Layer):
    kind = "identity"
    help = "passes its input through unchanged"
    keeps_shape, functional = True, True
    words = (Words(r"identity", 290),)
    example = Example("identity", (3, 4, 4), "identity")

    def infer(self, x: Shape) -> Out:
        return Out(x, storage=VIEW)

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Identity")
