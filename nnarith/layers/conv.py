"""Convolution and transposed convolution, in 1, 2 or 3 spatial dimensions."""

from __future__ import annotations

from math import gcd, prod

from nnarith.analysis.arithmetic import Size, transposed_out, window_out
from nnarith.analysis.expr import Expr, Paren, mul, plus, times
from nnarith.analysis.receptive import UNDEFINED, Window
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
from nnarith.layers.fields import Bool, Int, Spatial


def _common() -> dict:
    return {
        "out": Int(doc="output channels"),
        "kernel": Spatial(doc="kernel size, or one per dimension"),
        "stride": Spatial(1, "stride"),
        "dilation": Spatial(1, "dilation (spacing of the kernel taps)"),
        "groups": Int(1, "groups: each output channel sees C_in/groups input channels"),
        "bias": Bool(True, "add a learned bias per output channel"),
    }


class _ConvBase(Layer):
    shorthand = "out"
    weighted = True

    def check_groups(self, x: Shape) -> int:
        c_in, g = x.dims[0], self.groups
        for what, n in (("input channels", c_in), ("output channels", self.out)):
            if n % g:
                common = gcd(c_in, self.out)  # the groups that fit are its divisors: the first few, and itself
                both = [d for d in range(1, min(common, 10_000) + 1) if common % d == 0][:11]
                choices = ", ".join(map(str, both)) + (f", ..., {common}" if both[-1] != common else "")
                raise self.error(f"groups={g} does not divide the {n} {what}", "groups",
                                 hint=f"groups must divide both {c_in} and {self.out}, which leaves {choices}")
        return c_in // g

    why = ("the kernel is larger than the padded input", "kernel",
           "use a smaller kernel or stride, more padding, or a larger input")

    def sizes(self, x: Shape, results: list[Size]) -> list[int]:
        reason, field, hint = self.why
        for n, r in zip(x.dims[1:], results):
            if r.value < 1:
                raise self.error(f"output size {r.value} < 1: {r.text}; {reason} {n}", field, hint=hint)
        return [r.value for r in results]

    def counts(self, out: Out, kernel: Expr) -> None:
        """Weights and biases, from the kernel's elements per output channel (kernel*C_in/groups)."""
        weights = times(self.out, kernel)
        params = times(self.out, Paren(plus(kernel, 1) if self.bias else kernel))
        out.weights, out.biases = weights.value, self.out if self.bias else 0
        out.work["params"] = params.equation()
        out.work["weights"] = weights.equation()


@register
class Conv(_ConvBase):
    kind = "conv"
    help = "convolution; 1-D, 2-D or 3-D by the input's rank"
    fields = {**_common(), "pad": Spatial(0, "zero padding per side, or 'same'", min=0, words=("same",))}
    words = (Words(r"conv", 20),)
    positional = ("Conv1d", "Conv2d", "Conv3d")
    example = Example("conv: {out: 4, kernel: 3, stride: 2, pad: 1}", (3, 8, 8), "3x3 conv, 4")

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        k, s, d = self.per_dim("kernel", x), self.per_dim("stride", x), self.per_dim("dilation", x)
        c_in_g = self.check_groups(x)
        if self.pad == "same":
            if any(v != 1 for v in s):
                raise self.error("pad 'same' needs stride 1 (PyTorch refuses it for strided "
                                 "convolutions)", "pad", hint="give the padding as a number")
            # PyTorch pads d*(k-1) in total, the odd pixel on the right.
            p = tuple(dd * (kk - 1) // 2 for kk, dd in zip(k, d))
            results = [Size(n, f"'same' padding keeps {n}") for n in x.dims[1:]]
        else:
            p = self.per_dim("pad", x)
            results = [window_out(*a) for a in zip(x.dims[1:], k, s, p, d)]
        spatial = self.sizes(x, results)
        out = Out(Shape((self.out, *spatial)))
        out.effect = Window(tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d)), s, p)
        kernel = mul(*k, c_in_g)
        self.counts(out, kernel)
        macs = times(mul(*spatial, self.out), kernel)
        out.macs = macs.value
        # PyTorch runs padding='same' as aten::_convolution_mode, an operator fvcore does not count.
        out.fvcore = 0 if self.pad == "same" else out.macs
        out.other_ops = out.shape.numel if self.bias else 0  # one bias add per output element
        out.flags = dim_flags(x, results)
        out.work["output"] = dim_texts(x, [r.text for r in results])
        out.work["macs"] = macs.equation()
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        if self.pad == "same":
            odd = [dd * (kk - 1) % 2 for kk, dd in zip(self.per_dim("kernel", x), self.per_dim("dilation", x))]
            if any(odd):  # PyTorch pads a copy of the input by the odd pixel, and keeps that copy
                padded = x.dims[0] * prod(n + o for n, o in zip(x.dims[1:], odd))
                return Tensors(saved=(Tensor("padded input", padded),))
        return Tensors(saved=(Tensor(INPUT, x.numel),))  # for the weights' gradient

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct(torch_class("Conv", x), x.dims[0], self.out, kernel_size=self.kernel, stride=self.stride,
                         padding=self.pad, dilation=self.dilation, groups=self.groups, bias=self.bias)


@register
class Deconv(_ConvBase):
    kind = "deconv"
    aliases = ("conv_transpose",)
    help = "transposed convolution (fractionally strided); 1-D, 2-D or 3-D"
    words = (Words(r"deconv|conv.?transpose|transposed|up-?conv|fractionally", 10),)  # before conv
    positional = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
    example = Example("deconv: {out: 2, kernel: 4, stride: 2, pad: 1}", (3, 4, 4), "4x4 deconv, 2")
    why = ("the padding removes more than the transposed convolution makes of the input", "pad",
           "use less padding, or a larger kernel, stride or output_padding")
    fields = {
        **_common(),
        "pad": Spatial(0, "padding removed from each side of the output", min=0),
        "output_padding": Spatial(0, "extra size added to one side of the output", min=0),
    }

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        k, s, d = self.per_dim("kernel", x), self.per_dim("stride", x), self.per_dim("dilation", x)
        p, op = self.per_dim("pad", x), self.per_dim("output_padding", x)
        c_in_g = self.check_groups(x)
        for o, ss, dd in zip(op, s, d):
            if o >= max(ss, dd):
                raise self.error(
                    f"output_padding {o} must be smaller than the stride ({ss}) or the dilation ({dd})",
                    "output_padding",
                )
        results = [transposed_out(*a) for a in zip(x.dims[1:], k, s, p, d, op)]
        spatial = self.sizes(x, results)
        out = Out(Shape((self.out, *spatial)), effect=UNDEFINED)
        self.counts(out, mul(*k, c_in_g))
        # Each input element is multiplied by a kernel slab of C_out/groups x kernel (fvcore's rule).
        macs = times(mul(*x.dims[1:], x.dims[0]), mul(*k, self.out // self.groups))
        out.macs = out.fvcore = macs.value
        out.other_ops = out.shape.numel if self.bias else 0
        out.work["output"] = dim_texts(x, [r.text for r in results])
        out.work["macs"] = macs.equation()
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel),))  # for the weights' gradient

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct(torch_class("ConvTranspose", x), x.dims[0], self.out, kernel_size=self.kernel,
                         stride=self.stride, padding=self.pad, output_padding=self.output_padding,
                         groups=self.groups, bias=self.bias, dilation=self.dilation)
