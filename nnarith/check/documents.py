"""Reading documents into rows of figures: Markdown pipe tables and CSV files.

A table is checked when a column holds a figure (by its header: output, params, MACs,
memory...); its label column is the one headed layer/name (else the first), and a
kind/type column helps align rows. In Markdown, lines of prose that begin with "total"
("**Total params: 138M**") are checked against the totals too; code blocks are left alone.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from nnarith.check.vocabulary import KIND_HEADERS, LABEL_HEADERS, clean, header_figure
from nnarith.errors import Loc


@dataclass
class Figure:
    name: str  # canonical: output, params, macs, memory...
    text: str  # as written
    loc: Loc
    unit: str | None = None  # the unit its column header gives


@dataclass
class Entry:
    """One row of a document: what it names, and the figures it states."""

    label: str
    loc: Loc
    figures: list[Figure] = field(default_factory=list)
    kind: str | None = None  # from a kind/type column
    exact: bool = False  # the label is a full name (expect:), not to be aligned


Block = list[Entry]  # rows aligned together: one table, one notes file, one answers file
WORDS = {"memory": ("in place", "view"), "rf": ("whole", "n/a", "undefined")}  # figures without digits


def stated(figure: str, text: str) -> bool:
    """Whether a cell states a figure at all (empty cells, dashes and prose state none)."""
    return any(c.isdigit() for c in text) or text.lower() in WORDS.get(figure, ())


def read_table(header: list[str], rows: list[tuple[int, list[tuple[str, int]]]], file: str) -> Block | None:
    """A table's rows as entries; None when no column holds a figure.

    rows: (line, [(cell text, column)]) for each data row.
    """
    columns = [header_figure(h) for h in header]
    if not any(columns):
        return None
    names = [clean(h).lower() for h in header]
    label = next((i for i, h in enumerate(names) if re.match(LABEL_HEADERS, h) and not columns[i]), None)
    kind = next((i for i, h in enumerate(names) if re.match(KIND_HEADERS, h) and i != label), None)
    if label is None:
        label = next((i for i, c in enumerate(columns) if not c and i != kind), None)
    if label is None:
        return None
    block = []
    for line, cells in rows:
        if label >= len(cells):
            continue
        text, col = cells[label]
        entry = Entry(clean(text), Loc(file, line, col))
        if kind is not None and kind < len(cells):
            entry.kind = clean(cells[kind][0]) or None
        for i, column in enumerate(columns):
            if column and i < len(cells):
                value = clean(cells[i][0])
                if stated(column[0], value):
                    entry.figures.append(Figure(column[0], value, Loc(file, line, cells[i][1]), column[1]))
        if entry.label or entry.figures:
            block.append(entry)
    return block


_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _cells(line: str) -> list[tuple[str, int]]:
    """Split a pipe-table line into (text, 1-based column) cells; `\\|` is a literal pipe."""
    cells, start, i = [], 0, 0
    body = line.rstrip("\n")
    lead = len(body) - len(body.lstrip())
    if body.lstrip().startswith("|"):
        start = i = lead + 1
    while i <= len(body):
        if i == len(body) or (body[i] == "|" and body[i - 1:i] != "\\"):
            text = body[start:i]
            cells.append((text.replace("\\|", "|").strip(), start + len(text) - len(text.lstrip()) + 1))
            start = i + 1
        i += 1
    if cells and not cells[-1][0] and body.rstrip().endswith("|"):
        cells.pop()
    return cells


def read_markdown(text: str, file: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """The figure tables, and the prose lines that state totals ((line, text) pairs)."""
    lines = text.splitlines()
    blocks, totals = [], []
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and "|" in line and i + 1 < len(lines) and _DELIMITER.match(lines[i + 1]):
            header = [c for c, _ in _cells(line)]
            j = i + 2
            rows = []
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                rows.append((j + 1, _cells(lines[j])))
                j += 1
            block = read_table(header, rows, file)
            if block:
                blocks.append(block)
            i = j
            continue
        elif not fenced and re.match(r"^[\s>*_#-]*total\w*\b", line, re.I):
            totals.append((i + 1, line))
        i += 1
    return blocks, totals


def read_csv(text: str, file: str) -> list[Block]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records = []
    for record in reader:
        line = reader.line_num
        cols, col = [], 1
        for cell in record:
            cols.append((cell, col))
            col += len(cell) + 1
        records.append((line, cols))
    if not records:
        return []
    block = read_table([c for c, _ in records[0][1]], records[1:], file)
    return [block] if block else []
