"""The typed fields a layer accepts, each validating one value where it was written."""

from __future__ import annotations

import re
from typing import Any

from nnarith.errors import Loc, SpecError

REQUIRED = object()  # marks a field without a default


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, float):
        return f"the decimal {value!r}"
    if isinstance(value, int):
        return f"the integer {value}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


class Field:
    """A named argument of a layer kind: its type, default and one line of help."""

    def __init__(self, default: Any = REQUIRED, doc: str = "") -> None:
        self.default = default
        self.doc = doc

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, value: Any, loc: Loc, where: str) -> Any:
        raise NotImplementedError

    def fail(self, value: Any, loc: Loc, where: str, expected: str, hint: str | None = None) -> SpecError:
        if hint is None and isinstance(value, bool) and "true or false" not in expected:
            hint = "YAML reads yes/no/on/off as true/false; write the value you mean, quoted if it is text"
        if hint is None and isinstance(value, str) and any(c.isdigit() and not c.isascii() for c in value):
            hint = "only the digits 0-9 make a number; '²', '８' and '٣' are other characters"
        return SpecError(f"{where} must be {expected}, got {_describe(value)}", loc, hint=hint)


class Int(Field):
    def __init__(self, default: Any = REQUIRED, doc: str = "", min: int = 1) -> None:
        super().__init__(default, doc)
        self.min = min

    def expected(self) -> str:
        return "a positive integer" if self.min == 1 else f"an integer >= {self.min}"

    def check(self, value: Any, loc: Loc, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            hint = None
            if isinstance(value, float) and value.is_integer():
                hint = f"write {int(value)} without the decimal point"
            raise self.fail(value, loc, where, self.expected(), hint)
        if value < self.min:
            raise self.fail(value, loc, where, self.expected())
        return value


class Bool(Field):
    def check(self, value: Any, loc: Loc, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(value, loc, where, "true or false")
        return value


class Float(Field):
    def __init__(self, default: Any = REQUIRED, doc: str = "", lo: float = 0.0,
                 hi: float | None = None, lo_open: bool = False) -> None:
        super().__init__(default, doc)
        self.lo, self.hi, self.lo_open = lo, hi, lo_open

    def check(self, value: Any, loc: Loc, where: str) -> float:
        low = f"> {self.lo:g}" if self.lo_open else f">= {self.lo:g}"
        expected = f"a number {low}" + (f" and <= {self.hi:g}" if self.hi is not None else "")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.fail(value, loc, where, expected)
        too_low = value <= self.lo if self.lo_open else value < self.lo
        if too_low or (self.hi is not None and value > self.hi) or value == float("inf"):
            raise self.fail(value, loc, where, expected)
        return value


class Ref(Field):
    """Another layer of the spec, by its name or its dotted path as the report names rows (`tie: wte`,
    `tie: h_1.mlp.c_fc`); the loader resolves it (loader/ties.py)."""

    PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

    def check(self, value: Any, loc: Loc, where: str) -> str:
        if not isinstance(value, str) or not self.PATH.match(value):
            raise self.fail(value, loc, where, "a layer's name, or its dotted path as the report names it",
                            hint="for example tie: wte, or tie: h_1.mlp.c_fc for a layer inside a block")
        return value


class Choice(Field):
    def __init__(self, *options: str, default: Any = REQUIRED, doc: str = "") -> None:
        super().__init__(default, doc)
        self.options = options

    def check(self, value: Any, loc: Loc, where: str) -> str:
        if value not in self.options:
            names = ", ".join(self.options)
            raise self.fail(value, loc, where, f"one of {names}")
        return value


class Spatial(Field):
    """An int for every spatial dimension, or one int per dimension (`kernel: [1, 7]`)."""

    def __init__(self, default: Any = REQUIRED, doc: str = "", min: int = 1,
                 words: tuple[str, ...] = ()) -> None:
        super().__init__(default, doc)
        self.item = Int(min=min)
        self.words = words  # extra accepted texts, such as 'same' for padding

    def check(self, value: Any, loc: Loc, where: str) -> Any:
        if isinstance(value, str) and value in self.words:
            return value
        if isinstance(value, list):
            if not 1 <= len(value) <= 3:
                raise SpecError(f"{where} lists {len(value)} values; give one per spatial "
                                f"dimension (1 to 3)", loc)
            locs = getattr(value, "item_locs", None) or [loc] * len(value)
            return tuple(self.item.check(v, locs[i], f"{where}[{i}]") for i, v in enumerate(value))
        expected = self.item.expected() + " or a list of them"
        if self.words:
            expected += " or " + " or ".join(f"'{w}'" for w in self.words)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(value, loc, where, expected)
        return self.item.check(value, loc, where)


class Scale(Field):
    """A positive number, or one per spatial dimension."""

    def check(self, value: Any, loc: Loc, where: str) -> Any:
        item = Float(lo=0.0, lo_open=True)
        if isinstance(value, list):
            locs = getattr(value, "item_locs", None) or [loc] * len(value)
            return tuple(item.check(v, locs[i], f"{where}[{i}]") for i, v in enumerate(value))
        return item.check(value, loc, where)
