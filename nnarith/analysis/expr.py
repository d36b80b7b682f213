"""Arithmetic that knows how it was computed: one object is both a figure and its working.

After karpathy/micrograd's Value: each node computes its value from its operands when it is
built, and its text with it, so the number a layer counts and the working --explain shows
cannot disagree. Values stay exact: ints, and fractions.Fraction where a division does not
divide (a double only where PyTorch multiplies in doubles: DoubleProduct).

Rendering follows the working nnarith has always shown:
- "*" joins the factors of one product (a kernel, 3*3*64) and " x " factors of different
  meaning (128 x 3*3*64): mul() and times().
- "+" and "-" are spaced, except in a tight sum such as (k-1): plus(), minus(), tight=True.
- an operand that binds more loosely than its operator is parenthesised, so the text reads
  back to the value; Paren adds the parentheses the working shows beyond those.
- equation() ends the text with " = " and the value, counts with thousands separators
  (= 73,856), sizes without (= 224), a fraction to two decimals (= 112.5).

Operands are ints or nodes. A node is a value and a text, set once when it is built and never
changed after; its operands are not kept, only their text. A network may have 20,000 layers,
each building a few nodes, so they stay this small.
"""

from __future__ import annotations

from fractions import Fraction

from nnarith.text import decimal

Number = int | Fraction

ADD, MUL, ATOM = 1, 2, 3  # how tightly a node binds, loosest first


def shown(value: Number, grouped: bool = True) -> str:
    """A value as the working ends with it: 73,856 (grouped) or 224; a fraction (a size before
    PyTorch rounds it) to two decimals, 112.5 or 2.33."""
    if type(value) is Fraction:
        if value.denominator != 1:
            return decimal(value).rstrip("0").rstrip(".")
        value = value.numerator
    return f"{value:,}" if grouped else str(value)


class Expr:
    """A number with the arithmetic that produced it."""

    __slots__ = ("value", "text")
    prec = ATOM
    value: Number
    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.text} = {self.value}>"

    def equation(self, grouped: bool = True, tail: str = "") -> str:
        """'text = value', then the tail (a unit, a note) after a space."""
        v = self.value
        text = f"{self.text} = {v:,}" if grouped and type(v) is int else f"{self.text} = {shown(v, grouped)}"
        return f"{text} {tail}" if tail else text


Operand = Expr | int

# The nodes below read an operand inline, not through a helper: each layer builds a few of
# them, and a network may have 20,000 layers. An int operand is its own text; a negative one
# is parenthesised, as it would read as a difference.

class Num(Expr):
    """A number written its own way: '28 steps', a scale factor as '1.5'."""

    __slots__ = ()

    def __init__(self, value: Number, text: str) -> None:
        self.value, self.text = value, text


class Paren(Expr):
    """Parentheses the working shows where precedence does not need them: 128 x (3*3*64)."""

    __slots__ = ()

    def __init__(self, x: Operand) -> None:
        if type(x) is int:
            self.value, self.text = x, f"({x})"
        else:
            self.value, self.text = x.value, f"({x.text})"


class Prod(Expr):
    """A product, its factors joined by `sep`: '*' or ' x '."""

    __slots__ = ()
    prec = MUL

    def __init__(self, factors: tuple[Operand, ...], sep: str) -> None:
        value, texts = 1, []
        for f in factors:
            if type(f) is int:
                value *= f
                texts.append(str(f) if f >= 0 else f"({f})")
            else:
                value *= f.value
                texts.append(f.text if f.prec > ADD else f"({f.text})")
        self.value, self.text = value, sep.join(texts)


class Sum(Expr):
    """a + b or a - b, spaced ('224 + 2*1') or tight ('3-1'). A longer sum nests: (a + b) - c
    reads a + b - c, but a - (b + c) keeps its parentheses."""

    __slots__ = ()
    prec = ADD

    def __init__(self, a: Operand, sign: str, b: Operand, tight: bool = False) -> None:
        if type(a) is int:
            va, ta = a, str(a)
        else:
            va, ta = a.value, a.text
        if type(b) is int:
            vb, tb = b, (str(b) if b >= 0 else f"({b})")
        else:
            vb, tb = b.value, (f"({b.text})" if sign == "-" and b.prec <= ADD else b.text)
        self.value = va - vb if sign == "-" else va + vb
        self.text = f"{ta}{sign}{tb}" if tight else f"{ta} {sign} {tb}"


class Quot(Expr):
    """An exact quotient: an int where it divides, else a Fraction ('(224 - 7)/2' is 108.5)."""

    __slots__ = ()
    prec = MUL

    def __init__(self, num: Operand, den: Operand) -> None:
        if type(num) is int:
            n, nt = num, (str(num) if num >= 0 else f"({num})")
        else:
            n, nt = num.value, (num.text if num.prec > ADD else f"({num.text})")
        if type(den) is int:
            d, dt = den, (str(den) if den >= 0 else f"({den})")
        else:  # a/(b*c)
            d, dt = den.value, (den.text if den.prec > MUL else f"({den.text})")
        self.value, self.text = (n // d if n % d == 0 else Fraction(n, d)), f"{nt}/{dt}"


class DoubleProduct(Expr):
    """N * scale as PyTorch computes it, in double precision (10 * 0.3 gives 3, not 2.999...),
    for the N a double holds exactly (below 2^53, all that PyTorch can build); exactly beyond,
    where a double would round."""

    __slots__ = ()
    prec = MUL

    def __init__(self, n: int, scale: float) -> None:
        exact = Fraction(n * scale) if n < 2**53 else n * Fraction(scale)
        self.value = exact.numerator if exact.denominator == 1 else exact
        self.text = f"{n}*{scale:g}"


def mul(*factors: Operand) -> Prod:
    """The factors of one product: 3*3*64."""
    return Prod(factors, "*")


def times(*factors: Operand) -> Prod:
    """Factors of different meaning: 128 x 3*3*64."""
    return Prod(factors, " x ")


def plus(a: Operand, b: Operand, *more: Operand, tight: bool = False) -> Sum:
    """a + b + ..."""
    total = Sum(a, "+", b, tight)
    for t in more:
        total = Sum(total, "+", t, tight)
    return total


def minus(a: Operand, b: Operand, *more: Operand, tight: bool = False) -> Sum:
    """a - b - ..."""
    total = Sum(a, "-", b, tight)
    for t in more:
        total = Sum(total, "-", t, tight)
    return total


class Rounded:
    """An expression rounded to the integer PyTorch uses (a size), then any later steps, each
    with why: '(112 - 3)/2 + 1 = 55.5 -> 56 (ceil)'.

    A whole figure, never an operand (it has no precedence, so building on it fails): inside a
    larger expression its text would hide the rounding.
    """

    __slots__ = ("expr", "up", "note", "steps", "rounded", "value", "inexact")

    def __init__(self, expr: Expr, up: bool = False, note: str = "",
                 steps: tuple[tuple[int, str], ...] = ()) -> None:
        v = expr.value
        self.expr, self.up, self.note, self.steps = expr, up, note, steps
        if type(v) is Fraction:
            self.rounded = -(-v.numerator // v.denominator) if up else v.numerator // v.denominator
        else:
            self.rounded = v
        self.inexact = self.rounded != v  # the division left a remainder
        self.value = steps[-1][0] if steps else self.rounded

    def then(self, value: int, why: str) -> Rounded:
        """A further step after the rounding: '-> 3 (the last window would start in the padding)'."""
        return Rounded(self.expr, self.up, self.note, self.steps + ((value, why),))

    def equation(self) -> str:
        """'text = exact -> rounded (note)', sizes without thousands separators."""
        text = self.expr.equation(grouped=False)
        if self.inexact:
            text += f" -> {self.rounded}" + (f" ({self.note})" if self.note else "")
        return text + "".join(f" -> {v} ({why})" for v, why in self.steps)
