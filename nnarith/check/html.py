"""HTML <table>s, as model cards and rendered papers write them.

The first row (its <th> cells, or else its <td>s) is the header; `colspan` repeats a cell
under every column it spans, `rowspan` carries it down. <sup>9</sup> reads as ^9, <br> as a
space. Cells keep the line and column of their tag, for the report.
"""

from __future__ import annotations

from html.parser import HTMLParser

from nnarith.check.claims import Block
from nnarith.check.tables import Cells, Names, read_table
from nnarith.text import is_digits

MAX_COLUMNS = 200


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[tuple[int, Cells, int]]] = []  # rows: (line, cells, header cells)
        self.stack: list[list] = []  # tables being read (nested ones are read on their own)
        self.spans: list[dict[int, int]] = []  # per table: column -> rows a rowspan still covers
        self.row: list | None = None
        self.cell: list | None = None  # [text parts, line, col, colspan, rowspan, is header]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        line, col = self.getpos()
        a = dict(attrs)
        if tag == "table":
            self.stack.append([])
            self.spans.append({})
        elif tag == "tr" and self.stack:
            self.row = [line, [], 0]
        elif tag in ("td", "th") and self.row is not None:
            self.cell = [[], line, col + 1, _int(a.get("colspan")), _int(a.get("rowspan")), tag == "th"]
        elif tag == "sup" and self.cell is not None:
            self.cell[0].append("^")
        elif tag == "br" and self.cell is not None:
            self.cell[0].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            text = " ".join("".join(self.cell[0]).split())
            spans = self.spans[-1] if self.spans else {}
            if len(self.row[1]) >= MAX_COLUMNS:  # no table of figures is this wide
                self.cell = None
                return
            while spans.get(len(self.row[1]), 0) > 0:  # a cell above spans this row: it is empty here
                spans[len(self.row[1])] -= 1
                self.row[1].append(("", self.cell[2]))
            for _ in range(min(self.cell[3], 50)):
                if self.cell[4] > 1:
                    spans[len(self.row[1])] = min(self.cell[4], 1000) - 1
                self.row[1].append((text, self.cell[2]))
            self.row[2] += self.cell[5]
            self.cell = None
        elif tag == "tr" and self.row is not None and self.stack:
            self.stack[-1].append(tuple(self.row))
            self.row = None
        elif tag == "table" and self.stack:
            self.tables.append(self.stack.pop())
            self.spans.pop()

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell[0].append(data)


def _int(value: str | None) -> int:
    # 0-9 only: '²' passes isdigit() and fails int(); a span past 6 digits is bounded below anyway
    return int(value) if value and is_digits(value) and len(value) <= 6 and int(value) else 1


def read_html(text: str, file: str, first_line: int = 1, names: Names | None = None) -> tuple[list[Block], int]:
    """The figure tables of an HTML fragment, and how many tables it held."""
    parser = _Tables()
    parser.feed(text)
    parser.close()
    blocks = []
    for rows in parser.tables:
        if not rows:
            continue
        header = [t for t, _ in rows[0][1]]
        body = [(first_line - 1 + line, cells) for line, cells, _ in rows[1:]]
        block = read_table(header, body, file, names)
        if block:
            blocks.append(block)
    return blocks, len(parser.tables)
