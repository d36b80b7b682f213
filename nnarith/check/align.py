"""Which layer each row of a document means.

1. "Input" and "Total" rows mean the input and the totals.
2. A label that names a layer or block of the spec (case aside: "CONV1-96" names conv1)
   means it, when that label is unique in its table and its kind agrees. Labels written
   several times ("CONV3-64" twice in the CS231n VGG table) describe, they do not name.
3. Otherwise rows follow the network's order: each finds the next layer of its kind
   ("3x3 conv, 64", "Pool", "FC 4096"), and the layers passed over (ReLU, dropout,
   adaptive pooling...) are those the author left out.
A row that finds no layer is reported, with the reason, against each figure it states.
"""

from __future__ import annotations

from collections import Counter

from nnarith.check.documents import Block, Entry
from nnarith.check.truth import Target, Truths
from nnarith.check.vocabulary import kinds_of, name_tokens, special

Match = list[Target] | str  # the targets, or why there are none


def align(block: Block, truths: Truths) -> list[tuple[Entry, Match]]:
    report = truths.report
    rows = report.rows
    order = {r.name: i for i, r in enumerate(rows)}
    names: dict[str, str] = {}
    for r in rows + report.aux_rows:
        for i in range(1, len(r.path) + 1):
            names.setdefault(".".join(r.path[:i]).lower(), ".".join(r.path[:i]))
    counts = Counter(e.label.lower() for e in block)
    pointer = 0
    last = "the input"
    out: list[tuple[Entry, Match]] = []
    for entry in block:
        if entry.exact:
            out.append((entry, _exact(entry, truths)))
            continue
        which = special(entry.label)
        if which:
            out.append((entry, [truths.special(which)]))
            continue
        kinds = kinds_of(entry.kind or "") or kinds_of(entry.label)
        found = _by_name(entry, kinds, names, truths) if counts[entry.label.lower()] == 1 else None
        if found:
            ends = [order[r.name] for t in found for r in t.rows if r.name in order]
            if ends:
                pointer = max(ends) + 1
        elif kinds:
            i = next((i for i in range(pointer, len(rows)) if rows[i].kind in kinds), None)
            if i is None:
                word = entry.label if not entry.kind else entry.kind
                out.append((entry, f"the spec has no layer of the kind '{word}' after {last}"))
                continue
            found, pointer = [truths.row(rows[i])], i + 1
        else:
            out.append((entry, f"cannot tell which layer '{entry.label}' is: name it as the spec does, or say its "
                               "kind (conv, pool, fc...)"))
            continue
        last = found[0].name
        out.append((entry, found))
    return out


def _by_name(entry: Entry, kinds: set[str] | None, names: dict[str, str], truths: Truths) -> list[Target] | None:
    for token in name_tokens(entry.label):
        if token in names:
            found = truths.named(names[token])
            rows = [t for t in found if t.kind != "block"]
            if kinds and rows and rows[0].kind not in kinds and len(found) == 1:
                continue  # 'POOL1' is no name for a conv that happens to be called pool1
            return found
    return None


def _exact(entry: Entry, truths: Truths) -> Match:
    if entry.kind == "total":
        return [truths.special("total")]
    found = truths.named(entry.label)
    if entry.kind == "block":
        found = [t for t in found if t.kind == "block"] or found
    else:
        found = [t for t in found if t.kind != "block"] or found
    return found or f"no layer named '{entry.label}'"
