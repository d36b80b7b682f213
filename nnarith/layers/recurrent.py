"""Recurrent layers: rnn, lstm and gru, counted as PyTorch builds them (batch_first).

The input is a sequence [T, F]: T steps of F features. A rank-2 map [C, L] is read the
same way PyTorch reads it, as T = C steps of L features.

Parameters per layer and direction, with G gates (rnn 1, gru 3, lstm 4) and hidden size H:
    G*H*F_in + G*H*H + 2*G*H (PyTorch keeps two bias vectors, b_ih and b_hh)
where F_in is F for the first layer and H x directions above it.
MACs per step, layer and direction: G*H*(F_in + H).
"""

from __future__ import annotations

from nnarith.analysis.backward import Grads
from nnarith.analysis.expr import Num, Paren, minus, mul, plus, times
from nnarith.analysis.receptive import WHOLE
from nnarith.layers.base import FLAT, OUTPUT, TOKENS, Example, Layer, Out, Shape, Tensor, Tensors, Words, register
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
    weighted = True

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
        shape = Shape((steps, h * dirs), TOKENS) if self.sequence else Shape((h * dirs,), FLAT)
        out = Out(shape, effect=WHOLE, macs=macs.value, weights=weights.value)
        out.biases = biases.value if self.bias else 0
        out.other_ops = self.layers * dirs * steps * h * per_unit
        out.work["params"] = params.equation()
        out.work["macs"] = macs.equation()
        # Backward (analysis/backward.py): dW is the forward's products; dX too, less the gradient of each
        # layer's initial state (zeros, needing none); where the input needs no gradient, less the first layer's
        # input-to-hidden one as well (the step-to-step gradients are still needed for the weights').
        start = times(self.layers, dirs, mul(g, h, h))
        first = times(Num(steps, f"{steps} steps"), dirs, mul(g, h, f))
        out.grads = Grads(minus(macs, start), minus(macs, first, start), macs)
        return out

    def unrolled(self, x: Shape) -> tuple[Tensor, ...]:
        """What PyTorch's CPU step-by-step loop (rnn, gru) keeps besides its gates: the initial state
        (one tensor for every layer and direction), a time-major copy of the input for each direction
        (the batch-first input transposed), and each upper layer's input (the layer below's output)."""
        (steps, f), h, dirs = x.dims, self.hidden, 2 if self.bidirectional else 1
        return (Tensor("initial state", self.layers * dirs * h), Tensor("input copy", steps * f, count=dirs),
                Tensor("layer input", steps * dirs * h, count=self.layers - 1))

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        cls = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[self.kind]  # in nnarith.torch.modules
        extra = {"nonlinearity": self.nonlinearity} if self.kind == "rnn" else {}
        return construct(cls, x.dims[1], self.hidden, num_layers=self.layers, bias=self.bias,
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
    words = (Words(r"\brnn", 270),)
    example = Example("rnn: 4", (5, 3), "RNN")
    fields = _fields({"nonlinearity": Choice("tanh", "relu", default="tanh", doc="activation")})

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # Each step keeps its new state (the activation's output, the next step's matmul input).
        steps, dirs = x.dims[0], 2 if self.bidirectional else 1
        return Tensors(saved=(*self.unrolled(x), Tensor("state", self.hidden, count=steps * self.layers * dirs)))


@register
class GRU(_Recurrent):
    kind = "gru"
    gates = 3
    help = "gated recurrent unit, as torch.nn.GRU"
    words = (Words(r"gru", 260),)
    example = Example("gru: {hidden: 4, bidirectional: true}", (5, 3), "GRU")
    fields = _fields()

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # Each step keeps the hidden projection of its three gates, three gate-sized pieces, and its
        # state for the next step (the last step's state is no step's input).
        n, h = x.dims[0] * self.layers * (2 if self.bidirectional else 1), self.hidden
        return Tensors(saved=(*self.unrolled(x), Tensor("hidden projection", 3 * h, count=n),
                              Tensor("gate", h, count=3 * n), Tensor("state", h, count=n - n // x.dims[0])))


@register
class LSTM(_Recurrent):
    kind = "lstm"
    gates = 4
    help = "long short-term memory, as torch.nn.LSTM"
    words = (Words(r"lstm", 250),)
    example = Example("lstm: {hidden: 4, layers: 2}", (5, 3), "LSTM")
    fields = _fields()

    def strided_output(self, x: Shape) -> bool:
        # oneDNN's output is time-major; the batch-first one returned is its transposed view (one direction's:
        # two directions are joined into a tensor of their own)
        return self.sequence and not self.bidirectional

    def tensors(self, x: Shape, out: Out) -> Tensors:
        # PyTorch's CPU build runs it in oneDNN, which keeps: the initial hidden and cell states, one
        # time-major copy of the input, each layer and direction's output sequence and final states,
        # each bidirectional upper layer's input (the two directions joined), and a uint8 workspace per
        # layer and direction, whose size is oneDNN's own and is not declared here.
        (steps, f), h, dirs, n = x.dims, self.hidden, 2 if self.bidirectional else 1, self.layers
        last = Tensor(OUTPUT, steps * h) if dirs == 1 and self.sequence else Tensor("sequence", steps * h)
        outputs = (Tensor("sequence", steps * h, count=n * dirs - 1), last)
        joined = Tensor("layer input", steps * dirs * h, count=n - 1 if dirs == 2 else 0)
        return Tensors(saved=(Tensor("initial state", n * dirs * h, count=2), Tensor("input copy", steps * f),
                              *outputs, joined, Tensor("final state", h, count=2 * n * dirs)))
