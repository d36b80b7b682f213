"""Arithmetic in block arguments and layer fields: `4*$dim`, `$dim // $heads`, `make_divisible($c * 0.25, 8)`.

Read by a small recursive-descent parser, never by eval: integers, decimals, $arguments, the
operators + - * // % (Python's meaning: // and % round towards minus infinity), unary minus,
parentheses and three helpers. Nothing else is a name, so there are no attributes, calls of
anything but a helper, or powers. Values are exact fractions (0.25 is 1/4, not a float);
the value of a whole expression must be an integer. One exception, to give torchvision's
channel counts: make_divisible's value is computed in floating point, as Python computes
torchvision's `_make_divisible(c * 1.4, 4)` (90 * 1.4 is 125.99999999999999 there, so 124,
where exact arithmetic would give 128). Sizes are bounded: the text's length, its nesting,
and every number met along the way (nnarith.text's MAX_DIGITS).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

from nnarith.errors import Loc, SpecError, did_you_mean
from nnarith.text import LIMIT, MAX_DIGITS, visible

MAX_LENGTH = 500  # characters; a real expression is a few dozen
MAX_NESTING = 32  # parentheses and helper calls inside one another

_TOKEN = re.compile(r"\s*(?:(?P<num>[0-9]+(?:\.[0-9]+)?)|(?P<ref>\$[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>//|\*\*|[-+*/%(),.]))")
_SPACE = re.compile(r"\s*")
_OPERATORS = set("+-*/%(),")
HELP = ("expressions take integers, $arguments, + - * // %, parentheses and the helpers "
        "make_divisible(value, divisor), min(a, b, ...) and max(a, b, ...)")


def is_expression(value: Any) -> bool:
    """Whether a written value is arithmetic to evaluate: text with a `$` or an operator in it, but not a
    bare `$name` (substituted, loader/scope.py) or plain text ('same')."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if _OPERATORS.intersection(text):
        return True
    return "$" in text and not text.startswith("$")  # '4$d'; '$d.x' is a bad reference (scope.resolve)


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision's _make_divisible (from the TensorFlow MobileNet code), in its floating point:
    the nearest multiple of divisor, at least min_value, and never more than 10% below v."""
    new = max(divisor if min_value is None else min_value, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


# helper: (fewest arguments, most (None: any), how it is written)
HELPERS = {"make_divisible": (2, 3, "make_divisible(value, divisor)"), "min": (2, None, "min(a, b, ...)"),
           "max": (2, None, "max(a, b, ...)")}

Number = Fraction | float  # float only inside make_divisible's value
Lookup = Callable[[str, Loc], Any]  # a `$name` to the value it stands for (a number, or an expression's value)


def evaluate(text: str, loc: Loc, lookup: Lookup) -> int:
    """The integer value of an expression written at loc; every mistake is a SpecError there."""
    if len(text) > MAX_LENGTH:
        raise SpecError(f"the expression is {len(text):,} characters long; the limit is {MAX_LENGTH}", loc,
                        hint="split it: give a block argument the part it repeats")
    parser = _Parser(text, loc, lookup)
    value = parser.expression()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected '{parser.peek()[1]}'", parser.peek()[2], "an operator or the end")
    if value.denominator != 1:
        raise SpecError(f"'{visible(text)}' is {value} ({float(value):g}), not an integer", loc,
                        hint="sizes are whole numbers: round with make_divisible(value, divisor), or divide with //")
    return int(value)


class _Parser:
    def __init__(self, text: str, loc: Loc, lookup: Lookup) -> None:
        self.text, self.loc, self.lookup = text, loc, lookup
        self.tokens = self.tokenize()
        self.pos = 0
        self.depth = 0
        self.floating = 0  # > 0 inside make_divisible's value, computed in floating point as torchvision does

    def fail(self, what: str, col: int, expected: str | None = None, hint: str | None = None) -> SpecError:
        message = f"{what} at column {col} of the expression '{visible(self.text)}'"
        return SpecError(message, self.loc, hint=hint or (f"expected {expected}; {HELP}" if expected else HELP))

    def tokenize(self) -> list[tuple[str, str, int]]:
        tokens, pos, end = [], 0, len(self.text)
        while True:
            pos = _SPACE.match(self.text, pos).end()
            if pos >= end:
                return tokens
            m = _TOKEN.match(self.text, pos)
            if m is None:
                raise self.fail(f"'{visible(self.text[pos])}' is not part of an expression", pos + 1)
            kind = m.lastgroup
            tokens.append((kind, m[kind], m.start(kind) + 1))
            pos = m.end()

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, *ops: str) -> tuple[str, str, int] | None:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in ops:
            self.pos += 1
            return token
        return None

    def bounded(self, value: Number, col: int) -> Number:
        big = not abs(value) < LIMIT if isinstance(value, float) else \
            abs(value.numerator) >= LIMIT or value.denominator >= LIMIT
        if big:
            raise self.fail(f"a value has more than {MAX_DIGITS} digits, nnarith's limit for a number,", col,
                            hint="no network is that large; check the arguments")
        return value

    def expression(self) -> Number:
        value = self.term()
        while token := self.take("+", "-"):
            right = self.term()
            value = self.bounded(value + right if token[1] == "+" else value - right, token[2])
        return value

    def term(self) -> Number:
        value = self.unary()
        while token := self.take("*", "//", "%", "/", "**"):
            if token[1] == "/":
                raise self.fail("'/' is not an operator", token[2], hint="divide with // (it rounds down), "
                                "as sizes are integers; a fraction is written as a decimal: 0.25")
            if token[1] == "**":
                raise self.fail("'**' (a power) is not an operator", token[2], hint="write the product: $a * $a")
            first = self.peek()
            right = self.unary()
            if token[1] != "*" and right == 0:
                last = self.tokens[self.pos - 1]
                divisor = self.text[first[2] - 1:last[2] - 1 + len(last[1])] if first else "0"
                raise self.fail(f"'{token[1]}' divides by zero", token[2], hint=f"'{visible(divisor)}' is 0 here; "
                                "check the arguments the block is called with")
            value = self.bounded(value * right if token[1] == "*" else value // right if token[1] == "//"
                                 else value % right, token[2])
        return value

    def unary(self) -> Number:
        sign = 1
        while token := self.take("-", "+"):  # a loop, not recursion: '- - - 1' costs no stack
            sign = -sign if token[1] == "-" else sign
        return sign * self.atom()

    def atom(self) -> Number:
        token = self.peek()
        if token is None:
            end = len(self.text.rstrip()) + 1
            raise self.fail("the expression ends early" if self.tokens else "the expression is empty", end,
                            "a number, a $argument or '('")
        kind, text, col = token
        self.pos += 1
        if kind == "num":
            if len(text.replace(".", "")) > MAX_DIGITS:
                raise self.fail(f"the number has more than {MAX_DIGITS} digits, nnarith's limit,", col)
            value = float(text) if self.floating else Fraction(text)
        elif kind == "ref":
            if self.take("("):
                raise self.fail(f"'{text}' is called", col, hint="only the helpers make_divisible, min and max "
                                "can be called; an argument is a number")
            value = self.reference(text, col)
        elif kind == "name":
            value = self.call(text, col)
        elif text == "(":
            with self.nested(col):
                value = self.expression()
            self.close(col)
        else:
            raise self.fail(f"unexpected '{text}'", col, "a number, a $argument or '('")
        dot = self.take(".")
        if dot:
            hint = "a decimal has digits on both sides of the point: 0.5" if kind == "num" else \
                "expressions have no attributes; write a number or a $argument"
            raise self.fail("'.' here", dot[2], hint=hint)
        return value

    @contextmanager
    def nested(self, col: int) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"parentheses and calls nest more than {MAX_NESTING} deep", col,
                            hint="no size needs that; give a block argument the inner part")
        try:
            yield
        finally:
            self.depth -= 1

    def close(self, col: int) -> None:
        if not self.take(")"):
            token = self.peek()
            at = token[2] if token else len(self.text.rstrip()) + 1
            raise self.fail("'(' is not closed", col, f"')' at column {at}")

    def reference(self, text: str, col: int) -> Number:
        value = self.lookup(text, self.loc)
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)) or value != value \
                or value in (float("inf"), float("-inf")):
            shown = f"the text '{visible(value)}'" if isinstance(value, str) else repr(value) \
                if isinstance(value, (bool, float)) or value is None else "a list or layers"
            raise self.fail(f"'{text}' is {shown}, not a number,", col,
                            hint="arithmetic takes arguments that are numbers")
        if self.floating:
            return self.bounded(float(value), col)
        return self.bounded(Fraction(repr(value)) if isinstance(value, float) else Fraction(value), col)  # 0.1: 1/10

    def call(self, name: str, col: int) -> Number:
        if name not in HELPERS:
            near = did_you_mean(name, HELPERS)
            if self.take("("):
                raise self.fail(f"'{name}' is not a helper", col, hint=near or HELP)
            raise self.fail(f"unknown name '{name}'", col, hint=near or f"an argument is written ${name}; {HELP}")
        fewest, most, usage = HELPERS[name]
        if not self.take("("):
            raise self.fail(f"'{name}' is a helper, not a value", col, hint=f"call it as {usage}")
        args = []
        with self.nested(col):
            if not self.take(")"):
                self.floating += name == "make_divisible"
                args.append(self.expression())
                self.floating -= name == "make_divisible"
                while self.take(","):
                    args.append(self.expression())
                self.close(col + len(name))
        if len(args) < fewest or (most is not None and len(args) > most):
            count = f"{fewest} or {most}" if most and most != fewest else f"at least {fewest}"
            raise self.fail(f"{name} takes {count} arguments, got {len(args)},", col, hint=f"write {usage}")
        if name != "make_divisible":
            return min(args) if name == "min" else max(args)
        if any(a.denominator != 1 or a < 1 for a in args[1:]):
            raise self.fail("make_divisible's divisor and minimum must be positive integers", col,
                            hint=f"write {usage}, as in make_divisible($c * 0.25, 8)")
        return Fraction(make_divisible(float(args[0]), *(int(a) for a in args[1:])))
