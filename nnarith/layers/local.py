"""The locally connected layer: a convolution with unshared weights, in 1, 2 or 3 spatial dimensions.

As Keras' LocallyConnected1D/2D and the "unshared convolution" of Goodfellow et al., Deep
Learning, 9.5: the windows are a convolution's (its shape rule, arithmetic.window_out, and its
receptive field), but every output position has its own filters. With P the output positions
and K = C_in*prod(kernel) the inputs of one filter:
- weights P x C_out x K: a convolution's C_out x K, once per position;
- biases one per output element, P x C_out, as Keras' LocallyConnected2D has them (its bias is
  [rows, cols, filters]) and as the book finds natural for a locally connected layer;
- MACs P x C_out x K, a convolution's own: each weight is used once per image, where a
  convolution uses each of its weights at all P positions.
"""

from __future__ import annotations

from math import prod

from nnarith.analysis.arithmetic import window_out
from nnarith.analysis.expr import Paren, mul, plus, times
from nnarith.analysis.receptive import Window
from nnarith.layers.base import Example, Out, Shape, Tensor, Tensors, Words, dim_flags, dim_texts, register
from nnarith.layers.conv import _common, _ConvBase
from nnarith.layers.fields import Bool, Spatial


@register
class Local(_ConvBase):
    kind = "local"
    aliases = ("locally_connected", "local_conv")
    help = ("locally connected layer (unshared convolution): a conv's windows, with filters of its own at every "
            "output position; P (the output positions) times a conv's params, a conv's MACs; 1-D, 2-D or 3-D")
    fields = {
        **{name: field for name, field in _common().items() if name not in ("groups", "bias")},
        "pad": Spatial(0, "zero padding per side", min=0, words=("same",)),  # 'same' only to be refused with a hint
        "bias": Bool(True, "add a learned bias per output element (channel and position), as Keras does"),
    }
    # Before conv's rank (20), for 'unshared convolution'; cuda-convnet's 'local3'; never 'local response norm'
    words = (Words(r"locally.?connected|unshared|\blocal.?(conv|layer|\d)", 15),)
    example = Example("local: {out: 4, kernel: 3, stride: 2, pad: 1}", (3, 8, 8), "3x3 locally connected, 4")

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        if self.pad == "same":
            raise self.error("local has no 'same' padding (nor has Keras' LocallyConnected2D)", "pad",
                             hint=self.same_hint(x))
        k, s, p, d = (self.per_dim(f, x) for f in ("kernel", "stride", "pad", "dilation"))
        results = [window_out(*a) for a in zip(x.dims[1:], k, s, p, d)]
        spatial = self.sizes(x, results)
        out = Out(Shape((self.out, *spatial)))
        out.effect = Window(tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d)), s, p)
        kernel = mul(*k, x.dims[0])
        positions = mul(*spatial)
        weights = times(positions, self.out, kernel)
        params = times(positions, self.out, Paren(plus(kernel, 1))) if self.bias else weights
        macs = times(mul(*spatial, self.out), kernel)
        out.weights, out.biases = weights.value, out.shape.numel if self.bias else 0
        out.macs = out.fvcore = macs.value  # fvcore counts its batched matrix product (aten::bmm) per MAC
        out.other_ops = out.biases  # one bias add per output element
        out.flags = dim_flags(x, results)
        out.work["output"] = dim_texts(x, [r.text for r in results])
        out.work["params"], out.work["weights"] = params.equation(), weights.equation()
        out.work["macs"] = macs.equation()
        return out

    def same_hint(self, x: Shape) -> str:
        spans = [dd * (kk - 1) for kk, dd in zip(self.per_dim("kernel", x), self.per_dim("dilation", x))]
        if any(span % 2 for span in spans):
            return "give the padding per side as a number; an even kernel cannot keep the size with equal padding"
        pads = [span // 2 for span in spans]
        value = pads[0] if len(set(pads)) == 1 else pads
        size = "x".join(map(str, x.dims[1:]))
        return f"give the padding per side as a number: at stride 1, pad: {value} keeps the size {size}"

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # The module (torch/local_modules.py) copies the windows into patches, which the matrix product's
        # backward keeps for the weights' gradient; the padded input and the product's [P, N, C_out] are scratch.
        k, p = self.per_dim("kernel", x), self.per_dim("pad", x)
        positions = out.shape.numel // self.out
        scratch = (Tensor("product", out.shape.numel),)
        if any(p):
            scratch = (Tensor("padded input", x.dims[0] * prod(n + 2 * pp for n, pp in zip(x.dims[1:], p))), *scratch)
        return Tensors(saved=(Tensor("patches", positions * x.dims[0] * prod(k)),), scratch=scratch)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("LocallyConnected", x.dims[0], self.out, x.dims[1:], kernel_size=self.kernel,
                         stride=self.stride, padding=self.pad, dilation=self.dilation, bias=self.bias)
