"""Tables laid out in plain text: box-drawn (Keras 3), ruled (Keras 2, torchinfo, torchsummary),
and columns separated by tabs or by runs of two or more spaces (tables copied out of a paper).

Each reader finds a table's lines, cuts them into cells with their columns, and hands the
header and rows to tables.read_table. Rows that a tool wraps over two lines (Keras prints
`max_pooling2d (MaxPooling2D` and then `)` on the next line) are joined again.
"""

from __future__ import annotations

import re

from nnarith.check.tables import Cells, Names, read_table
from nnarith.check.vocabulary import header_figure

BOX_CELL = "│┃║"
_LEFT_ONLY, _RIGHT_ONLY = "┏┡┗┌├└╭╰╞╘╔╚╤╪╧┯┷┿╂", "┓┩┛┐┤┘╮╯╡╛╗╝"  # a border: left pieces, a rule, right pieces
_BORDER_CHARS = re.compile(r"[┏┡┗┌├└╭╰╞╘╔╚━─═┳╇┻┬┼┴╤╪╧┯┷┿╂┓┩┛┐┤┘╮╯╡╛╗╝+\-\s]*")
_RULE_RUN = re.compile(r"[━─═]{3}")
# ====, ____ or ---- across the table; or a rule under each column ('──────  ───────', nnarith's own)
RULE = re.compile(r"^\s*(?:([=_\-])\1{19,}|[─━═]{2,}(?:[ \t]+[─━═]{2,})+)\s*$")
MAX_COLUMNS = 64  # a header line with more cells than this is not a table's
_GAP = re.compile(r"\t+|\s{2,}")
_EXPLAINED = re.compile(r"^\S+ \(\w+\)$")  # shape --explain: 'conv1 (conv)', then its figures, indented
_TREE = re.compile(r"^[\s│├└─|`+\\]*")  # torchinfo's depth-idx tree in front of a label
_NAMED_TREE = re.compile(r"^(?:[│ ]  )*[├└]─ [A-Za-z_][\w-]*(?:\s|$)")  # nnarith's own: '│  ├─ conv1'


def is_box_border(line: str) -> bool:
    """_BORDER's language in linear time (the regex took cubic time on a long run of '─' before a ':'):
    a rule of three or more after every left-only piece and before every right-only one."""
    if not _BORDER_CHARS.fullmatch(line) or not any(c in line for c in "┏┌╭╔━─═"):
        return False
    left = max(line.rfind(c) for c in _LEFT_ONLY)
    right = min((i for i in (line.find(c) for c in _RIGHT_ONLY) if i >= 0), default=len(line))
    return left < right and _RULE_RUN.search(line, left + 1, right) is not None


def box_cells(line: str) -> Cells:
    """'│ conv2d (Conv2D) │ (None, 26, 26, 32) │ 320 │' as cells, each with its 1-based column."""
    cells, start = [], None
    for i, c in enumerate(line + "│"):
        if c in BOX_CELL or i == len(line):
            if start is not None:
                text = line[start:i]
                cells.append((text.strip(), start + len(text) - len(text.lstrip()) + 1))
            start = i + 1
    if cells and not cells[-1][0] and line.rstrip()[-1:] in BOX_CELL:
        cells.pop()  # the border that closes the row
    return cells


def read_box(lines: list[str], first: int, file: str, names: Names | None):
    """A box-drawn table from its top border; returns (block or None, the index after it)."""
    i, header, rows = first, None, []
    while i < len(lines) and (is_box_border(lines[i]) or any(c in lines[i] for c in BOX_CELL)):
        line = lines[i]
        if not is_box_border(line):
            cells = box_cells(line)
            if header is None:
                header = [c for c, _ in cells]
            elif rows and _continues(cells, rows[-1][1]):
                rows[-1] = (rows[-1][0], _joined(rows[-1][1], cells))
            else:
                rows.append((i + 1, cells))
        i += 1
    block = read_table(header, rows, file, names) if header else None
    return block, i


def _continues(cells: Cells, previous: Cells) -> bool:
    """A wrapped row: only its first cell has text, or the previous row left a '(' open."""
    texts = [c for c, _ in cells]
    if not texts or not texts[0]:
        return False
    return all(not t for t in texts[1:]) or previous[0][0].count("(") > previous[0][0].count(")")


def _joined(row: Cells, more: Cells) -> Cells:
    out = list(row)
    for j, (text, _) in enumerate(more):
        if text and j < len(out):
            glue = "" if out[j][0].endswith(("(", "_")) or text.startswith(")") else " "
            out[j] = (out[j][0] + glue + text, out[j][1])
    return out


def split_columns(line: str) -> Cells:
    """Cells separated by tabs (each tab one separator: empty cells count) or two or more spaces.

    A label's tree prefix (torchinfo's '│    └─') is not a cell of its own."""
    lead = _TREE.match(line).end()
    body = line[lead:]
    if "\t" in body:
        cells, pos = [], lead
        for text in body.split("\t"):
            cells.append((text.strip(), pos + len(text) - len(text.lstrip()) + 1))
            pos += len(text) + 1
        return cells
    cells, pos = [], 0
    for m in [*_GAP.finditer(body), None]:
        end = m.start() if m else len(body)
        text = body[pos:end]
        if text.strip():
            cells.append((text.strip(), lead + pos + len(text) - len(text.lstrip()) + 1))
        if m:
            pos = m.end()
    return cells


def header_like(cells: Cells) -> bool:
    """Two or more cells, at least one a figure heading, none of them a number or a 'key: value'."""
    texts = [t for t, _ in cells]
    if len(texts) > MAX_COLUMNS:
        return False
    return (len(texts) >= 2 and any(header_figure(t) for t in texts)
            and not any(re.search(r"\d[\d,.]*\s*$", t) and not re.search(r"[a-z]", t, re.I) for t in texts)
            and not any(re.search(r":\s+\S", t) or t.endswith(":") or re.search(r"[\[(]\d", t) for t in texts))


def _place(cells: Cells, starts: list[int]) -> Cells:
    """Cells moved under the header they overlap most (a row may leave cells empty)."""
    if len(cells) == len(starts):
        return cells
    cut: Cells = []
    for text, col in cells:  # Keras 2 runs a full label into the next column with one space between
        for s in starts:
            if col < s < col + len(text) and text[s - col - 1] == " ":
                cut.append((text[:s - col].strip(), col))
                text, col = text[s - col:], s
        cut.append((text.strip(), col))
    cells = cut
    if len(cells) == len(starts):
        return cells
    bounds = [*starts[1:], 10**6]
    out: list[tuple[str, int]] = [("", s) for s in starts]
    for text, col in cells:
        end = col + len(text)
        overlap = [min(end, b) - max(col, s) for s, b in zip(starts, bounds)]
        best = overlap.index(max(overlap))
        while out[best][0] and best + 1 < len(out):
            best += 1
        out[best] = (text, col)
    return out


def read_ruled(lines: list[str], head: int, file: str, names: Names | None):
    """A table whose header sits at `head`, between rules (====, ____, ----) or above its rows.

    Rows run until a line that is neither a row nor a rule nor blank, or two blank lines."""
    header_cells = split_columns(lines[head])
    starts = [c for _, c in header_cells]
    rows: list[tuple[int, Cells]] = []
    i, blanks = head + 1, 0
    while i < len(lines):
        line = lines[i]
        if RULE.match(line):
            if rows and i + 1 < len(lines) and not _row_like(lines[i + 1], len(starts)):
                i += 1
                break
            i += 1
            continue
        if not line.strip():
            blanks += 1
            if blanks >= 2:
                break
            i += 1
            continue
        blanks = 0
        cells = split_columns(line)
        wrapped = rows and (_wrapped(cells) or _folded(cells, starts))
        if not _row_like(line, len(starts)) and not wrapped:
            break
        if wrapped:
            rows[-1] = (rows[-1][0], _joined(rows[-1][1], _place(cells, starts)))
        else:
            rows.append((i + 1, _place(cells, starts)))
        i += 1
    if any(_NAMED_TREE.match(lines[n - 1]) for n, _ in rows):
        _tree_names(rows)
    block = read_table([t for t, _ in header_cells], rows, file, names, (head + 1, header_cells))
    if block and _explained(lines, head):
        return None, i  # shape --explain's working: its arithmetic is no table (a reader of its own is missing)
    if block and _training_only(lines, head):
        for s in block:  # nnarith's own tables of the aux heads: their rows and totals, not the network's
            s.label = "training-only heads" if s.total or s.label.lower() == "total" else f"training_only.{s.label}"
            s.total = False
    return block, i


def _tree_names(rows: list[tuple[int, Cells]]) -> None:
    """nnarith's tree of short names: each joined to the names of the containers above it, as the
    spec's full name ('layer1.bottleneck1.conv1'). A merge's own row, its container's last child and
    named as the container, keeps its name (it is aligned by its kind, after its branches)."""
    cols = [cells[0][1] if cells else 0 for _, cells in rows] + [0]
    above: list[tuple[int, str, str]] = []  # (column, short name, full name) of the containers it is under
    for k, (_, cells) in enumerate(rows):
        if not cells:
            continue
        text, col = cells[0]
        while above and above[-1][0] >= col:
            above.pop()
        own = above and above[-1][1] == text and cols[k + 1] < col
        full = f"{above[-1][2]}.{text}" if above and not own else text
        above.append((col, text, full))
        cells[0] = (full, col)


def _explained(lines: list[str], head: int) -> bool:
    """The figures of one layer that shape --explain prints under its name, each with its arithmetic."""
    k = head
    while k > 0 and re.match(r"    [a-zA-Z][\w ]*?\s{2,}\S", lines[k]) and head - k < 8:
        k -= 1
    return k < head and bool(_EXPLAINED.match(lines[k]))


def _training_only(lines: list[str], head: int) -> bool:
    """Under nnarith's title 'Training-only heads (...)' or 'Training-only totals'."""
    above = next((lines[k] for k in range(head - 1, max(-1, head - 3), -1) if lines[k].strip()), "")
    return bool(re.match(r"(?i)\s*training.only (heads|totals)\b", above))


def _row_like(line: str, columns: int) -> bool:
    if not line.strip() or ":" in line and re.match(r"^\s*[A-Za-z][\w /()#.-]*:\s+\S", line) and \
            not re.match(r"^[\s│├└─]*[A-Za-z_]\w*: \d+-\d+", line):
        return False
    return len(split_columns(line)) >= min(2, columns)


def _folded(cells: Cells, starts: list[int]) -> bool:
    """One cell indented past the first column: the end of the row above, folded to the width (nnarith's
    totals fold so: '  memory     742,248 elements ... = 2.83 MiB' then '             (fp32, batch 1)')."""
    return len(starts) >= 2 and len(cells) == 1 and cells[0][1] >= starts[1]


def _wrapped(cells: Cells) -> bool:
    return len(cells) == 1 and cells[0][0] in (")", "))") or (len(cells) == 1 and cells[0][0].endswith(")")
                                                             and "(" not in cells[0][0])
