"""Reading a document into blocks of subjects: every layout people publish, in one pass.

A document is read line by line, each region by the reader of its layout:

- Markdown pipe tables, HTML <table>s, box-drawn tables (Keras 3), ruled tables (Keras 2,
  torchinfo, torchsummary) and columns of text separated by tabs or two or more spaces;
- the totals lines of model summaries ("Trainable params: 11,689,512");
- labelled lines in the layout of course notes ("CONV1: [55x55x96]  memory: 290K"), the
  label a cell of its own when a tab follows it ("3x3 conv, 64<TAB>memory: ...");
- prose ("It has 25.6M parameters and needs 4.1 GMACs").

Code blocks are read only for what a tool printed (its tables and totals). Every table is a
block of its own, aligned on its own; the labelled lines of a document form one block. What
looks like figures but could not be read is kept, with the reason, for the report.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field

from nnarith.check.claims import MAX_CLAIMS, Block, Claim, Skipped, Subject
from nnarith.check.html import MAX_COLUMNS, read_html
from nnarith.check.layouts import RULE, header_like, is_box_border, read_box, read_ruled, split_columns
from nnarith.check.modules import read_module_tree, starts_module_tree
from nnarith.check.notes import NEWLINE, read_line, text_lines
from nnarith.check.prose import read_prose
from nnarith.check.summaries import summary_line, tool_of
from nnarith.check.tables import Cells, Names, read_table
from nnarith.check.vocabulary import math_text
from nnarith.errors import Loc, SpecError

_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_PIPE = re.compile(r"(?<!\\)\|")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PRINTED = re.compile(r"^\s*(?P<cls>[A-Z][A-Za-z0-9]*) output shape:\s*"
                      r"(?P<shape>(?:torch\.Size\()?[\[(][\d, ]*[\])]\)?)\s*$")
_FIGURE_WORDS = re.compile(r"\b(params|parameters|weights|[gm]?flops|[gm]?macs|mult-adds|memory)\b", re.I)
_MARKUP = re.compile(r"\*\*|__|`|^\s*>|^\s*[-*+] (?=\S)|^\s*\d+\. (?=\S)")


TOO_WIDE = f"its columns past the {MAX_COLUMNS}th, as no table of figures is that wide"  # and each costs time


@dataclass
class Reading:
    blocks: list[Block] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    kinds: list[tuple[str, int]] = field(default_factory=list)  # by block: 'table', 'notes', 'prose' or
    # 'summary', and the line it starts at (a table's header)

    claims: int = 0  # read so far, in all blocks but the labelled lines

    def add(self, block: Block, kind: str, line: int) -> None:
        self.blocks.append(block)
        self.kinds.append((kind, line))
        self.claims += sum(len(s.claims) for s in block)


def pipe_cells(line: str, limit: int = MAX_COLUMNS + 1) -> Cells:
    """Split a pipe-table line into (text, 1-based column) cells, at most `limit` of them (a line of a
    million pipes is not a million cells); `\\|` is a literal pipe."""
    cells = []
    body = line.rstrip("\n")
    lead = len(body) - len(body.lstrip())
    start = lead + 1 if body.lstrip().startswith("|") else 0
    ends = itertools.chain((m.start() for m in _PIPE.finditer(body, start)), [len(body)])
    for end in itertools.islice(ends, limit):  # a regex: lines may be long
        text = body[start:end]
        cells.append((text.replace("\\|", "|").strip(), start + len(text) - len(text.lstrip()) + 1))
        start = end + 1
    if cells and not cells[-1][0] and body.rstrip().endswith("|") and start >= len(body):
        cells.pop()
    return cells


def plain(line: str) -> str:
    """Markdown emphasis, quotes and list bullets off a line, its columns kept."""
    return _MARKUP.sub(lambda m: " " * len(m[0]), line)


def read_document(text: str, file: str, names: Names | None = None) -> Reading:
    lines = text_lines(text)
    tool = tool_of(text)
    out = Reading()
    notes: Block = []
    noted = 0  # the figures of the labelled lines
    fenced = False
    i = 0

    def table(block: Block | None, head: int, what: str) -> None:
        if block:
            _caption_unit(block, lines, head)
            if names is not None and all(s.total and not s.network for s in block):  # whose figures?
                network = _heading_network(lines, head, names)
                for s in block:
                    s.network = network
            out.add(block, "table", head)
        elif any(_FIGURE_WORDS.search(x) for x in lines[head - 1:head]):
            out.skipped.append(Skipped(head, what, "no column of figures nnarith knows"))

    while i < len(lines):
        if out.claims + noted > MAX_CLAIMS:
            break  # past the limit: the check refuses the document, at the figure past it
        line = lines[i]
        if _FENCE.match(line):
            fenced = not fenced
            i += 1
            continue
        if not fenced and "<table" in line.lower():
            j = next((k for k in range(i, len(lines)) if "</table>" in lines[k].lower()), len(lines) - 1)
            blocks, _ = read_html("\n".join(lines[i:j + 1]), file, i + 1, names)
            for block in blocks:
                table(block, block[0].loc.line if block else i + 1, "the HTML table")
            i = j + 1
            continue
        if not fenced and "|" in line and i + 1 < len(lines) and _DELIMITER.match(lines[i + 1]):
            header = [c for c, _ in pipe_cells(line)]
            j, rows = i + 2, []
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                rows.append((j + 1, pipe_cells(lines[j])[:MAX_COLUMNS]))
                j += 1
            if len(header) > MAX_COLUMNS:
                out.skipped.append(Skipped(i + 1, "the table", TOO_WIDE))
            table(read_table(header[:MAX_COLUMNS], rows, file, names), i + 1, "the table")
            i = j
            continue
        if starts_module_tree(lines, i):  # print(model)
            block, j = read_module_tree(lines, i, file)
            table(block, i + 1, "the module tree")
            i = max(j, i + 1)
            continue
        if is_box_border(line):
            block, j = read_box(lines, i, file, names)
            table(block, i + 2, "the table")
            i = max(j, i + 1)
            continue
        if "|" not in line and header_like(split_columns(line)) and _table_below(lines, i):
            block, j = read_ruled(lines, i, file, names)
            table(block, i + 1, "the table")
            i = max(j, i + 1)
            continue
        subject = summary_line(line, i + 1, file, tool)
        if subject is not None:
            out.add([subject], "summary", i + 1)
        elif printed := _PRINTED.match(line):  # d2l's "Conv2d output shape:\t torch.Size([1, 6, 28, 28])"
            loc = Loc(file, i + 1, printed.start("shape") + 1)
            noted += 1
            notes.append(Subject(printed["cls"], Loc(file, i + 1, printed.start("cls") + 1),
                                 [Claim("output", printed["shape"].strip(), loc)], kind=printed["cls"]))
        elif not fenced and not line.lstrip().startswith(("#", "//")):
            text_line = plain(math_text(line))
            subject = read_line(text_line, i + 1, file)
            if subject is not None and subject.claims and not _prose_first(subject, text_line):
                notes.append(subject)
                noted += len(subject.claims)
            elif prose := read_prose(text_line, i + 1, file, names):
                out.add(prose, "prose", i + 1)
            elif _FIGURE_WORDS.search(line) and re.search(r"\d", line) and not RULE.match(line):
                out.skipped.append(Skipped(i + 1, "the line", "figures in a form nnarith does not read"))
        i += 1
    if tool:  # a tool's summary: its figures follow that tool's definitions
        for block in out.blocks:
            for s in block:
                for c in s.claims:
                    c.convention = c.convention or tool
    if notes:
        out.blocks.insert(0, notes)
        out.kinds.insert(0, ("notes", notes[0].loc.line))
    return out


_CAPTION = re.compile(r"(?i)\(?\bin (thousands|millions|billions)\b|\((millions|billions|M|G|K)\)")


def _heading_network(lines: list[str], head: int, names: Names) -> str | None:
    """'**ResNet50_Weights.IMAGENET1K_V1**:' above a table of a network's figures: the network it names."""
    for k in range(head - 2, max(-1, head - 8), -1):
        words = re.findall(r"[A-Za-z][\w.\-]*", plain(lines[k]))
        hit = next((w.rstrip(".:") for w in words if names(w.rstrip(".:"))), None)
        if hit:
            return hit
    return None


def _caption_unit(block: Block, lines: list[str], head: int) -> None:
    """'Table 2: Number of parameters (in millions).': the unit a caption gives counts that state none."""
    near = [lines[k] for k in range(max(0, head - 4), head - 1) if lines[k].strip()][-1:]
    m = _CAPTION.search(near[0]) if near and not near[0].lstrip().startswith("|") else None
    if not m:
        return
    unit = {"thousands": "K", "millions": "M", "billions": "G"}.get((m[1] or m[2]).lower(), (m[1] or m[2]).upper())
    for s in block:
        for c in s.claims:
            if c.unit is None and c.name in ("params", "weights", "macs", "flops", "activations"):
                c.unit = unit


def _prose_first(subject, line: str) -> bool:
    """'Case Study: AlexNet. First layer (CONV1): 96 11x11 filters ... Parameters: ...': sentences
    between the label and its first figure make the line prose, not a labelled line."""
    gap = line[subject.loc.col + len(subject.label):subject.claims[0].loc.col - 1]
    return len(re.findall(r"[A-Za-z]{2,}", gap)) > 4


def _table_below(lines: list[str], i: int) -> bool:
    """A header with a rule next to it, or with a row of as many cells below it."""
    near = [lines[k] for k in (i - 1, i + 1) if 0 <= k < len(lines)]
    if any(RULE.match(x) for x in near):
        return True
    if i + 1 < len(lines) and lines[i + 1].strip():
        return len(split_columns(lines[i + 1])) >= max(2, len(split_columns(lines[i])) - 3)
    return False


def read_csv(text: str, file: str, names: Names | None = None, skipped: list[Skipped] | None = None) -> list[Block]:
    """The CSV's table; columns past MAX_COLUMNS are not read (said in `skipped`)."""
    first = NEWLINE.split(text, 1)[0]
    delimiter = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    # newline="": records end at \\n, \\r\\n or \\r, as the lines of every other document do
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, end = [], 0
    try:
        for record in reader:
            line, end = end + 1, reader.line_num  # where the record starts: a quoted field may span lines
            cols, col = [], 1
            if len(record) > MAX_COLUMNS and skipped is not None and not skipped:
                skipped.append(Skipped(line, "the table", TOO_WIDE))
            for cell in record[:MAX_COLUMNS]:
                cols.append((cell, col))
                col += len(cell) + 1
            records.append((line, cols))
    except csv.Error as e:
        where = Loc(file, end + 1, 1)
        if "field limit" in str(e):
            raise SpecError(f"a field of more than {csv.field_size_limit():,} characters: no figure is that long",
                            where, hint="is a quote (\") left open? close it, or check the file in parts") from None
        raise SpecError(f"cannot read the CSV: {e}", where) from None
    if not records:
        return []
    block = read_table([c for c, _ in records[0][1]], records[1:], file, names)
    return [block] if block else []
