"""Training compute: each layer's backward MACs, as the gradient with respect to its input (dX) and
to its weights (dW).

The rule is uniform, so it is stated once, here: a weighted product (conv, deconv, fc, maxout, local,
patch_embed) runs, backward, one product of the forward's size for each gradient. dX is the forward
product with the weight transposed (a conv's is a transposed conv, a deconv's a conv, a grouped conv's
grouped as its forward), dW correlates the input with the output's gradient: each multiplies the same
pairs of numbers as the forward, so dX = dW = forward MACs. A kind whose products are not all weighted
states its own Grads in `infer`, beside its forward figures (Out.grads): attention, whose QKᵀ and AV
products have no weight but two inputs, each needing a gradient of the forward's size; recurrent
layers, whose step-to-step gradient is needed even where their input needs none. Kinds without MACs
have none backward (the gradients of a bias, an activation, a norm are elementwise: other ops, not
counted here, as the forward's are not counted in MACs).

What needs a gradient, as autograd decides it: the network's input does not; a layer's output does
if its input does or it has trainable parameters. A layer whose input needs no gradient computes no
dX (the first conv, and every layer before the first trainable one); a frozen layer (`frozen: true`,
on it or on a container around it) computes no dW, and its parameters are not trainable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from nnarith.analysis.expr import Expr, Num

Operand = Expr | int


@dataclass(frozen=True)
class Grads:
    """A layer's backward products: dx where its input needs a gradient; inner (part of dx) where it
    does not but the layer trains (the gradients inside it that its weights' gradients need); dw."""

    dx: Operand
    inner: Operand
    dw: Operand


class Backward(NamedTuple):
    """One row's backward MACs and trainable parameters, as the walk's context decided them."""

    dx: int = 0
    dw: int = 0
    trainable: int = 0  # its parameters, unless frozen

    @property
    def macs(self) -> int:
        return self.dx + self.dw


def total(rows: list[Backward]) -> Backward:
    return Backward(sum(b.dx for b in rows), sum(b.dw for b in rows), sum(b.trainable for b in rows))


def uniform(macs: int) -> Grads:
    """The weighted product's rule: one product of the forward's size per gradient, none inside; a kind
    without MACs has no backward products."""
    if not macs:
        return Grads(0, 0, 0)
    forward = Num(macs, "forward MACs")
    return Grads(forward, 0, forward)


def backward(grads: Grads | None, macs: int, params: int, *, grad_in: bool, frozen: bool) -> tuple[Backward, str]:
    """The row's figures and their working for --explain, given whether its input needs a gradient
    and whether it is frozen; grads None is the uniform rule on its forward MACs."""
    g = grads or uniform(macs)
    trainable = 0 if frozen else params
    if grad_in:
        dx, why_x = g.dx, ""
    elif trainable and _value(g.inner):
        dx, why_x = g.inner, " (its input needs no gradient: only the gradients inside it)"
    else:
        dx, why_x = 0, " (its input needs no gradient)"
    dw, why_w = (0, " (frozen)") if frozen else (g.dw, "")
    row = Backward(_value(dx), _value(dw), trainable)
    return row, f"dX = {_shown(dx)}{why_x}; dW = {_shown(dw)}{why_w}"


def needs_grad(grad_in: bool, backward: Backward) -> bool:
    """Whether the layer's output needs a gradient: its input does, or it has trainable parameters."""
    return grad_in or backward.trainable > 0 or backward.dw > 0  # dw: a tied weight, trainable where it is counted


def _value(x: Operand) -> int:
    return x if isinstance(x, int) else int(x.value)


def _shown(x: Operand) -> str:
    return f"{x:,}" if isinstance(x, int) else x.equation()


def ratio_text(forward: int, step: int) -> str:
    """The training step beside the rule of thumb: '2.94 x forward; the rule of thumb says 3'."""
    if not forward:
        return "no MACs forward"
    off = step - 3 * forward
    return (f"{step / forward:.2f} x forward; the rule of thumb says 3 x forward, "
            f"{abs(off):,} MACs ({abs(off) / (3 * forward):.1%}) {'less' if off > 0 else 'more'}")
