"""Selecting part of a tensor: slice, a range of a map's channels.

ShuffleNet v2's basic unit splits its input's channels in two (x.chunk(2, dim=1)), keeps one half and
transforms the other: `concat: [slice: {stop: 58}, [slice: {start: 58}, conv: ...]]`. A slice is
x[:, start:stop], a view in PyTorch: it allocates nothing and computes nothing, and keeps nothing for
backward (its gradient is the upstream one padded with zeros). Each position keeps its receptive field.
"""

from __future__ import annotations

from nnarith.layers.base import VIEW, Example, Layer, Out, Shape, Tensors, Words, register
from nnarith.layers.fields import Int


@register
class Slice(Layer):
    kind = "slice"
    shorthand = "stop"
    help = "the channels [start, stop) of a map, as x[:, start:stop] (ShuffleNet's channel split); a view"
    functional = True  # indexing in forward: x.chunk or x[:, a:b], no module
    words = (Words(r"channel.?split|^slice\d*\b|^split\d*\b", 309),)
    example = Example("slice: {start: 2, stop: 5}", (6, 3, 3), "channel split")
    fields = {
        "start": Int(0, "the first channel kept, counted from 0", min=0),
        "stop": Int(None, "one past the last channel kept; by default the input's channels (the rest)"),
    }

    def bounds(self, x: Shape) -> tuple[int, int]:
        """start and stop, checked against the input's channels."""
        self.need_map(x)
        c = x.dims[0]
        stop = c if self.stop is None else self.stop
        if stop > c:
            raise self.error(f"slice stop {stop} is past the {c} input channels", "stop",
                             hint=f"stop is one past the last channel kept: at most {c}")
        if self.start >= stop:
            raise self.error(f"slice [{self.start}, {stop}) keeps no channel of the {c}",
                             "start" if "start" in self.locs else "stop",
                             hint=f"give start < stop <= {c}: start is the first channel kept, stop one past the last")
        return self.start, stop

    def infer(self, x: Shape) -> Out:
        start, stop = self.bounds(x)
        out = Out(Shape((stop - start, *x.dims[1:])), storage=VIEW)
        out.work["output"] = f"channels {start} to {stop - 1} of {x.dims[0]}: {stop} - {start} = {stop - start}"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("ChannelSlice", *self.bounds(x))  # nnarith/torch/select_modules.py
