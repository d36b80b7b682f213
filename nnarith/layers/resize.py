"""Upsampling by a scale factor or to a size, as torch.nn.Upsample.

ops: nearest copies (0 per output element); bilinear blends four inputs, counted as 4 per
output element, as fvcore counts it.
"""

from __future__ import annotations

from nnarith.analysis.arithmetic import Size, scaled_out
from nnarith.analysis.receptive import UNDEFINED
from nnarith.layers.base import Example, Layer, Out, Shape, Tensors, Words, dim_flags, dim_texts, register
from nnarith.layers.fields import Choice, Scale, Spatial


@register
class Upsample(Layer):
    kind = "upsample"
    shorthand = "scale"
    help = "upsampling by a scale factor, or to a size (give one of the two)"
    words = (Words(r"upsampl", 280),)
    example = Example("upsample: {scale: 2, mode: bilinear}", (3, 4, 4), "upsample")
    fields = {
        "scale": Scale(None, "scale factor, or one per dimension"),
        "size": Spatial(None, "output size, or one per dimension"),
        "mode": Choice("nearest", "bilinear", default="nearest", doc="interpolation"),
    }

    def infer(self, x: Shape) -> Out:
        self.need_map(x)
        if (self.scale is None) == (self.size is None):
            raise self.error("upsample needs exactly one of scale and size",
                             hint="for example upsample: {scale: 2}")
        if self.mode == "bilinear" and x.rank != 2:
            raise self.error(f"bilinear upsampling needs a 2-D map; the input {x} has {x.rank} "
                             "spatial dimensions", "mode")
        if self.size is not None:
            results = [Size(o, f"{n} -> {o}") for n, o in zip(x.dims[1:], self.per_dim("size", x))]
        else:
            scales = self.scale if isinstance(self.scale, tuple) else (self.scale,) * x.rank
            if len(scales) != x.rank:
                raise self.error(f"scale lists {len(scales)} values but the input {x} has "
                                 f"{x.rank} spatial dimensions", "scale")
            results = [scaled_out(n, s) for n, s in zip(x.dims[1:], scales)]
        if any(r.value < 1 for r in results):
            raise self.error(f"upsampling gives an empty map: {dim_texts(x, [r.text for r in results])}",
                             "scale")
        out = Out(Shape((x.dims[0], *[r.value for r in results])), effect=UNDEFINED)
        out.other_ops = 4 * out.shape.numel if self.mode == "bilinear" else 0
        if x.rank == 2:  # fvcore counts 2-D upsampling only
            out.fvcore = (4 if self.mode == "bilinear" else 1) * out.shape.numel
        out.flags = dim_flags(x, results)
        out.work["output"] = dim_texts(x, [r.text for r in results])
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # nearest and bilinear backward need only the sizes

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        scale = self.scale if self.size is None else None
        return construct("nn.Upsample", size=self.size, scale_factor=scale, mode=self.mode)
