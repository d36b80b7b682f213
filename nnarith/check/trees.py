"""Printed module trees: rows that contain others (torchinfo's Sequential: 1-5, BasicBlock: 2-1).

A container with aligned layers under it spans them. One printed at its summed depth (no rows
under it) takes the layers between its aligned neighbours, inside its parent's, shared with the
containers printed beside it by the coarsest blocks of the spec that give one each.
"""

from __future__ import annotations

from nnarith.check.claims import Block
from nnarith.check.vocabulary import FUNCTIONAL


def resolve_containers(aligner, block: Block, out: list) -> None:
    """Replace each 'container' in `out` by the span of the spec's layers the row stands for."""
    boxes = [i for i, m in enumerate(out) if m == "container"]
    if not boxes:
        return
    parent: dict[int, int | None] = {}
    inner: dict[int, list[int]] = {i: [] for i in boxes}
    stack: list[int] = []
    for j, s in enumerate(block):
        while stack and (s.depth is None or s.depth <= block[stack[-1]].depth):
            stack.pop()
        if j in inner:
            parent[j] = stack[-1] if stack else None
        for i in stack:
            inner[i].append(j)
        if j in inner:
            stack.append(j)
    spans: dict[int, list] = {}
    for i in boxes:
        rows = aligner.rows_of([out[j] for j in inner[i] if j not in inner])
        if rows:
            spans[i] = aligner.rows[aligner.order[rows[0].name]:aligner.order[rows[-1].name] + 1]
    for i in sorted(boxes, key=lambda i: block[i].depth):
        if i in spans:
            continue
        run = [j for j in _run(block, boxes, spans, i) if parent[j] == parent[i]]
        region = spans.get(parent[i]) if parent[i] is not None else aligner.rows
        gap = _gap(aligner, out, spans, inner, region or [], run)
        for j, rows in zip(run, _share(gap, len(run))):
            spans[j] = rows
    for i in boxes:
        rows = spans.get(i, [])
        while len(rows) > 1 and rows[-1].kind in FUNCTIONAL:
            rows = rows[:-1]
        out[i] = [aligner.truths.span(rows)] if rows else f"no layers of the spec under '{block[i].label}'"


def _gap(aligner, out: list, spans: dict, inner: dict, region: list, run: list[int]) -> list:
    """The layers of `region` between what is aligned before the run and after it."""
    if not region:
        return []
    lo, hi = aligner.order[region[0].name], aligner.order[region[-1].name] + 1
    ancestors = {k for k, kids in inner.items() if run[0] in kids}
    for j, m in enumerate(out):
        if j in run or j in ancestors:
            continue
        rows = spans.get(j) or (aligner.rows_of([m]) if m != "container" and j not in inner else [])
        inside = [aligner.order[r.name] for r in rows if lo <= aligner.order[r.name] < hi]
        if not inside:
            continue
        if j < run[0]:
            lo = max(lo, max(inside) + 1)
        elif j > run[-1]:
            hi = min(hi, min(inside))
    return aligner.rows[lo:hi]


def _run(block: Block, boxes: list[int], spans: dict, i: int) -> list[int]:
    """The unresolved containers printed beside block[i], at its depth."""
    unresolved = [j for j in boxes if j not in spans and block[j].depth == block[i].depth]
    lo = hi = unresolved.index(i)
    while lo > 0 and unresolved[lo - 1] == unresolved[lo] - _step(block, unresolved[lo - 1], unresolved[lo]):
        lo -= 1
    while hi + 1 < len(unresolved) and unresolved[hi + 1] == unresolved[hi] + _step(block, unresolved[hi],
                                                                                  unresolved[hi + 1]):
        hi += 1
    return unresolved[lo:hi + 1]


def _step(block: Block, a: int, b: int) -> int:
    """b - a when only rows deeper than block[a] lie between them (they are a's, or its children)."""
    between = block[a + 1:b]
    return b - a if all(s.depth is not None and s.depth > block[a].depth for s in between) else -1


def _share(rows: list, parts: int) -> list[list]:
    """Layers split among containers printed side by side, by the coarsest blocks that give one each."""
    if parts == 1:
        return [rows]
    for level in range(1, 12):
        groups: dict[tuple, list] = {}
        for r in rows:
            groups.setdefault(r.path[:level], []).append(r)
        found = [g for g in groups.values() if not all(r.kind in FUNCTIONAL for r in g)]
        if len(found) == parts:
            return found
    return [[] for _ in range(parts)]
