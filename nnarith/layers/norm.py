"""Normalisation: batch norm and local response normalisation."""

from __future__ import annotations

from nnarith.analysis.expr import plus, times
from nnarith.layers.base import INPUT, Example, Layer, Out, Shape, Tensor, Tensors, Words, register
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
