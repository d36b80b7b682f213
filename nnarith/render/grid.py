"""The table's grid: columns padded to their widest cell, two spaces apart, under a head and
between rules; narrowed to fit a width.

To fit, the kinds give way first (abbreviated with '…' down to KIND_ROOM characters: a layer's
name mostly says its kind), then the layer names (to NAME_ROOM characters after their guides,
start and end kept: 'bott…ck12'); only when that is not enough do whole columns go, least needed
first: kind, RF, flags (the sections below name the layers), memory, MACs; then the names are
cut, guides and all. A default table keeps every column at 80 columns and more.
"""

from __future__ import annotations

from nnarith.render.fit import clip, clip_middle
from nnarith.render.style import Painter, plain

Cell = tuple[str, str]  # (text, meaning): a flag's or a note's mark
GAP = "  "  # two spaces: nnarith check reads a run of two or more as a column break
NAME_ROOM, KIND_ROOM = 8, 6
DROPPED = ("kind", "RF", "flags", "memory", "MACs")  # the order in which columns go at very small widths


def grid(rows: list[list], head: tuple[str, ...], paint: Painter, width: int | None) -> list[str]:
    """rows: [(name, guide, a sum of layers?), kind, output, figures..., memory, RF, marks]; marks are
    a list of cells, or None on the totals row (the last)."""
    flags = len(head) - 1
    columns = [i for i in range(len(head)) if i != flags or any(r[flags] for r in rows)]
    text = [[r[0][1] + r[0][0], *r[1:flags], " ".join(m for m, _ in r[flags] or ())] for r in rows]
    natural = [max(len(head[i]), *(len(t[i]) for t in text)) for i in range(len(head))]
    widths = list(natural)
    if width is not None:
        columns = _fit(columns, widths, head, rows, width)
    right = set(range(3, flags))  # the figures, memory and RF
    just = [(str.rjust if i in right else str.ljust, widths[i], i) for i in columns]

    def line(cells: list[str], painted: list[str] | None = None) -> str:
        if painted is None:  # no colour: the cells as they are
            return GAP.join([pad(cells[i], w) for pad, w, i in just]).rstrip()
        parts = []
        for pad, w, i in just:
            fill = " " * (w - len(cells[i]))
            parts.append(fill + painted[i] if pad is str.rjust else painted[i] + fill)
        return GAP.join(parts).rstrip()

    colour = paint is not plain
    rule = paint(GAP.join("─" * w for _, w, _ in just), "guide")
    out = [line(list(head), [paint(h, "heading") for h in head] if colour else None), rule]
    for r, t in zip(rows, text):
        name, guide, sums = r[0]
        if widths[0] < natural[0] or widths[1] < natural[1]:
            room = widths[0] - len(guide)
            t[0] = guide + clip_middle(name, room) if room > 1 else clip(guide + name, widths[0])
            guide, name, t[1] = t[0][:len(guide)], t[0][len(guide):], clip(t[1], widths[1])
        if r[flags] is None:  # the totals row
            out.append(rule)
            out.append(line(t, [paint(c, "total") for c in t] if colour else None))
        elif colour:
            marks = " ".join(paint(m, meaning) for m, meaning in r[flags])
            out.append(line(t, [paint(guide, "guide") + paint(name, "block" if sums else "name"), *t[1:flags],
                                marks]))
        else:
            out.append(line(t))
    return out


def _fit(columns: list[int], widths: list[int], head: tuple[str, ...], rows: list[list], width: int) -> list[int]:
    """The columns that stay, with widths (in place) narrowed so that a line fits `width`."""
    def excess() -> int:
        return sum(widths[i] for i in columns) + len(GAP) * (len(columns) - 1) - width

    natural = list(widths)
    guides = max(len(r[0][1]) for r in rows)
    for i, room in ((1, KIND_ROOM), (0, guides + NAME_ROOM)):
        if excess() > 0:
            widths[i] = max(widths[i] - excess(), min(widths[i], max(room, len(head[i]))))
    for name in DROPPED:
        if excess() <= 0:
            break
        columns = [i for i in columns if head[i].split()[0] != name]
    for i in (0, 1):  # what a dropped column left over goes back to the names, then the kinds
        widths[i] = min(natural[i], widths[i] - min(excess(), 0))
    if excess() > 0:  # still too wide: the names take what is left
        widths[0] = max(widths[0] - excess(), len(head[0]))
    return columns
