"""Where a YAML mark is, with lines counted as editors count them, and hints for libyaml's syntax errors."""

from __future__ import annotations

import bisect
import re
from typing import Any

from nnarith.errors import Loc

_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_LINE_END = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int] | None:
    """Where each line starts, counted as editors count them (at \\n, \\r\\n and \\r), for a text
    in which YAML counts more breaks (U+0085, U+2028, U+2029); None where both agree."""
    if not _OTHER_BREAKS.search(text):
        return None
    return [0] + [m.end() for m in _LINE_END.finditer(text)]


def mark_loc(file: str, mark: Any, starts: list[int] | None) -> Loc:
    if starts is None:
        return Loc(file, mark.line + 1, mark.column + 1)
    line = bisect.bisect_right(starts, mark.index)  # marks' index counts characters
    return Loc(file, line, mark.index - starts[line - 1] + 1)


def syntax_hint(problem: str, text: str, mark: Any) -> str | None:
    lines = text.splitlines()
    line = lines[mark.line] if mark and mark.line < len(lines) else ""
    if "tab" in problem or "\t" in line[: mark.column + 1]:
        return "indent with spaces; YAML does not allow tabs"
    if "while parsing a flow" in problem:
        return "close each [ with ] and each { with }, separating items with commas"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, or a nested mapping must be indented"
    return None
