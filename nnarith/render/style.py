"""Colour that carries meaning, and only on a terminal.

Output is coloured when its stream is a terminal, unless NO_COLOR is set (https://no-color.org)
or --no-color is given; FORCE_COLOR turns it on where it is not a terminal (as rich reads it).
Piped output is plain text with no escape codes. The escape codes come from rich's styles,
imported only when colour is on.

A renderer takes a `Painter` and calls it on text it has already padded, so that the codes
never count towards a column's width.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache
from typing import TextIO

# What each colour means, in one place: the renderers name the meaning, never the colour.
MEANINGS = {
    "right": "green",  # a check's ✓
    "wrong": "bold red",  # a check's ✗, an error's first line
    "note": "yellow",  # right under another convention; a receptive-field note
    "flag": "yellow",  # a size that does not divide
    "hint": "cyan",  # how to fix an error
    "heading": "bold",  # a table's head, a section's title
    "total": "bold",  # the totals row and line
    "guide": "dim",  # tree guides, rules, units, the legend under a table
    "name": "",  # a layer's name (plain)
    "block": "bold blue",  # a block's or container's name: its figures are the sum of the rows under it
}

_disabled = False


def disable() -> None:
    """--no-color: plain output, whatever the stream."""
    global _disabled
    _disabled = True


def enabled(stream: TextIO | None = None) -> bool:
    if _disabled or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _terminal(stream) and os.environ.get("TERM") != "dumb"


def _terminal(stream: TextIO | None) -> bool:
    """Whether the stream (standard output by default) is a terminal; a stream without isatty is not."""
    isatty = getattr(sys.stdout if stream is None else stream, "isatty", None)
    return bool(isatty and isatty())


Painter = Callable[[str, str], str]


def plain(text: str, meaning: str) -> str:
    return text


def _ansi(text: str, meaning: str) -> str:
    if not text:
        return text
    start, end = _codes(meaning)
    return start + text + end


@cache
def _codes(meaning: str) -> tuple[str, str]:
    """The escape codes before and after a text of this meaning, rendered by rich once per meaning
    (a table paints thousands of cells)."""
    style = MEANINGS[meaning]
    if not style:
        return "", ""
    from rich.color import ColorSystem
    from rich.style import Style

    start, _, end = Style.parse(style).render("\0", color_system=ColorSystem.STANDARD).partition("\0")
    return start, end


def painter(stream: TextIO | None = None) -> Painter:
    """The painter for output to `stream` (standard output by default)."""
    return _ansi if enabled(stream) else plain


def width(stream: TextIO | None = None) -> int:
    """The columns to fit: the terminal's; where the output is not a terminal, $COLUMNS, else 100."""
    if _terminal(stream):
        import shutil

        return max(shutil.get_terminal_size((100, 24)).columns, 40)
    columns = os.environ.get("COLUMNS", "")
    return max(int(columns), 40) if columns.isdigit() and columns.isascii() else 100
