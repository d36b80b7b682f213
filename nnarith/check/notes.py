"""Plain text in the layout course notes use, one layer a line:

    INPUT: [227x227x3]        memory: 227*227*3=155K     weights: 0
    CONV1-96: [55x55x96]      memory: 55*55*96=290K      weights: (11*11*3)*96 = 34,848
    [27x27x96] MAX POOL1: 3x3 filters at stride 2
    TOTAL params: 61M parameters

A line is a label (up to its first colon), an optional shape right after it (or in
brackets before it), and `figure: value` pairs. Lines without figures are prose, skipped.
"""

from __future__ import annotations

import re

from nnarith.check.claims import Block, Claim, Subject, stated
from nnarith.check.fit import FIT_TEXT
from nnarith.check.vocabulary import header_figure, math_text
from nnarith.errors import Loc

_KEY = re.compile(r"(?<![\w-])(memory|mem|weights|weight|params|parameters|param|biases|buffers|macs|mult-adds"
                  r"|[gm]?flops|other ops|ops|activations|output shape|output size|output|shape|size|volume|rf"
                  r"|receptive field)\s*:", re.I)
_LEAD_SHAPE = re.compile(r"\s*(\[[^\]]*\])\s*")
_SIZE = r"\d+(?:\.\d+)?"  # 2.33: a size that does not divide, as a lecture writes it (fit.py)
_SHAPE = re.compile(rf"\s*(\[\s*{_SIZE}(?:\s*[x×,]\s*{_SIZE})+\s*\]|\(\s*{_SIZE}(?:\s*[x×,]\s*{_SIZE})+\s*\)"
                    rf"|{_SIZE}(?:\s*[x×]\s*{_SIZE})+|\d+\s*@\s*\d+(?:\s*[x×]\s*\d+)*|\[\s*\d+\s*\]"
                    rf"|{FIT_TEXT})", re.I)
_LABEL = re.compile(r"\s*([A-Za-z][\w\-. ()/#+,]{0,60}?)\s*:(?=\s|$|\[)")  # bounded: labels are short
_CELL_LABEL = re.compile(r"\s*([A-Za-z0-9][^:\t]{0,60}?)(?:\t+|\s{2,})")  # a label cell, no colon: then a gap
MAX_LABEL_WORDS = 5
NEWLINE = re.compile(r"\r\n|\r|\n")
_FIGURE_START = re.compile(r"\s*(?:[~≈(\[$\d.−-]|about |in place|view|whole|n/a|undefined|torch\.Size"
                           rf"|{FIT_TEXT})", re.I)


def text_lines(text: str) -> list[str]:
    """The lines of a document as editors number them: split at \\n, \\r\\n and \\r only.

    str.splitlines() also splits at \\v, \\f, U+0085 and U+2028, and line numbers then drift."""
    lines = NEWLINE.split(text)
    return lines[:-1] if lines and not lines[-1] else lines


def read_notes(text: str, file: str) -> Block:
    block = []
    for number, line in enumerate(text_lines(text), 1):
        if line.lstrip().startswith(("#", "//")):
            continue
        subject = read_line(line, number, file)
        if subject is not None and subject.claims:
            block.append(subject)
    return block


def read_line(line: str, number: int, file: str) -> Subject | None:
    figures: list[Claim] = []
    pos = 0
    lead = _LEAD_SHAPE.match(line)
    if lead:  # "[55x55x96] CONV1: 96 11x11 filters at stride 4"
        figures.append(Claim("output", lead[1], Loc(file, number, lead.start(1) + 1)))
        pos = lead.end()
        m = re.match(r"([A-Za-z][^:]{0,60}?)\s*(?::|$)", line[pos:])
        if not m:
            return None
        label, label_col, pos = m[1], pos + 1, pos + m.end()
    elif (cell := _CELL_LABEL.match(line)) and _KEY.match(line, cell.end()):  # "3x3 conv, 64<TAB>memory: ..."
        label, label_col, pos = cell[1], cell.start(1) + 1, cell.end()
    else:
        m = _LABEL.match(line)
        if not m:
            return None
        label, label_col, pos = m[1], m.start(1) + 1, m.end()
        found = header_figure(label)
        if found and _KEY.fullmatch(label + ":"):  # "- params: 138,357,544; buffers: 0": the network's
            pos, label = m.start(1), "total"
            found = None
        if found and not _KEY.search(line, pos):  # "Params (M): 25.6", "GMACs: 4.1": a figure of the whole network
            value = line[pos:].strip()
            if not stated(found[0], value) or not _FIGURE_START.match(value):
                return None
            col = pos + len(line[pos:]) - len(line[pos:].lstrip()) + 1
            return Subject(label.strip(), Loc(file, number, label_col),
                           [Claim(found[0], math_text(value), Loc(file, number, col), found[1])], total=True)
        words = label.split()
        if len(words) > 1 and _KEY.fullmatch(words[-1] + ":") and header_figure(label):  # "TOTAL params: 61M"
            label = " ".join(words[:-1])
            pos = m.start(1) + len(m[1]) - len(words[-1])
        shape = _SHAPE.match(line, pos) if not _KEY.match(line, pos) else None
        if shape:  # "CONV1-96: [55x55x96]"
            figures.append(Claim("output", shape[1].strip(), Loc(file, number, shape.start(1) + 1)))
            pos = shape.end()
    if len(label.split()) > MAX_LABEL_WORDS:
        return None
    keys = list(_KEY.finditer(line, pos))
    for i, key in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(line)
        value = line[key.end():end]
        found = header_figure(key[1])
        if found and value.strip() and _FIGURE_START.match(value):
            col = key.end() + len(value) - len(value.lstrip()) + 1
            figures.append(Claim(found[0], math_text(value.strip()), Loc(file, number, col), found[1]))
    return Subject(label.strip(), Loc(file, number, label_col), figures)
