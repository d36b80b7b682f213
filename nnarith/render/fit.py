"""Text cut to a width: words folded onto indented lines, a name abbreviated with '…'."""

from __future__ import annotations

import re

_DOTS = re.compile(r"[^.]*\.|[^.]+")  # 'layer1.bottleneck1.conv1' -> 'layer1.', 'bottleneck1.', 'conv1'
_NUMBER = re.compile(r"[(]?[\d,.]+[)]?(?:/\d+)?")  # '(1000...001', '333...334.33', '1)/3'


def clip(text: str, width: int) -> str:
    """The text, or as much of it as fits with '…' in place of the rest."""
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def clip_middle(text: str, width: int) -> str:
    """The text, or its start and its end with '…' between: a name's index stays ('bott…ck12')."""
    if len(text) <= width:
        return text
    tail = max(width - 1, 0) // 2
    return text[:max(width - 1 - tail, 0)] + "…" + text[len(text) - tail:]


def wrap(words: list[str], width: int | None, indent: str = "", hang: str = "") -> list[str]:
    """Words joined by single spaces into lines of at most `width` (None: one line), the first line
    led by `indent`, the others by `hang`. Each word stays whole where it fits a line; a longer one
    (a dotted path) breaks after its dots, and anywhere as a last resort."""
    if width is None:
        return [indent + " ".join(words)]
    out: list[str] = []
    line, lead = indent, indent
    for word in words:
        gap = "" if line == lead else " "
        if len(line) + len(gap) + len(word) <= width:
            line += gap + word
            continue
        room = max(width - len(hang), 1)
        if line != lead and len(word) <= room:  # it fits a line of its own: the next
            out.append(line)
            line = lead = hang
        elif line != lead:  # it breaks anyway: from here
            line += gap
        for piece in _pieces(word, room):
            if len(line) + len(piece) > width and line != lead:
                out.append(line.rstrip())
                line = lead = hang
            line += piece
    out.append(line)
    return out


def _pieces(word: str, room: int) -> list[str]:
    """A word too long for a line: at its dots where they make pieces that fit, else every `room` characters.
    A number stays whole, past the width: its digits split across lines would read as two numbers."""
    if len(word) <= room or _NUMBER.fullmatch(word):
        return [word]
    out: list[str] = []
    for part in _DOTS.findall(word):
        out += [part[i:i + room] for i in range(0, len(part), room)]
    return out
