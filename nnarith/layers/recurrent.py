"""Recurrent layers: rnn, lstm and gru, counted as PyTorch builds them (batch_first).

The input is a sequence [T, F]: T steps of F features. A rank-2 map [C, L] is read the
same way PyTorch reads it, as T = C steps of L features.

Parameters per layer and direction, with G gates (rnn 1, gru 3, lstm 4) and hidden size H:
    G*H*F_in + G*H*H + 2*G*H (PyTorch keeps two bias vectors, b_ih and b_hh)
where F_in is F for the first layer and H x directions above it.
MACs per step, layer and direction: G*H*(F_in + H).
"""

from __future__ import annotations

from nnarith.analysis.expr import Num, Paren, mul, plus, times
from nnarith.analysis.receptive import WHOLE
from nnarith.layers.base import Layer, Out, Shape, register
from nnarith.layers.fields import Bool, Choice, Int

# ops per hidden unit per step, beyond the MACs: bias adds, sums of the two products,
# gate activations and the state update (each listed below).
#   rnn:  2 bias adds + 1 sum + 1 activation                                  = 4
#   gru:  r, z: 2 bias + 1 sum + 1 sigmoid each = 8; n: 2 bias, r*(.), sum, tanh = 5;
#         h' = (1-z)*n + z*h: 4                                              = 17
#   lstm: 4 gates x (2 bias + 1 sum + 1 activation) = 16; c' = f*c + i*g: 3;
#         h' = o*tanh(c'): 2                                                 = 21
_OPS = {"rnn": 4, "gru": 17, "lstm": 21}
_BIAS_OPS = {"rnn": 2, "gru": 6, "lstm": 8}


class _Recurrent(Layer):
    gates = 1
    shorthand = "hidden"

    def infer(self, x: Shape) -> Out:
        if len(x.dims) != 2:
            by = f" (flattened by '{x.flattened_by}')" if x.flattened_by else ""
            raise self.error(
                f"{self.kind} needs a sequence [T, F], but the input is [{x}]{by}",
                hint="give the input as [steps, features], e.g. input: [28, 28]",
            )
        steps, f = x.dims
        h, dirs, g = self.hidden, 2 if self.bidirectional else 1, self.gates
        # The first layer reads the F features, each later one the dirs*H outputs below it:
        # a closed form, as `layers` may be 10^99.
        per_dir = mul(g, h, plus(f, h))
        if self.layers > 1:
            per_dir = plus(per_dir, times(self.layers - 1, mul(g, h, plus(h * dirs, h))))
        weights = times(dirs, Paren(per_dir))
        biases = times(self.layers * dirs, mul(2, g, h))  # b_ih and b_hh
        params = plus(weights, biases) if self.bias else weights
        macs = times(Num(steps, f"{steps} steps"), weights)
        per_unit = _OPS[self.kind] - (0 if self.bias else _BIAS_OPS[self.kind])
        shape = Shape((steps, h * dirs), "seq") if self.sequence else Shape((h * dirs,), "flat")
        out = Out(shape, effect=WHOLE, macs=macs.value, weights=weights.value)
        out.biases = biases.value if self.bias else 0
        out.other_ops = self.layers * dirs * steps * h * per_unit
        out.work["params"] = params.equation()
        out.work["macs"] = macs.equation()
        return out

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.modules import RECURRENT

        extra = {"nonlinearity": self.nonlinearity} if self.kind == "rnn" else {}
        return RECURRENT[self.kind](x.dims[1], self.hidden, num_layers=self.layers, bias=self.bias,
                                    bidirectional=self.bidirectional, sequence=self.sequence, **extra)


def _fields(extra: dict | None = None) -> dict:
    return {
        "hidden": Int(doc="hidden size H"),
        "layers": Int(1, "stacked layers"),
        "bidirectional": Bool(False, "run a second layer backwards and concatenate"),
        "bias": Bool(True, "use the two bias vectors b_ih and b_hh"),
        "sequence": Bool(True, "output every step [T, H]; false keeps the last step [H]"),
        **(extra or {}),
    }


@register
class RNN(_Recurrent):
    kind = "rnn"
    help = "Elman recurrent layer, as torch.nn.RNN"
    fields = _fields({"nonlinearity": Choice("tanh", "relu", default="tanh", doc="activation")})


@register
class GRU(_Recurrent):
    kind = "gru"
    gates = 3
    help = "gated recurrent unit, as torch.nn.GRU"
    fields = _fields()


@register
class LSTM(_Recurrent):
    kind = "lstm"
    gates = 4
    help = "long short-term memory, as torch.nn.LSTM"
    fields = _fields()
