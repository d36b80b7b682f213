"""Numbers as people write them: 1,792  3.2M  61 million  ~= 93MB  (3*3*64)*128  224*224*64=3.2M.

A written figure is read into parts: `224*224*64=3.2M` has two, the expression and the
stated result, and each is checked. A part is an interval, what the writing can stand for
at its precision: 3.2M is 3,150,000 to 3,250,000 (the true value rounded at the stated
precision); 34,848 is exact. As in significant figures, the trailing zeros of a rounded
integer are not significant: 800K is 750K to 850K, and accepts 802,816. Arithmetic runs
over those intervals with exact fractions, in a small parser of our own: nothing is ever
passed to eval.

Units: K/M/G/T and B = 10^3..10^12 (B is bytes in a memory figure, billion elsewhere);
"thousand", "million", "billion"; kB/KB/MB/GB/TB = 10^3.. bytes, KiB/MiB/GiB/TiB = 2^10..
bytes. A part after an arrow (`2.33 -> 2`) replaces the parts before it: they were the
arithmetic before rounding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor
from typing import Any

MAX_TEXT = 400  # characters of one figure
MAX_DEPTH = 40  # nested parentheses
MAX_DIGITS = 400  # a value beyond 10^400 is not a figure of a network
MAX_EXPONENT = 2 * MAX_DIGITS  # 1e100000000 is refused before 10**exp is computed: no mantissa brings it back

# Only 0-9 are digits: \d would also read Arabic-Indic and fullwidth digits, and str.isdigit() superscripts.
_NUM = re.compile(r"(?:[0-9]{1,3}(?:[,_\u2009\u202f\u00a0][0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
                  r"|\.[0-9]+")
_WORD_AFTER = r"(?=$|[^A-Za-z]|(?i:flop|mac|op|param|mult|weight|activation|element))"
_UNIT = re.compile(r"[ \t]*(KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB|kb|mb|gb|tb|bytes|byte|(?i:thousand|million|billion"
                   r"|trillion)s?|[kKmMGgTBb])" + _WORD_AFTER)
REL = re.compile(r"\s*(~=|=~|==|=>|->|→|≈|≃|~|=)")
APPROX = re.compile(r"\s*(~|≈|≃|about\b|approx(?:\.|imately\b)?|around\b|roughly\b|ca\.|circa\b)\s*", re.I)
_FUNC = re.compile(r"(floor|ceil)\s*\(", re.I)
_BINARY = {"KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}
_DECIMAL_BYTES = {"kb": 3, "mb": 6, "gb": 9, "tb": 12}
_COUNT = {"k": 3, "thousand": 3, "m": 6, "million": 6, "g": 9, "billion": 9, "b": 9, "t": 12, "trillion": 12}


class Unreadable(ValueError):
    """A figure that cannot be read; `offset` is where, in its text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Value:
    """An interval [lo, hi] of numbers, in bytes when `bytes`; `alt` reads MB as MiB and back."""

    lo: Fraction
    hi: Fraction
    bytes: bool = False
    alt: tuple[Fraction, Fraction] | None = None
    unit: str | None = None  # a byte unit with a prefix, as written: 'MB', 'MiB'
    digits: bool = False  # its last digit is significant (73M, 3.6): it may have been truncated there

    def holds(self, n: int | Fraction, per: int = 1) -> bool:
        """True when n times `per` (bytes per element, to compare elements with bytes) lies in it."""
        return self.lo <= n * per <= self.hi

    @property
    def exact(self) -> bool:
        return self.lo == self.hi


def other_base(unit: str) -> str:
    """The same prefix in the other base: MB <-> MiB."""
    if unit in _BINARY:
        return {"KiB": "kB", "MiB": "MB", "GiB": "GB", "TiB": "TB"}[unit]
    return unit[0].upper() + "iB" if unit[0].lower() != "k" else "KiB"


def unit_of(word: str, memory: bool) -> tuple[int, bool, int | None]:
    """(multiplier, is bytes, the multiplier in the other byte base) of a unit word."""
    if word in _BINARY:
        return 2 ** _BINARY[word], True, 10 ** (_BINARY[word] * 3 // 10)
    low = word.lower().rstrip("s") if len(word) > 2 else word.lower()
    if low in _DECIMAL_BYTES:
        return 10 ** _DECIMAL_BYTES[low], True, 2 ** (_DECIMAL_BYTES[low] * 10 // 3)
    if low in ("byte", "bytes") or (low == "b" and memory):
        return 1, True, None
    return 10 ** _COUNT[low], False, None


def literal(text: str, unit: str | None, approx: bool, memory: bool) -> Value:
    """One written number with its unit, as the interval it stands for."""
    mantissa, _, exp = text.replace(",", "").replace("_", "").replace("\u2009", "").replace(
        "\u202f", "").replace("\u00a0", "").lower().partition("e")
    value = Fraction(mantissa)
    mult, is_bytes, other = unit_of(unit, memory) if unit else (1, False, None)
    if "." in mantissa:
        half = Fraction(1, 10 ** len(mantissa.split(".")[1])) / 2
    elif mult > 1 or approx:  # rounded: "290K", "~155,000"; trailing zeros are not significant ("800K")
        zeros = len(mantissa) - len(mantissa.rstrip("0")) if value else 0
        half = Fraction(10**zeros, 2) if zeros or mult > 1 else Fraction(0)
    else:
        half = Fraction(0)
    if exp:
        power = int(exp)
        if abs(power) > MAX_EXPONENT:
            size = "large" if power > 0 else "small"
            raise Unreadable(f"the exponent {exp} makes the number too {size} to be a figure of a network "
                             f"(figures are read up to 10^{MAX_DIGITS})")
        value, half = value * Fraction(10) ** power, half * Fraction(10) ** power
    alt = ((value - half) * other, (value + half) * other) if other else None
    significant = "." in mantissa or not mantissa.endswith("0")  # 380K: trailing zeros say nothing
    return Value((value - half) * mult, (value + half) * mult, is_bytes, alt, unit if other else None, significant)


class Reader:
    def __init__(self, text: str, memory: bool, default_unit: str | None) -> None:
        self.cut = len(text) > MAX_TEXT  # prose may follow a figure at length; the figure itself may not
        self.text, self.pos, self.memory, self.default_unit = text[:MAX_TEXT], 0, memory, default_unit
        self.depth = 0
        self.approx = False
        self.literals: list[tuple[str, str | None]] = []  # the numbers of the part being read, with units
        self.operations = 0

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def peek(self, *ops: str) -> str | None:
        self.skip()
        for op in ops:
            if self.text.startswith(op, self.pos):
                return op
        return None

    def chain(self, part: Callable[[], Any] | None = None) -> tuple[list, int]:
        """Every part of `expr = expr ~= expr ...`, and where the reading stopped."""
        parts: list = []
        approx = False
        while True:
            self.approx = bool(self.take(APPROX)) or approx
            parts.append((part or self.part)())
            m = REL.match(self.text, self.pos)
            if not m:
                if self.cut and self.pos >= MAX_TEXT - 1:
                    raise Unreadable(f"a figure of more than {MAX_TEXT} characters is too long to read")
                return parts, self.pos
            self.pos = m.end()
            if m[1] in ("->", "→", "=>"):
                parts = []  # what came before was the arithmetic before rounding
            approx = m[1] in ("~=", "=~", "≈", "≃", "~")

    def take(self, pattern: re.Pattern) -> re.Match | None:
        m = pattern.match(self.text, self.pos)
        if m:
            self.pos = m.end()
        return m

    def part(self) -> Value:
        self.literals, self.operations = [], 0
        value = self.expr()
        single = len(self.literals) == 1 and not self.operations
        if single and self.literals[0][1] is None and self.default_unit:  # "138.36" under "Params (M)"
            value = literal(self.literals[0][0], self.default_unit, self.approx, self.memory)
        return value

    def expr(self) -> Value:
        value = self.term()
        while (op := self.peek("+", "-", "−")) is not None:
            back = self.pos
            self.pos += 1
            right = self.operand(self.term, back)
            if right is None:
                break
            value = _add(value, right) if op == "+" else _add(value, _neg(right))
        return value

    def term(self) -> Value:
        value = self.unary()
        while (op := self.peek("**", "*", "×", "·", "/", "÷", "x", "X")) is not None:
            if op == "**":
                break
            back = self.pos
            self.pos += len(op)
            right = self.operand(self.unary, back)
            if right is None:
                break
            value = _div(value, right, self.pos) if op in "/÷" else _mul(value, right)
        return value

    def operand(self, read, back: int) -> Value | None:
        """Read an operand after an operator; None (and back off) when prose follows instead."""
        self.skip()
        # isdigit(), not 0-9: a digit nnarith does not read is then refused by atom(), not taken for prose
        if self.pos >= len(self.text) or not (self.text[self.pos].isdigit() or self.text[self.pos] in "(.-"
                                               or _FUNC.match(self.text, self.pos)):
            self.pos = back
            return None
        self.operations += 1
        return read()

    def unary(self) -> Value:
        if self.peek("-", "−"):
            self.pos += 1
            self.operations += 1
            return _neg(self.unary())
        value = self.atom()
        if (op := self.peek("^", "**")) is not None:
            self.pos += len(op)
            self.operations += 1
            exponent = self.unary()
            value = _pow(value, exponent, self.pos)
        return value

    def atom(self) -> Value:
        self.skip()
        start = self.pos
        func = self.take(_FUNC)
        if func or self.peek("("):
            if not func:
                self.pos += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unreadable("too many nested parentheses", self.pos)
            value = self.expr()
            if not self.peek(")"):
                raise Unreadable("a '(' is not closed", start)
            self.pos += 1
            self.depth -= 1
            self.operations += 1
            if func:
                op = floor if func[1].lower() == "floor" else ceil
                return Value(Fraction(op(value.lo)), Fraction(op(value.hi)), value.bytes)
            return value
        m = _NUM.match(self.text, self.pos)
        if not m and self.pos < len(self.text) and not self.text[self.pos].isascii() \
                and self.text[self.pos].isnumeric():
            word = self.text[self.pos:].split()[0][:12]
            raise Unreadable(f"'{word}' is not written with the digits 0-9, the only digits nnarith reads", self.pos)
        if not m:
            found = self.text[self.pos:self.pos + 12] or "the end"
            raise Unreadable(f"expected a number at '{found}'", self.pos)
        self.pos = m.end()
        unit = self.take(_UNIT)
        after = self.text[self.pos:self.pos + 2]
        if after[:1] == "!":  # 5! is a factorial, not 5
            raise Unreadable(f"cannot read '{self.text[start:self.pos + 1]}' as a number: nnarith does not "
                             "compute factorials", start)
        if not unit and after and (after[0].isalnum() and after[0] not in "xX"
                                   or after[0] in "._," and after[1:].isdigit()):
            word = self.text[start:].split()[0]
            raise Unreadable(f"cannot read '{word}' as a number", start)
        self.literals.append((m[0], unit[1] if unit else None))
        return literal(m[0], unit[1] if unit else None, self.approx, self.memory)


def read_numbers(text: str, *, memory: bool = False, default_unit: str | None = None) -> tuple[list[Value], int]:
    """The parts of a written figure (each an interval) and where the figure ended in `text`."""
    reader = Reader(text, memory, default_unit)
    parts, end = reader.chain()
    for value in parts:
        if max(abs(value.lo), abs(value.hi)) > 10**MAX_DIGITS:
            raise Unreadable("the number is too large to be a figure of a network")
    return parts, end


def _add(a: Value, b: Value) -> Value:
    return Value(a.lo + b.lo, a.hi + b.hi, a.bytes or b.bytes)


def _neg(a: Value) -> Value:
    return Value(-a.hi, -a.lo, a.bytes)


def _mul(a: Value, b: Value) -> Value:
    ends = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    _bound(ends)
    digits = (a.digits and b.exact) or (b.digits and a.exact)  # 3.6×10^9: still 3.6's precision
    return Value(min(ends), max(ends), a.bytes or b.bytes, digits=digits)


def _div(a: Value, b: Value, pos: int) -> Value:
    if b.lo <= 0 <= b.hi:
        raise Unreadable("division by zero", pos)
    ends = [x / y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    return Value(min(ends), max(ends), a.bytes and not b.bytes)


def _pow(a: Value, e: Value, pos: int) -> Value:
    if not e.exact or e.lo.denominator != 1 or not 0 <= e.lo <= 64 or a.lo < 0:
        raise Unreadable("powers take a whole exponent from 0 to 64 and a base of at least 0", pos)
    ends = [a.lo ** int(e.lo), a.hi ** int(e.lo)]
    _bound(ends)
    return Value(ends[0], ends[1], a.bytes)


def _bound(ends: list[Fraction]) -> None:
    if any(abs(x) > 10**MAX_DIGITS for x in ends):
        raise Unreadable("the number is too large to be a figure of a network")
