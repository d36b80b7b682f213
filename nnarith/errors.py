"""User-facing errors: each names where it happened, what is wrong and how to fix it.

The CLI prints these without a traceback and exits with code 2 (principle 4).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import NamedTuple


class Loc(NamedTuple):
    """A place in a spec: file name and 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class NnarithError(Exception):
    """Base class of every error the CLI reports without a traceback (exit 2)."""

    exit_code = 2

    def render(self) -> str:
        return f"error: {self}"


class SpecError(NnarithError):
    """One mistake in a spec, located."""

    def __init__(
        self,
        message: str,
        loc: Loc | None = None,
        *,
        layer: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.layer = layer
        self.hint = hint
        self.given: str | None = None  # the values set on the command line that the spec was read with

    def render(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        text = f"{where}error: {self.message}"
        if self.layer:
            text += f"\n  in layer '{self.layer}'"
        if self.given:
            text += f"\n  {self.given}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SpecErrors(NnarithError):
    """Several independent mistakes found in one pass, reported together."""

    def __init__(self, errors: list[SpecError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors

    def render(self) -> str:
        body = "\n".join(e.render() for e in self.errors)
        return f"{body}\n{len(self.errors)} errors"


class UsageError(NnarithError):
    """A bad command-line argument."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def render(self) -> str:
        return f"error: {self}" + (f"\n  hint: {self.hint}" if self.hint else "")


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid name, phrased as a hint, or None when nothing is close."""
    close = closest(word, choices)
    return f"did you mean '{close}'?" if close else None


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice that `word` most likely misspells, or None when none is a plausible typo.

    A typo is a few edits away, fewer for a short word: a word of 3 letters or fewer may only
    differ in case or swap two neighbours. Similarity alone misleads: difflib finds 'lrn' in
    'ln', 'seq' in 'se' and 'flatten' in 'attention'.
    """
    typed = str(word).lower()
    allowed = 1 if len(typed) <= 5 else 2 if len(typed) <= 8 else 3
    ranked = []
    for choice in sorted(set(map(str, choices))):
        name = choice.lower()
        if abs(len(name) - len(typed)) > allowed:
            continue
        d = edits(typed, name)
        swap = d == 1 and sorted(name) == sorted(typed)  # one edit that keeps the letters: two neighbours swapped
        if len(typed) <= 3 and d and not swap:
            continue
        ratio = difflib.SequenceMatcher(None, typed, name).ratio()  # low for a swap in a short word: 'cf', 'fc' 0.5
        if d <= allowed and (ratio >= 0.6 or swap):
            ranked.append((d, not swap, -ratio, choice))  # a swap is the likelier typo: 'vgg61' meant vgg16
    return min(ranked)[-1] if ranked else None


def edits(a: str, b: str) -> int:
    """Letters inserted, dropped or changed, or neighbours swapped, to turn a into b (optimal string alignment)."""
    before: list[int] = []
    above = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            row.append(cost)
        before, above = above, row
    return above[-1]


def raise_all(errors: list[SpecError]) -> None:
    """Raise the collected errors, if any: one alone, or all together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecErrors(errors)
