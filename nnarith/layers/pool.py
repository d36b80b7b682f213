"""Pooling: max, average, adaptive and global, in 1, 2 or 3 spatial dimensions.

ops: max pooling does kernel-1 comparisons per output element; average pooling does
kernel adds and divides (kernel-1 adds and one divide) per output element.
"""

from __future__ import annotations

from math import prod

from nnarith.analysis.arithmetic import adaptive_reads, window_out
from nnarith.analysis.receptive import UNDEFINED, WHOLE, Window
from nnarith.layers.base import (
    INPUT,
    Example,
    Layer,
    Out,
    Shape,
    Tensor,
    Tensors,
    Words,
    dim_flags,
    dim_texts,
    register,
    torch_class,
)
from nnarith.layers.fields import Bool, Spatial

# Row labels that may mean several pooling kinds, narrowest first: 'global pool' is gap or an adaptive
# average pool to 1, 'max pool' a max pool or an adaptive one, 'pool' alone any of them.
_ADAPTIVE = Words(r"adaptive", 40)
_GLOBAL = Words(r"global.*pool|\bgap\b", 50)
_MAX = Words(r"max.?pool", 60)
_AVERAGE = Words(r"(avg|average|mean).?pool", 70)
_ANY = Words(r"pool|subsampl", 80)


class _Pool(Layer):
    shorthand = "kernel"
    family, ceil_mode = "pool", True
    fields = {
        "kernel": Spatial(doc="window size, or one per dimension"),
        "stride": Spatial(None, "stride; defaults to the kernel"),
        "pad": Spatial(0, "implicit padding per side (at most half the kernel)", min=0),
        "ceil": Bool(False, "ceil mode: round the size up, as PyTorch's ceil_mode=True"),
    }

    def window(self, x: Shape) -> tuple[tuple[int, ...], ...]:
        self.need_map(x)
        k = self.per_dim("kernel", x)
        s = k if self.stride is None else self.per_dim("stride", x)
        p = self.per_dim("pad", x)
        d = self.per_dim("dilation", x) if "dilation" in self.args else (1,) * x.rank
        for kk, pp in zip(k, p):
            if pp > kk // 2:
                raise self.error(f"pad {pp} is more than half the kernel {kk}", "pad",
                                 hint=f"PyTorch requires pad <= kernel // 2 = {kk // 2}")
        return k, s, p, d

    def pooled(self, x: Shape, k, s, p, d) -> Out:
        results = [window_out(n, *a, ceil=self.ceil) for n, *a in zip(x.dims[1:], k, s, p, d)]
        for n, r in zip(x.dims[1:], results):
            if r.value < 1:
                raise self.error(f"size {n} is pooled away to nothing: {r.text}", "kernel",
                                 hint="use a smaller kernel, or pool fewer times")
        out = Out(Shape((x.dims[0], *[r.value for r in results])))
        out.effect = Window(tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d)), s, p)
        out.flags = dim_flags(x, results)
        out.work["output"] = dim_texts(x, [r.text for r in results])
        return out


@register
class MaxPool(_Pool):
    kind = "maxpool"
    help = "max pooling; stride defaults to the kernel"
    words = (_MAX, _ANY)
    example = Example("maxpool: {kernel: 3, stride: 2, ceil: true}", (3, 8, 8), "3x3 max pool")
    fields = {**_Pool.fields, "dilation": Spatial(1, "dilation of the window")}

    def infer(self, x: Shape) -> Out:
        k, s, p, d = self.window(x)
        out = self.pooled(x, k, s, p, d)
        out.other_ops = out.shape.numel * (prod(k) - 1)
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel), Tensor("indices", out.shape.numel, "int64")))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct(torch_class("MaxPool", x), self.kernel, stride=self.stride, padding=self.pad,
                         dilation=self.dilation, ceil_mode=self.ceil)


@register
class AvgPool(_Pool):
    kind = "avgpool"
    help = "average pooling; stride defaults to the kernel; padding counts as zeros"
    words = (_AVERAGE, _ANY)
    example = Example("avgpool: {kernel: 2, pad: 1}", (3, 7, 7), "avg pool")

    def infer(self, x: Shape) -> Out:
        k, s, p, d = self.window(x)
        if x.rank == 3 and any(n < kk for n, kk in zip(x.dims[1:], k)):
            # PyTorch's avg_pool3d alone also refuses a kernel larger than the unpadded input.
            raise self.error(f"3-D average pooling needs the input {x} to be at least the kernel "
                             f"{'x'.join(map(str, k))} in every dimension (padding not counted)", "kernel",
                             hint="use a smaller kernel, or pool fewer times")
        out = self.pooled(x, k, s, p, d)
        out.other_ops = out.shape.numel * prod(k)
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel),))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct(torch_class("AvgPool", x), self.kernel, stride=self.stride, padding=self.pad,
                         ceil_mode=self.ceil)


class _Adaptive(Layer):
    shorthand = "out"
    family = "pool"
    fields = {"out": Spatial(doc="output size, or one per dimension")}

    def adapt(self, x: Shape) -> tuple[Out, int]:
        """The output, and how many input elements per channel its windows read together."""
        self.need_map(x)
        sizes = self.per_dim("out", x)
        reads = prod(adaptive_reads(n, o) for n, o in zip(x.dims[1:], sizes))
        out = Out(Shape((x.dims[0], *sizes)))
        if all(o == 1 for o in sizes):
            out.effect = WHOLE
        elif all(n % o == 0 for n, o in zip(x.dims[1:], sizes)):
            steps = tuple(n // o for n, o in zip(x.dims[1:], sizes))
            out.effect = Window(steps, steps, (0,) * x.rank)
        else:  # overlapping windows of varying size: not one fixed window
            out.effect = UNDEFINED
        out.work["output"] = f"adaptive: {x} -> {out.shape}"
        return out, reads


@register
class AdaptiveAvgPool(_Adaptive):
    kind = "adaptive_avgpool"
    help = "adaptive average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d"
    words = (_ADAPTIVE, _GLOBAL, _AVERAGE, _ANY)
    example = Example("adaptive_avgpool: 2", (3, 5, 5), "adaptive avg pool")

    def infer(self, x: Shape) -> Out:
        out, reads = self.adapt(x)
        out.other_ops = x.dims[0] * reads  # one add or divide per input read
        out.fvcore = x.numel if x.rank == 2 else 0  # fvcore counts adaptive_avg_pool2d only
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        if all(n == 1 for n in out.shape.dims[1:]):  # PyTorch runs it as a mean, which keeps only the shape
            return Tensors()
        return Tensors(saved=(Tensor(INPUT, x.numel),))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct(torch_class("AdaptiveAvgPool", x), self.out)


@register
class AdaptiveMaxPool(_Adaptive):
    kind = "adaptive_maxpool"
    help = "adaptive max pooling to a fixed output size"
    words = (Words(r"adaptive.?max", 30), _ADAPTIVE, _MAX, _ANY)
    example = Example("adaptive_maxpool: [2, 3]", (3, 6, 6), "adaptive max pool")

    def infer(self, x: Shape) -> Out:
        out, reads = self.adapt(x)
        out.other_ops = x.dims[0] * (reads - out.shape.numel // x.dims[0])
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel), Tensor("indices", out.shape.numel, "int64")))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct(torch_class("AdaptiveMaxPool", x), self.out)


@register
class GlobalAvgPool(Layer):
    kind = "gap"
    aliases = ("global_avgpool",)
    help = "global average pooling: [C, ...] -> [C, 1, ...], as AdaptiveAvgPool(1)"
    family = "pool"
    words = (_ADAPTIVE, _GLOBAL, _AVERAGE, _ANY)
    example = Example("gap", (3, 5, 5), "global average pool")

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        out = Out(Shape((x.dims[0],) + (1,) * x.rank), effect=WHOLE)
        out.other_ops = x.numel  # every input element is added once; the adds and the divide per channel
        out.fvcore = x.numel if x.rank == 2 else 0  # fvcore counts adaptive_avg_pool2d only
        out.work["output"] = f"global average: {x} -> {out.shape}"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # PyTorch runs it as a mean, whose backward needs only the shape

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct(torch_class("AdaptiveAvgPool", x), 1)
