"""Windowed self-attention on a map, and the 2x2 patch merging between its stages (Liu et al. 2021, Swin).

window_attention reads a 2-D map [C, H, W] as H x W tokens of C features (the channels at each position, as
layernorm on a map reads them) and does what torchvision's shifted_window_attention does, in its order:
- pads the map at the bottom and right to a multiple of the window w (zeros, as F.pad);
- shifts it cyclically by -shift in H and W (torch.roll), where the window does not cover the padded map
  (torchvision sets the shift to 0 where it does: Swin-T's last stage, 7x7 with w = 7);
- partitions it into (H/w) x (W/w) windows of w*w tokens, and runs multi-head attention in each window, on
  scores plus a learned relative position bias (a table of (2w-1)^2 x heads, indexed by a buffer of
  (w*w)^2 int64, relative_position_index) and, where shifted, a mask of -100 between tokens that the shift
  brought together from opposite edges;
- merges the windows back, shifts back by +shift and crops the padding.
Counts: attention's (layers/attention.py's attend) over groups = the windows and T = w*w tokens: the q, k, v and
output projections once per token, q kᵀ and the weighted sum of v per head and window in full (w*w x w*w scores
each), bias excluded; so torchvision's GFLOPS of Swin. The relative bias add and the mask add (one op per score
each) are other ops, as the scale and softmax are; the shift, partition and merge move data (0 ops). fvcore
counts the linear and matmul products, as the MACs.
Memory (training, as autograd keeps it for nnarith/torch/window_modules.py's module): the windows (a copy of
the input in window order, which the q, k, v projection keeps), q, k and v (for one head, views of their
projection, which is kept instead), the attention weights and the joined heads, as attention's; scratch: the
padded and shifted maps, the scores, the gathered bias table and the mask.
Receptive field: n/a, as after upsampling. Each token sees exactly the tokens of its window (with a shift, of
its region of the window), so the field's size is one window's, but where it lies depends on the token's place
in its window: there is no one window per position, which is what the field (receptive.py) tracks.

patch_merge gathers each 2x2 neighbourhood into the channels: [C, H, W] -> [4C, ceil(H/2), ceil(W/2)] in
torchvision's PatchMerging order (x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2], concatenated),
an odd size padded with zeros first. No arithmetic; its field is a 2x2 window of stride 2.
"""

from __future__ import annotations

from nnarith.analysis.expr import Paren, minus, mul, plus, times
from nnarith.analysis.receptive import UNDEFINED, Window
from nnarith.layers.attention import Heads, attend
from nnarith.layers.base import MAP, Example, Layer, Out, Shape, Tensor, Tensors, Words, register
from nnarith.layers.fields import Bool, Int


def _need_plane(layer: Layer, x: Shape) -> None:
    layer.need_map(x)
    if x.rank != 2:
        raise layer.error(f"{layer.kind} works on a 2-D map [C, H, W]; the input {x} has {x.rank} spatial "
                          f"dimension{'s' if x.rank != 1 else ''}", hint="Swin's windows are square patches of "
                          "an image: give the map as [C, H, W]")


@register
class WindowAttention(Layer):
    kind = "window_attention"
    aliases = ("shifted_window_attention", "swin_attention")
    shorthand = "heads"
    help = ("Swin's (shifted) window attention on a map [C, H, W] of H x W tokens of C features, as torchvision's "
            "ShiftedWindowAttention: cyclic shift, window partition, multi-head attention per window with a "
            "relative position bias (and the shift's mask), window merge, reverse shift; MACs count the "
            "projections and, per window and head, q kᵀ and the weighted sum of v over all w*w x w*w scores")
    weighted = True
    keeps_shape = True
    words = (Words(r"shifted.?window|window.?attention|\bw-?msa\b|\bsw-?msa\b", 94),)  # before attention's
    example = Example("window_attention: {heads: 2, window: 2, shift: 1}", (4, 4, 4), "SW-MSA")
    fields = {
        "heads": Int(doc="attention heads (h)"),
        "window": Int(doc="the window's side w: attention runs among the w*w tokens of each window"),
        "shift": Int(0, "the cyclic shift (Swin: 0 on even blocks, w // 2 on odd ones); 0 where the window covers "
                     "the padded map, as torchvision sets it", min=0),
        "head_dim": Int(None, "features per head (d); by default C / heads, which heads must then divide"),
        "bias": Bool(True, "biases in the q, k, v and output projections (torchvision's qkv_bias, proj_bias)"),
    }

    def dims(self, x: Shape) -> tuple[int, int, int, int, int, int, int]:
        """(C, padded H, padded W, h, d, shift in H, shift in W), refusing what does not fit."""
        _need_plane(self, x)
        c, height, width = x.dims
        if self.head_dim is None and c % self.heads:
            raise self.error(f"heads={self.heads} does not divide the {c} channels, so there is no head_dim "
                             f"C / heads", "heads", hint=f"choose heads that divide {c}, or give head_dim")
        w = self.window
        if self.shift >= w:
            raise self.error(f"shift={self.shift} is not less than the window {w}", "shift",
                             hint=f"a cyclic shift moves the windows by less than one: Swin shifts by {w // 2}")
        hp, wp = -(-height // w) * w, -(-width // w) * w  # padded to whole windows
        sh, sw = (0 if w >= hp else self.shift), (0 if w >= wp else self.shift)
        return c, hp, wp, self.heads, self.head_dim or c // self.heads, sh, sw

    def infer(self, x: Shape) -> Out:
        c, hp, wp, h, d, sh, sw = self.dims(x)
        w = self.window
        windows = (hp // w) * (wp // w)
        out = Out(x, effect=UNDEFINED)
        figures = attend(out, Heads(windows, w * w, c, h, d), self.bias)
        side = Paren(minus(mul(2, w), 1, tight=True))  # offsets -(w-1) to w-1 in each dimension
        table = times(mul(side, side), h)
        out.weights += table.value
        index = mul(w * w, w * w)  # relative_position_index: a row of the table per pair of a window's tokens
        out.buffers = index.value  # int64, counted as elements, as model.buffers() counts them
        out.other_ops += figures.scores * (2 if sh or sw else 1)  # the bias add, and the mask add where shifted
        out.work["params"] = plus(figures.params, table).equation(
            tail="(q, k, v and output projections, relative position bias table)")
        out.work["buffers"] = index.equation(tail="(relative position index)")
        padded = f", padded to {hp}x{wp}" if (hp, wp) != tuple(x.dims[1:]) else ""
        shifted = f", shifted by ({sh}, {sw})" if sh or sw else ", not shifted"
        out.work["output"] = f"{x.dims[1]}x{x.dims[2]}{padded}{shifted}: " + out.work["output"]
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        c, hp, wp, h, d, sh, sw = self.dims(x)
        t, groups = self.window**2, (hp // self.window) * (wp // self.window)
        head, scores = groups * t * h * d, groups * h * t * t
        # the products copy q, k and v out of the projection, except for one head, whose are views of it
        qkv = ((Tensor("q, k, v projection", 3 * head),) if h == 1 else
               (Tensor("queries", head), Tensor("keys", head), Tensor("values", head)))
        saved = (Tensor("windows (the input in window order)", hp * wp * c), *qkv,
                 Tensor("attention weights (softmax of the scores)", scores), Tensor("joined heads", head))
        scratch = [*(() if h == 1 else (Tensor("q, k, v projection", 3 * head),)), Tensor("scores", scores),
                   Tensor("scaled scores", scores),
                   Tensor("relative position bias (gathered, then per head)", h * t * t, per_image=False, count=2),
                   Tensor("biased scores", scores), Tensor("heads", head)]
        padded = (hp, wp) != tuple(x.dims[1:])
        if padded:
            scratch.append(Tensor("padded input", hp * wp * c))
        if sh or sw:
            scratch += [Tensor("shifted input", hp * wp * c), Tensor("mask", groups * t * t, per_image=False),
                        Tensor("masked scores", scores)]
        # the windows merged, then shifted back: the last is the output, unless the padding is cropped off after
        back = ["merged windows", *(["shifted back"] if sh or sw else [])][:None if padded else -1]
        scratch += [Tensor(step, hp * wp * c) for step in back]
        return Tensors(saved=saved, scratch=tuple(scratch))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        c, _, _, h, d, _, _ = self.dims(x)
        return construct("WindowAttention", c, h, d, self.window, self.shift, bias=self.bias)


@register
class PatchMerge(Layer):
    kind = "patch_merge"
    aliases = ("patch_merging",)
    help = ("Swin's patch merging gather: each 2x2 neighbourhood of a map [C, H, W] into the channels, [4C, H/2, "
            "W/2] (an odd size padded first), in torchvision's PatchMerging order; no arithmetic (its LayerNorm "
            "and Linear are layernorm and a 1x1 conv after it)")
    words = (Words(r"patch.?merg", 96),)
    example = Example("patch_merge", (3, 4, 4), "PatchMerging")
    fields = {}

    def infer(self, x: Shape) -> Out:
        _need_plane(self, x)
        c, height, width = x.dims
        sizes = [-(-s // 2) for s in (height, width)]
        out = Out(Shape((4 * c, *sizes), MAP), effect=Window((2, 2), (2, 2), (0, 0)))
        halves = "; ".join(f"{n}: ceil({s}/2) = {-(-s // 2)}" if s % 2 else f"{n}: {s}/2 = {s // 2}"
                           for n, s in zip("HW", (height, width)))
        out.work["output"] = f"{mul(4, c).equation(grouped=False)} channels (2x2 neighbours); {halves}"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # slices and a concatenation: autograd keeps nothing

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("PatchMerge")
