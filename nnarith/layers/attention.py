"""Multi-head self-attention on tokens [T, F] (Vaswani et al. 2017; nn.MultiheadAttention's layout).

With h heads of d features each: q, k and v are projections of the input to h*d features (one weight
[3*h*d, F], as PyTorch's in_proj_weight), each head takes softmax(q kᵀ / sqrt(d)) v over the tokens, and the
joined heads project back to F (out_proj).
- params: 4 x F x h*d weights; with bias, 3*h*d + F biases.
- MACs (torchvision's convention: the matrix products, bias excluded): the projections T x F x 3*h*d and
  T x h*d x F, then per head q kᵀ (T x T x d) and the weighted sum of the values (T x T x d), in full: a dense
  kernel computes all T x T scores even when a causal mask discards those above the diagonal. `count: triangle`
  counts only the T(T+1)/2 scores a causal kernel that skips the masked ones computes.
- other ops: the bias adds, one scale by 1/sqrt(d) per score, one add per score for the causal mask (dense),
  and softmax's three per score (exponent, sum, divide), as activation.py's softmax.
- memory (training, as autograd keeps it for the explicit products, nnarith/torch/attention_modules.py): the
  input, q, k and v (T x h*d each, as the products copy them), the attention weights (the softmax of the
  scores, h x T x T) and the joined heads before out_proj. Fused kernels (PyTorch's flash attention on the CPU)
  keep h x T statistics instead of the scores; this model is the dense one the MACs count.

The figures are built per group of tokens that attend among themselves (attend(), on Heads): one group of all
T tokens here. A windowed attention (Swin's window_attention, layers/window.py) is `groups` windows of T tokens
each, every figure but the projections' weights multiplied by the groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnarith.analysis.backward import Grads
from nnarith.analysis.expr import Expr, Num, Paren, mul, plus, times
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
from nnarith.layers.fields import Bool, Choice, Int

DENSE, TRIANGLE = "dense", "triangle"
_SOFTMAX_OPS = 3  # activation.py's softmax: exponent, sum, divide


def _scaled(groups: int, *factors: Expr | int) -> Expr:
    """A product over one group, times the groups where there are more than one."""
    return times(*((groups,) if groups > 1 else ()), *factors)


@dataclass(frozen=True)
class Heads:
    """Attention's sizes: `groups` groups of t tokens of f features, each group attending among itself
    (one group for attention, the windows for a windowed attention), with h heads of d features."""

    groups: int
    t: int
    f: int
    h: int
    d: int


@dataclass(frozen=True)
class Figures:
    """The expressions attend() counted, for a kind that adds its own to them (window_attention's bias table)."""

    weights: Expr
    params: Expr
    projections: Expr
    qk: Expr
    av: Expr
    scores: int  # one per head, pair of tokens and group: the T x T scores in all


def attend(out: Out, a: Heads, bias: bool, causal: bool = False, count: str = DENSE) -> Figures:
    """Fill out's params, MACs, other ops and fvcore with multi-head attention's, over a.groups groups of tokens:
    the projections' weights are shared by every group, every other figure is per group."""
    groups, t, f, h, d = a.groups, a.t, a.f, a.h, a.d
    inner = mul(h, d) if h > 1 else d  # the features of all heads
    weights = times(4, f, inner)
    out.weights = weights.value
    out.biases = plus(times(3, inner), f).value if bias else 0
    pairs = (Num(t * (t + 1) // 2, f"{t}*({t}+1)/2") if count == TRIANGLE else times(t, t))
    projections = _scaled(groups, t, f, Paren(plus(times(3, inner), inner)))
    qk = _scaled(groups, h, pairs, d)  # q kᵀ: d multiply-adds per score
    av = _scaled(groups, h, pairs, d)  # the scores times v: d per score and feature of a head
    macs = plus(projections, qk, av)
    out.macs = macs.value
    # Backward (analysis/backward.py): each projection's dX and dW are products its size; QKᵀ and AV have no
    # weight but two inputs, each gradient a product the forward's size. Where the input needs no gradient,
    # the q, k, v projections' dX is skipped, but the output projection's and the scores' are still needed.
    output_projection = _scaled(groups, t, inner, f)
    scores_grads = plus(times(2, qk), times(2, av))
    out.grads = Grads(plus(projections, scores_grads), plus(output_projection, scores_grads), projections)
    scores = _scaled(groups, h, pairs).value
    bias_adds = groups * t * (3 * h * d + f) if bias else 0
    mask = scores if causal and count == DENSE else 0
    out.other_ops = bias_adds + scores + mask + _SOFTMAX_OPS * scores
    # fvcore counts linear and matmul per multiply-accumulate, of the dense products PyTorch runs
    dense = projections.value + 2 * groups * h * t * t * d
    out.fvcore = dense
    if count == TRIANGLE:
        out.notes.append(f"count: triangle counts {dense - out.macs:,} MACs fewer than the dense products "
                         f"PyTorch's kernels run ({dense:,}): verify's FlopCounterMode, which measures those, "
                         "finds twice as many FLOPs more")
    params = plus(weights, times(3, inner), f) if bias else weights
    out.work["params"] = params.equation(tail="(q, k, v and output projections)")
    out.work["macs"] = macs.equation(tail="(projections, then qk and av per head"
                                     + (" and window)" if groups > 1 else ")"))
    per = f"{groups} windows of {t} tokens" if groups > 1 else f"{t} tokens"
    out.work["output"] = (f"{per} of {f} features, {h} heads of {d}; MACs: projections {projections.value:,}"
                          f" + QKᵀ {qk.value:,} + AV {av.value:,}"
                          + (f" ({count}: {pairs.text} scores per head)" if causal else ""))
    return Figures(weights, params, projections, qk, av, scores)


@register
class Attention(Layer):
    kind = "attention"
    contiguous_input = True  # its q, k, v projection
    aliases = ("mhsa", "self_attention")
    shorthand = "heads"
    help = ("multi-head self-attention on tokens [T, F], as nn.MultiheadAttention(F, heads): q, k, v and output "
            "projections; MACs count the projections and, per head, q kᵀ and the weighted sum of v over all T x T "
            "scores (count: triangle, only the lower triangle of a causal mask); every token sees every input "
            "token, so its receptive field is the whole input")
    weighted = True
    keeps_shape = True
    words = (Words(r"multi.?head|self.?attention|\bmhsa\b|\bmha\b|attention", 95),)  # before fc's: 'attention fc'
    example = Example("attention: 2", (4, 8), "multi-head attention", TOKENS)
    fields = {
        "heads": Int(doc="attention heads (h)"),
        "head_dim": Int(None, "features per head (d); by default F / heads, which heads must then divide"),
        "bias": Bool(True, "biases in the q, k, v and output projections (nn.MultiheadAttention's bias)"),
        "causal": Bool(False, "mask the scores above the diagonal: each token attends to itself and earlier ones"),
        "count": Choice(DENSE, TRIANGLE, default=DENSE,
                        doc="dense: q kᵀ and the weighted sum over all T x T scores, as dense kernels compute them; "
                            "triangle: only the T(T+1)/2 a causal mask keeps (needs causal: true)"),
    }

    def dims(self, x: Shape) -> tuple[int, int, int, int]:
        """(T, F, h, d), refusing what is not tokens or a head size that does not fit."""
        if x.layout != TOKENS:
            what = f"a map [{x}]" if x.layout == MAP else f"flat [{x}]"
            raise self.error(f"attention works on tokens [T, F], but the input is {what}",
                             hint="name the input's axes, as input: {tokens: T, features: F}, or make tokens first "
                             "(reshape with layout: tokens, or a patch embedding)")
        t, f = x.dims
        if self.head_dim is None and f % self.heads:
            raise self.error(f"heads={self.heads} does not divide the {f} features, so there is no head_dim "
                             f"F / heads", "heads", hint=f"choose heads that divide {f}, or give head_dim "
                             "(heads x head_dim need not be F)")
        if self.count == TRIANGLE and not self.causal:
            raise self.error("count: triangle counts the lower triangle of a causal mask, but causal is false",
                             "count", hint="add causal: true, or count: dense")
        return t, f, self.heads, self.head_dim or f // self.heads

    def infer(self, x: Shape) -> Out:
        t, f, h, d = self.dims(x)
        out = Out(x, effect=WHOLE)
        attend(out, Heads(1, t, f, h, d), self.bias, self.causal, self.count)
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        t, f, h, d = self.dims(x)
        head = t * h * d
        scores = h * t * t  # the dense T x T per head, whatever the count
        saved = (Tensor(INPUT, x.numel), Tensor("queries", head), Tensor("keys", head), Tensor("values", head),
                 Tensor("attention weights (softmax of the scores)", scores), Tensor("joined heads", head))
        scratch = [Tensor("q, k, v projection", 3 * head), Tensor("scores", scores), Tensor("scaled scores", scores),
                   Tensor("heads", head)]
        if self.causal:
            scratch += [Tensor("mask", t * t, per_image=False), Tensor("masked scores", scores)]
        return Tensors(saved=saved, scratch=tuple(scratch))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        t, f, h, d = self.dims(x)
        return construct("SelfAttention", f, h, d, bias=self.bias, causal=self.causal)

