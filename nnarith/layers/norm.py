"""Normalisation: batch norm, local response normalisation, layer norm, group norm and RMS norm."""

from __future__ import annotations

from nnarith.analysis.expr import plus, times
from nnarith.analysis.receptive import WHOLE
from nnarith.layers.base import (
    INPUT,
    MAP,
    TOKENS,
    Example,
    Layer,
    Out,
    Shape,
    Tensor,
    Tensors,
    Words,
    register,
)
from nnarith.layers.fields import Bool, Float, Int

_NORM = Words(r"lrn|local.?response|response.?norm|^norm\d*\b", 110)  # Caffe's 'norm1' (AlexNet's LRN), or a bn


@register
class BatchNorm(Layer):
    kind = "bn"
    aliases = ("batchnorm",)
    help = "batch normalisation over the channels (dim 1 in PyTorch)"
    keeps_shape = True
    words = (_NORM, Words(r"\bbn\d*\b|batch.?norm", 120))
    example = Example("bn", (3, 4, 4), "BatchNorm")
    fields = {
        "affine": Bool(True, "learn a scale and shift per channel"),
        "eps": Float(1e-5, "added to the variance", lo=0.0, lo_open=True),
    }

    def infer(self, x: Shape) -> Out:
        c = x.dims[0]
        out = Out(x)
        if self.affine:  # gamma and beta
            out.weights = out.biases = c
            out.work["params"] = times(2, c).equation(tail="(scale and shift)")
        # running_mean and running_var, plus the one-element num_batches_tracked counter
        buffers = plus(times(2, c), 1)
        out.buffers = buffers.value
        # At inference the normalisation folds into one scale and one shift per element.
        out.other_ops = 2 * x.numel
        out.fvcore = (2 if self.affine else 1) * x.numel
        out.work["buffers"] = buffers.equation(tail="(running mean, variance, counter)")
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # The batch's mean and inverse standard deviation per channel, in fp32 whatever the input's dtype.
        c = x.dims[0]
        stats = (Tensor("mean", c, "fp32", per_image=False), Tensor("invstd", c, "fp32", per_image=False))
        return Tensors(saved=(Tensor(INPUT, x.numel), *stats))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        if len(x.dims) > 4:
            raise self.error("bn works on inputs of up to 3 spatial dimensions")
        cls = ("nn.BatchNorm1d", "nn.BatchNorm1d", "nn.BatchNorm2d", "nn.BatchNorm3d")[len(x.dims) - 1]
        return construct(cls, x.dims[0], eps=self.eps, affine=self.affine)


@register
class LocalResponseNorm(Layer):
    kind = "lrn"
    shorthand = "size"
    help = "local response normalisation across channels (AlexNet)"
    keeps_shape = True
    words = (_NORM,)
    example = Example("lrn: 3", (6, 4, 4), "LRN")
    fields = {
        "size": Int(doc="number of neighbouring channels"),
        "alpha": Float(1e-4, "scale"),
        "beta": Float(0.75, "exponent"),
        "k": Float(1.0, "additive constant (PyTorch's default 1; AlexNet used 2)"),
    }

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        out = Out(x)
        # Per element: `size` squares and size-1 adds, then scale, add k, power and divide.
        out.other_ops = (2 * self.size + 3) * x.numel
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # PyTorch composes it: squares, zero-padded by size-1 channels, averaged over `size` channels,
        # scaled, shifted by k, raised to beta; the input is divided by that denominator.
        # Backward keeps the input, the padded squares (for the pooling), the base and the denominator.
        padded = Tensor("padded squares", (x.dims[0] + self.size - 1) * x.numel // x.dims[0])
        kept = (Tensor(INPUT, x.numel), padded, Tensor("base", x.numel), Tensor("denominator", x.numel))
        return Tensors(saved=kept, scratch=tuple(Tensor(r, x.numel) for r in ("squares", "averages", "scaled")))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.LocalResponseNorm", self.size, alpha=self.alpha, beta=self.beta, k=self.k)


_PER_ELEMENT, _PER_GROUP = 5, 4  # ops, as _Normalise states them
_EPS = Float(1e-5, "added to the variance", lo=0.0, lo_open=True)
_AFFINE = Bool(True, "learn a scale per channel or feature (elementwise_affine in PyTorch)")


def _divisors(n: int) -> str:
    """The first divisors of n, and n itself: the groups that fit."""
    found = [d for d in range(1, min(n, 10_000) + 1) if n % d == 0][:11]
    return ", ".join(map(str, found)) + (f", ..., {n}" if found[-1] != n else "")


class _Normalise(Layer):
    """Normalisation over groups of elements (a token's features, a position's channels, a group of channels and
    its positions), counted at inference, where the statistics are computed, not folded as batch norm's are.

    ops per element: an add to the sum for the mean, a subtract of the mean, a square, an add to the sum of squares
    and a multiply by the inverse standard deviation (5); the affine scale and shift add one each. Per group: the
    two divisions by its size, the add of eps and the inverse square root (4). RMS norm states its own.
    fvcore counts 5 per element with a weight, 4 without, for aten::layer_norm and aten::group_norm (its
    norm_flop_counter, "a rough estimate"), whatever the per-group work.
    """

    keeps_shape = True

    def features(self, x: Shape) -> tuple[int, int]:
        """(the channels or features that carry the affine parameters, the groups normalised per image)."""
        raise NotImplementedError

    def normalise(self, x: Shape, per_element: int, per_group: int, scale: bool, shift: bool) -> Out:
        c, groups = self.features(x)
        out = Out(x)
        out.weights, out.biases = (c if scale else 0), (c if scale and shift else 0)
        if scale and shift:
            out.work["params"] = times(2, c).equation(tail="(scale and shift)")
        out.other_ops = (per_element + scale + (scale and shift)) * x.numel + per_group * groups
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # PyTorch's CPU kernels keep the input and the statistics per group, in the input's dtype where the
        # parameters share it (CUDA keeps them in fp32 for half precision).
        groups = self.features(x)[1]
        return Tensors(saved=(Tensor(INPUT, x.numel), Tensor("mean", groups), Tensor("rstd", groups)))


@register
class LayerNorm(_Normalise):
    kind = "layernorm"
    help = ("layer normalisation: over the features of each token ([T, F] or [F], as nn.LayerNorm(F)), or over "
            "the channels at each position of a map [C, ...] (ConvNeXt's channels-first LayerNorm)")
    words = (Words(r"layer.?norm|\bln\d*\b", 121),)
    example = Example("layernorm", (4, 3, 3), "LayerNorm")
    fields = {"eps": _EPS, "affine": _AFFINE, "bias": Bool(True, "learn a shift too (bias=False: the scale alone)")}

    def features(self, x: Shape) -> tuple[int, int]:
        c = x.dims[0] if x.layout == MAP else x.dims[-1]
        return c, x.numel // c

    def infer(self, x: Shape) -> Out:
        out = self.normalise(x, _PER_ELEMENT, _PER_GROUP, self.affine, self.bias)
        out.fvcore = (_PER_ELEMENT if self.affine else _PER_ELEMENT - 1) * x.numel
        return out

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        cls = "ChannelLayerNorm" if x.layout == MAP else "nn.LayerNorm"  # ChannelLayerNorm: torch/modules.py
        return construct(cls, self.features(x)[0], eps=self.eps, elementwise_affine=self.affine, bias=self.bias)


@register
class GroupNorm(_Normalise):
    kind = "groupnorm"
    shorthand = "groups"
    help = ("group normalisation: the channels in groups, each normalised over its channels and every position; "
            "so each output depends on the whole map (its receptive field is the whole input)")
    words = (Words(r"group.?norm|\bgn\d*\b", 123),)
    example = Example("groupnorm: 2", (4, 3, 3), "GroupNorm")
    fields = {"groups": Int(doc="groups of channels; must divide the channels"), "eps": _EPS,
              "affine": Bool(True, "learn a scale and shift per channel")}

    def features(self, x: Shape) -> tuple[int, int]:
        return x.dims[0], self.groups

    def infer(self, x: Shape) -> Out:
        if x.layout == TOKENS:
            raise self.error(f"groupnorm needs channels first, a map [C, ...] or features [C], but the input is "
                             f"{x.dims[0]} tokens of {x.dims[1]} features",
                             hint="PyTorch's GroupNorm would read the tokens as channels; use layernorm on tokens")
        c = x.dims[0]
        if c % self.groups:
            raise self.error(f"groups={self.groups} does not divide the {c} channels", "groups",
                             hint=f"groups must divide {c}: {_divisors(c)}")
        out = self.normalise(x, _PER_ELEMENT, _PER_GROUP, self.affine, True)
        out.fvcore = (_PER_ELEMENT if self.affine else _PER_ELEMENT - 1) * x.numel
        if x.layout == MAP:
            out.effect = WHOLE  # the statistics of a group span every position
        return out

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.GroupNorm", self.groups, x.dims[0], eps=self.eps, affine=self.affine)


@register
class RMSNorm(_Normalise):
    """ops per element: a square, an add to their sum, a multiply by the inverse root mean square (3), and the
    scale; per token: the division by F, the add of eps, the inverse square root (3). fvcore has no handle for
    aten::rms_norm: it counts 0, and verify lists the operator as one fvcore does not count."""

    kind = "rmsnorm"
    help = "RMS normalisation over the features of each token ([T, F] or [F]), as nn.RMSNorm(F): a scale, no shift"
    words = (Words(r"rms.?norm", 125),)
    example = Example("rmsnorm", (6,), "RMSNorm")
    fields = {"eps": Float(None, "added to the mean square; by default the dtype's machine epsilon, as in PyTorch",
                           lo=0.0, lo_open=True),
              "affine": Bool(True, "learn a scale per feature (elementwise_affine in PyTorch)")}

    def features(self, x: Shape) -> tuple[int, int]:
        return x.dims[-1], x.numel // x.dims[-1]

    def infer(self, x: Shape) -> Out:
        if x.layout == MAP:
            raise self.error(f"rmsnorm normalises the features of tokens [T, F] or [F], but the input is a map [{x}]",
                             hint="name the input's axes, as input: {tokens: T, features: F}, or use layernorm, "
                             "which normalises a map's channels at each position")
        return self.normalise(x, 3, 3, self.affine, False)

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # PyTorch composes it on the CPU: the input (squared, and multiplied by the inverse root mean square) and
        # that inverse in fp32, for the input's gradient; with a scale, also the normalised input it multiplies,
        # for the scale's. In half precision the input kept is its fp32 copy.
        groups = self.features(x)[1]
        normalised = (Tensor("normalised", x.numel),) if self.affine else ()
        for_input = (Tensor(INPUT, x.numel), Tensor("inverse rms", groups, "fp32")) if out.grad_in else ()
        return Tensors(saved=(*for_input, *normalised))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.RMSNorm", x.dims[-1], eps=self.eps, elementwise_affine=self.affine)
