"""Sequences of tokens: looking token ids up, learned tables added to tokens, and reading tokens out.

Layouts (layers/base.py): token ids [T] (input: {ids: T}) are integers, which only an embedding
reads; it turns them into tokens [T, F], as a spec's input {tokens: T, features: F} is, or as
patch_embed makes of an image (ViT). class_token prepends learned tokens; select_token and
mean_tokens make flat features [F] of tokens, for a classifier.

Counts: a lookup is no arithmetic (0 MACs, 0 ops); an add of a learned table, or of the fixed
sinusoidal one (a buffer, no params), is one op per element (as add counts); a mean over tokens
one op per input element (as gap counts). fvcore counts none of them (aten::embedding, add, cat,
select and mean are not among its operators).

Memory: ids are counted as elements like any tensor, in the report's dtype, as every tensor between
layers is; PyTorch holds them as int64 (8 bytes each), so at fp32 the report counts the ids' T x 4 bytes
where PyTorch holds T x 8 (`nnarith verify` measures the input in the report's convention).

Receptive fields: a sequence has no spatial field, so tokens from ids (each token sees its own id)
show the whole input, as an input of tokens does. Tokens that patch_embed makes of a map keep a
field each, their patch; a learned add, class_token and select_token keep it (select: the field of the
token it reads; a class token sees no pixel until attention mixes the tokens), and mean_tokens, the
union of every token's field, is the whole input.
"""

from __future__ import annotations

from nnarith.analysis.expr import times
from nnarith.analysis.receptive import WHOLE
from nnarith.layers.base import (
    FLAT,
    IDS,
    INPUT,
    TOKENS,
    VIEW,
    Example,
    Layer,
    Out,
    Shape,
    Tensor,
    Tensors,
    Words,
    register,
)
from nnarith.layers.fields import Bool, Int


def _layout(x: Shape) -> str:
    if x.layout == IDS:
        return f"token ids [{x}]"
    if x.layout == TOKENS:
        return f"{x.dims[0]} tokens of {x.dims[1]} features [{x}]"
    return f"flat [{x}]" if x.layout == FLAT else f"a map [{x}]"


class _OnTokens(Layer):
    """A kind that reads tokens [T, F]."""

    def need_tokens(self, x: Shape) -> None:
        if x.layout != TOKENS:
            raise self.error(f"{self.kind} reads tokens [T, F], but the input is {_layout(x)}",
                             hint="patch_embed makes tokens of an image, embedding of token ids; an input of "
                             "tokens is written input: {tokens: T, features: F}")


@register
class Embedding(Layer):
    kind = "embedding"
    aliases = ("token_embedding",)
    help = ("a lookup table of token vectors, as torch.nn.Embedding: token ids [T] -> tokens [T, dim]; "
            "vocab x dim params, 0 MACs (a lookup, no arithmetic)")
    reads_ids = True
    words = (Words(r"embed|word.?vectors?|lookup.?table|wte\b", 92),)  # after the kinds of embedding below
    example = Example("embedding: {vocab: 10, dim: 4}", (5,), "Embedding", IDS)
    fields = {"vocab": Int(doc="rows of the table: the number of distinct token ids"),
              "dim": Int(doc="features of each token vector")}

    def infer(self, x: Shape) -> Out:
        if x.layout != IDS:
            raise self.error(f"embedding looks up token ids; the input is {_layout(x)}",
                             hint="declare the ids as input: {ids: T}; tokens of features need no lookup")
        out = Out(Shape((x.dims[0], self.dim), TOKENS))
        weights = times(self.vocab, self.dim)
        out.weights = weights.value
        out.work["params"] = weights.equation()
        out.work["output"] = f"{x.dims[0]} ids -> {x.dims[0]} tokens of {self.dim} features (a lookup, no MACs)"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors(saved=(Tensor(INPUT, x.numel),))  # the table's gradient needs only the ids

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("nn.Embedding", self.vocab, self.dim)


class _AddTable(_OnTokens):
    """A learned table of `rows` vectors, the first T of them (or one, broadcast) added to the tokens."""

    keeps_shape = True

    def added(self, x: Shape, rows: int) -> Out:
        out = Out(x)
        weights = times(rows, x.dims[1])
        out.weights = weights.value
        out.other_ops = x.numel  # one add per element
        out.work["params"] = weights.equation()
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # an add's backward needs neither operand


@register
class PositionEmbedding(_AddTable):
    kind = "position_embedding"
    aliases = ("pos_embedding",)
    shorthand = "positions"
    help = ("a learned position embedding added to tokens [T, F]: a table of `positions` rows (default T), "
            "the first T added; positions x F params, all counted however few are read (BERT's 512, GPT-2's "
            "1024); one add per element")
    words = (Words(r"pos(ition(al)?)?.?(embed|enc)|wpe\b", 88),)  # before embedding
    example = Example("position_embedding: {positions: 8}", (5, 4), "position embedding", TOKENS)
    fields = {"positions": Int(None, "rows of the table, the longest sequence it takes; defaults to T")}

    def infer(self, x: Shape) -> Out:
        self.need_tokens(x)
        rows = self.positions or x.dims[0]
        if x.dims[0] > rows:
            raise self.error(f"{x.dims[0]} tokens, but the table has {rows} positions", "positions",
                             hint=f"give positions: {x.dims[0]} or more, or a shorter sequence")
        return self.added(x, rows)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("PositionEmbedding", self.positions or x.dims[0], x.dims[1])


@register
class SinusoidalPosition(_OnTokens):
    kind = "sinusoidal_position"
    aliases = ("sinusoidal_encoding",)
    shorthand = "positions"
    help = ("the fixed sinusoidal position encoding of Vaswani et al. 2017 added to tokens [T, F]: "
            "sin(pos / 10000^(2i/F)) at feature 2i, cos at 2i + 1; a buffer of `positions` rows (default T), "
            "0 params; one add per element (scale: the tokens multiplied by sqrt(F) first, one multiply more)")
    keeps_shape = True
    words = (Words(r"sinus|positional.?encod", 85),)  # before position_embedding's 'position enc'
    example = Example("sinusoidal_position: {positions: 8, scale: true}", (5, 4), "positional encoding", TOKENS)
    fields = {"positions": Int(None, "rows of the table, the longest sequence it takes; defaults to T"),
              "scale": Bool(False, "multiply the tokens by sqrt(F) first, as the paper scales its embeddings")}

    def infer(self, x: Shape) -> Out:
        self.need_tokens(x)
        rows = self.positions or x.dims[0]
        if x.dims[0] > rows:
            raise self.error(f"{x.dims[0]} tokens, but the table has {rows} positions", "positions",
                             hint=f"give positions: {x.dims[0]} or more, or a shorter sequence")
        out = Out(x)
        buffers = times(rows, x.dims[1])
        out.buffers = buffers.value
        out.other_ops = (2 if self.scale else 1) * x.numel  # an add per element, and a multiply where scaled
        out.work["buffers"] = buffers.equation()  # the fixed table: no params
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # adding a constant, or scaling by one, needs no tensor for the backward

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("SinusoidalPosition", self.positions or x.dims[0], x.dims[1], scale=self.scale)


@register
class SegmentEmbedding(_AddTable):
    kind = "segment_embedding"
    aliases = ("token_type_embedding",)
    shorthand = "segments"
    help = ("BERT's token-type (segment) embedding added to tokens [T, F]: a table of `segments` rows, "
            "segments x F params; every token of segment 0, as BERT reads one sentence; one add per element")
    words = (Words(r"segment.?embed|token.?type", 87),)  # before embedding
    example = Example("segment_embedding", (5, 4), "segment embedding", TOKENS)
    fields = {"segments": Int(2, "rows of the table: BERT's two sentences")}

    def infer(self, x: Shape) -> Out:
        self.need_tokens(x)
        return self.added(x, self.segments)

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("SegmentEmbedding", self.segments, x.dims[1])


@register
class ClassToken(_OnTokens):
    kind = "class_token"
    aliases = ("cls_token",)
    shorthand = "count"
    help = ("prepends `count` learned tokens ([CLS], ViT's class token): [T, F] -> [T + count, F], "
            "count x F params, no arithmetic")
    words = (Words(r"class.?token|\bcls.?token|\[cls\]", 86),)  # before embedding: 'class token embedding'
    example = Example("class_token", (4, 6), "class token", TOKENS)
    fields = {"count": Int(1, "learned tokens to prepend")}

    def infer(self, x: Shape) -> Out:
        self.need_tokens(x)
        out = Out(Shape((x.dims[0] + self.count, x.dims[1]), TOKENS))
        weights = times(self.count, x.dims[1])
        out.weights = weights.value
        out.work["params"] = weights.equation()
        out.work["output"] = f"{self.count} + {x.dims[0]} = {x.dims[0] + self.count} tokens"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # a concatenation's backward needs only the sizes

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("ClassToken", x.dims[1], count=self.count)


@register
class SelectToken(_OnTokens):
    kind = "select_token"
    shorthand = "index"
    help = ("reads one token of tokens [T, F] as flat features [F] (ViT's x[:, 0], BERT's pooler input); "
            "a view, allocates nothing")
    functional = True
    words = (Words(r"select.?token|first.?token|token.?0\b", 316),)
    example = Example("select_token", (4, 6), "select token", TOKENS)
    fields = {"index": Int(0, "the token to read, 0 the first", min=0)}

    def infer(self, x: Shape) -> Out:
        self.need_tokens(x)
        if self.index >= x.dims[0]:
            raise self.error(f"index {self.index} is past the last of {x.dims[0]} tokens", "index",
                             hint=f"give an index from 0 to {x.dims[0] - 1}")
        out = Out(Shape((x.dims[1],), FLAT, flattened_by=self.name), storage=VIEW)
        out.work["output"] = f"token {self.index} of {x.dims[0]}: {x.dims[1]} features"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("SelectToken", self.index)


@register
class MeanTokens(_OnTokens):
    kind = "mean_tokens"
    help = ("the mean over the tokens of tokens [T, F]: flat features [F]; one op per input element, "
            "as gap counts")
    words = (Words(r"mean.?(over.?)?tokens?|token.?mean|average.?tokens", 318),)
    example = Example("mean_tokens", (4, 6), "mean tokens", TOKENS)

    def infer(self, x: Shape) -> Out:
        self.need_tokens(x)
        out = Out(Shape((x.dims[1],), FLAT, flattened_by=self.name), effect=WHOLE)
        out.other_ops = x.numel  # every element added once; the divides are per feature, as gap counts
        out.work["output"] = f"mean over {x.dims[0]} tokens: {x.dims[1]} features"
        return out

    def tensors(self, x: Shape, out: Out) -> Tensors:
        return Tensors()  # a mean's backward needs only the shape

    def torch(self, x: Shape, inplace: bool):
        from nnarith.torch.construct import construct

        return construct("MeanTokens")
