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

    def render(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        text = f"{where}error: {self.message}"
        if self.layer:
            text += f"\n  in layer '{self.layer}'"
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

    def render(self) -> str:
        return f"error: {self}"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid name, phrased as a hint, or None when nothing is close."""
    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def raise_all(errors: list[SpecError]) -> None:
    """Raise the collected errors, if any: one alone, or all together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecErrors(errors)
