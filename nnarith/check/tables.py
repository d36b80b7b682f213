"""Any table, however it was laid out, as subjects and claims: one header, then rows of cells.

Every layout reader (Markdown, CSV, HTML, box-drawn, ruled, columns of text) hands its
header and rows here. A column holds a figure (output, params, MACs...), a hyperparameter
(kernel, stride, filters, GoogLeNet's #3x3 reduce...), the row label, the layer kind, or one
network's cells (a header that names a network: 'ResNet-50', or a --spec LABEL). A row
labelled with a figure word ('FLOPs') states that figure of each network column; a row
labelled with a network's name is about that whole network.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass

from nnarith.check.claims import Block, Claim, Subject, stated
from nnarith.check.vocabulary import (
    KIND_HEADERS,
    LABEL_HEADERS,
    SEQUENCE_HEADERS,
    clean,
    header_figure,
    kinds_of,
    read_label,
)
from nnarith.errors import Loc
from nnarith.text import is_digits

Cells = list[tuple[str, int]]  # (text, 1-based column) of one row
Names = Callable[[str], bool]  # does this text name a network?


@dataclass
class Column:
    figure: str | None = None
    unit: str | None = None
    network: str | None = None  # the cells are about this network


def _column(header: str, names: Names | None) -> Column:
    found = header_figure(header)
    if found:
        return Column(*found)
    text = clean(header)
    if text and names is not None and names(text):
        return Column(network=text)
    return Column()


def looks_like_csv(text: str) -> bool:
    """Comma- or semicolon-separated records under a header naming a figure (nnarith's own CSV,
    piped in without a file name to tell it by)."""
    head = [line for line in text.split("\n", 6)[:6] if line.strip()][:5]
    if len(head) < 2 or "|" in head[0]:
        return False
    delimiter = ";" if ";" in head[0] and "," not in head[0] else ","
    try:
        records = list(csv.reader(head, delimiter=delimiter))
    except csv.Error:
        return False
    widths = {len(r) for r in records}
    prose = any(len(h) > 40 or re.search(r"(?<![x\d])\d[\d,.]*\s*[KMG]?(?:\s|$)", h) for h in records[0])
    return len(widths) == 1 and widths.pop() >= 3 and not prose and any(header_figure(h) for h in records[0])


def _count(text: str) -> bool:
    """A whole count nnarith reads: digits 0-9 ('３' and '²' pass isdigit()), no more than 6 of them."""
    return is_digits(text) and len(text) <= 6


def _none(text: str) -> bool:
    return text.strip() in ("", "--", "-", "—", "–", "n/a", "N/A", "?")


def read_table(header: list[str], rows: list[tuple[int, Cells]], file: str,
               names: Names | None = None, head: tuple[int, Cells] | None = None) -> Block | None:
    """A table's rows as subjects; None when no column holds a figure. head: the header's line and
    cells, where the reader knows them (else it is taken to be two lines above the rows, as in Markdown)."""
    columns = [_column(h, names) for h in header]
    operators = any(re.fullmatch(r"operators?", clean(h).lower()) for h in header)
    if operators:  # MobileNetV2: t, c, n, s
        columns = [Column(SEQUENCE_HEADERS[clean(h).lower()]) if clean(h).lower() in SEQUENCE_HEADERS else c
                   for h, c in zip(header, columns)]
    pairs = _pairs(header, rows, file, head)
    if pairs is not None:
        return pairs
    heads = [clean(h).lower() for h in header]
    _depth_columns(heads, columns, rows)
    if not any(c.figure or c.network for c in columns):
        return None
    free = [i for i, c in enumerate(columns) if not (c.figure or c.network)]
    label = next((i for i in free if re.match(LABEL_HEADERS, heads[i])), None)
    kind = next((i for i in free if re.match(KIND_HEADERS, heads[i]) and i != label), None)
    if label is None:
        label = kind if kind is not None else next(iter(free), None)
        kind = None if label == kind else kind
    if label is None and sum(bool(c.network) for c in columns) >= 2:
        return _configurations(columns, rows, file)
    if label is None:
        return None
    networks = [i for i, c in enumerate(columns) if c.network]
    block = []
    for line, cells in rows:
        if label >= len(cells):
            continue
        text, col = cells[label]
        subject = read_label(clean(text), Loc(file, line, col))
        if kind is not None and kind < len(cells) and clean(cells[kind][0]):
            subject.kind = clean(cells[kind][0])
        if operators and label < len(cells) and clean(cells[label][0]):  # "conv2d 1x1", "avgpool 7x7"
            subject.claims.append(Claim("arch", clean(cells[label][0]), Loc(file, line, cells[label][1])))
        row_figure = header_figure(subject.label) if networks and subject.label else None
        if row_figure:  # 'FLOPs | 1.8×10^9 | 3.6×10^9': the totals of each network
            subject.total = True
        elif names is not None and subject.label and names(subject.label):
            subject.network = subject.label
        for i, column in enumerate(columns):
            if i >= len(cells) or _none(cells[i][0]):
                continue
            value = clean(cells[i][0])
            loc = Loc(file, line, cells[i][1])
            if column.figure in ("repeats", "expansion"):  # how the row's blocks are made, not a figure
                if column.figure == "repeats" and _count(value):
                    subject.repeats = int(value)
            elif column.figure and stated(column.figure, value):
                subject.claims.append(Claim(column.figure, value, loc, column.unit))
                if column.figure == "depth" and _count(value) and int(value) > 1:
                    subject.span = int(value)
            elif column.network:
                figure, unit = row_figure or ("arch", None)
                if figure != "arch" and not stated(figure, value):
                    continue
                subject.claims.append(Claim(figure, value, loc, unit, network=column.network))
        if not subject.label and any("total" in c.text.lower() for c in subject.claims):
            subject.total = True  # '| | ... | 1,248,424 (total) |'
        elif not subject.kind and not subject.label:  # '| | 1×1 | average pool, 1000-d fc, softmax |'
            listed = next((c.text for c in subject.claims if c.name == "arch"), "")
            if block and not kinds_of(listed):  # the rest of the row above ('conv2_x' on two lines)
                block[-1].claims += subject.claims
                continue
            subject.label, subject.lists = listed, [p.strip() for p in re.split(r"[,;]", listed) if p.strip()]
        if subject.label or subject.claims:
            block.append(subject)
    _tree(block)
    return block


def _depth_columns(heads: list[str], columns: list[Column], rows: list[tuple[int, Cells]]) -> None:
    """A 'layers' column of whole counts beside another that labels the rows is the depth ('| ResNet-50 | 50 |');
    of names ('conv1'), it is the label. ('# layers' and 'weight layers' are the depth: vocabulary.py.)"""
    for i, head in enumerate(heads):
        if columns[i].figure or columns[i].network or head != "layers":
            continue
        cells = [clean(cells[i][0]) for _, cells in rows if i < len(cells) and not _none(cells[i][0])]
        others = [j for j, c in enumerate(columns) if j != i and not (c.figure or c.network)]
        if cells and others and all(_count(c) for c in cells):
            columns[i] = Column("depth")


def _pairs(header: list[str], rows: list[tuple[int, Cells]], file: str,
           head: tuple[int, Cells] | None) -> Block | None:
    """A table of two columns, figure names and values ('| num_params | 25557032 |', '| GFLOPS | 4.09 |'),
    its header a row like the others: figures of the whole network."""
    if len(header) != 2 or not rows or any(len(cells) != 2 for _, cells in rows):
        return None
    every = [head or (rows[0][0] - 2, [(header[0], 1), (header[1], 1)])] + rows
    named = [(line, cells, header_figure(clean(cells[0][0]))) for line, cells in every]
    if sum(f is not None for *_, f in named) < 2 or any(header_figure(clean(c[1][0])) and not re.search(
            r"\d", c[1][0]) for _, c, _ in named):  # a header row ('layer | params'); '20 = 16 weights' is a value
        return None
    block = []
    for line, cells, found in named:
        value = clean(cells[1][0])
        if found and stated(found[0], value):
            loc = Loc(file, line, cells[1][1])
            block.append(Subject(clean(cells[0][0]), Loc(file, line, cells[0][1]), [Claim(found[0], value, loc,
                                                                                           found[1])], total=True))
    return block or None


def _configurations(columns: list[Column], rows: list[tuple[int, Cells]], file: str) -> Block:
    """One network per column, its layers top to bottom, as the VGG paper's Table 1 ('conv3-64',
    'maxpool', 'FC-4096', '11 weight layers'). A row with only its first cell filled spans them all."""
    block: Block = []
    for line, cells in rows:
        texts = [clean(cells[i][0]) if i < len(cells) else "" for i in range(len(columns))]
        filled = [i for i, t in enumerate(texts) if t and not _none(t)]
        spans = filled == [0] and len(columns) > 1
        for i in range(len(columns)) if spans else filled:
            text, col = (texts[0], cells[0][1]) if spans else (texts[i], cells[i][1])
            loc, network = Loc(file, line, col), columns[i].network
            layers = re.fullmatch(r"(\d+)\s+(?:weight |weighted )?layers?(?: deep)?", text, re.I)
            if layers:  # "11 weight layers": the network's depth
                block.append(Subject(text, loc, [Claim("depth", layers[1], loc, network=network)], network=network))
            elif re.match(r"(?i)input\b", text):  # "input (224 × 224 RGB image)"
                shape = re.search(r"\d+\s*[x×]\s*\d+(?:\s*[x×]\s*\d+)?", text)
                claims = [Claim("output", shape[0], loc, network=network)] if shape else []
                block.append(Subject("input", loc, claims, within=network))
            else:
                block.append(Subject(text, loc, [Claim("arch", text, loc, network=network)], kind=text,
                                     within=network))
    return block


def _tree(block: Block) -> None:
    """A printed module tree (torchinfo): the root row, above every depth, is the whole network."""
    depths = [s.depth for s in block]
    if block and depths[0] is None and any(d is not None for d in depths[1:]):
        block[0].total = True
